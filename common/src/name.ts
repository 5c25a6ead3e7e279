/**
 * The one rule for a visitor's name, used by greetings (its API) and by the
 * page (its form), so the two accept and refuse exactly the same names. Each
 * words its own message from the `problem`.
 */
export const MAX_NAME_LENGTH = 64;

// C0 controls, DEL and the C1 controls U+0080–U+009F: none belongs in a name
// that is shown on pages and written to logs.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export type NameProblem = 'empty' | 'too-long' | 'control' | 'dots';

export type NameCheck =
  | { ok: true; name: string }
  | { ok: false; problem: NameProblem; /** in characters, as people count them */ length: number };

/** Trims, then checks: 1 to 64 characters (an emoji is one), no control characters, not `.` or `..`. */
export function checkName(raw: string): NameCheck {
  const name = raw.trim();
  const length = [...name].length;
  const refuse = (problem: NameProblem): NameCheck => ({ ok: false, problem, length });
  if (length === 0) return refuse('empty');
  if (length > MAX_NAME_LENGTH) return refuse('too-long');
  if (CONTROL.test(name)) return refuse('control');
  // `/./1/1` or `/greeting/..` is no address of its own: browsers and clients resolve the dots away.
  if (name === '.' || name === '..') return refuse('dots');
  return { ok: true, name };
}
