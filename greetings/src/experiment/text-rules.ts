/**
 * Texts a presenter types (templates, variant names, actors) are shown to
 * visitors and kept in the audit log, so characters that change how the
 * rest of a text reads are refused rather than silently dropped: bidi
 * controls (U+202A–U+202E, U+2066–U+2069) can reorder what is shown (Trojan
 * Source), zero-width characters (U+200B–U+200D, U+2060, U+FEFF) hide text
 * or make two names look alike, U+2028/U+2029 break lines where JavaScript
 * and logs do not expect it, and a lone surrogate is not text at all.
 */
const INVISIBLE = /[\u200b-\u200d\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]/;
// A high surrogate without a low one after it, or a low one without a high one before it.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What is wrong with a text's characters, or null when they are fine. */
export function invisibleCharacterProblem(text: string): string | null {
  const found = INVISIBLE.exec(text);
  if (found)
    return `must not contain invisible or direction-changing characters (found U+${found[0]
      .charCodeAt(0)
      .toString(16)
      .toUpperCase()
      .padStart(4, '0')} at position ${found.index})`;
  const lone = LONE_SURROGATE.exec(text);
  if (lone) return `must be well-formed text (a lone surrogate at position ${lone.index})`;
  return null;
}
