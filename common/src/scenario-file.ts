import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * The scenario flag file (flagd's flag-definition format) as the presenter's
 * switch edits it. A scenario switched on for a time is written as flagd
 * targeting on `$flagd.timestamp`, so every service's flagd provider turns it
 * off by itself when the time is up, even if nobody runs a command again:
 *
 *   "defaultVariant": "off",
 *   "targeting": { "if": [{ "<": [{ "var": "$flagd.timestamp" }, 1767225600] }, "1s", "off"] }
 *
 * Switched on with no time (`--for 0`), the variant is the default variant.
 */

export interface FlagDefinition {
  state?: string;
  variants: Record<string, unknown>;
  defaultVariant: string;
  targeting?: unknown;
  [other: string]: unknown;
}

export interface FlagFile {
  $schema?: string;
  flags: Record<string, FlagDefinition>;
  [other: string]: unknown;
}

/** A refused command: the message is for the presenter, nothing was written. */
export class ScenarioRefused extends Error {
  override readonly name = 'ScenarioRefused';
}

export const OFF = 'off';

/** What a flag is doing at `nowSeconds`. */
export interface FlagStatus {
  flag: string;
  variants: string[];
  /** The variant served now (`off` when off). */
  variant: string;
  /** Epoch seconds when a timed scenario ends; undefined when off or untimed. */
  until?: number;
}

export function parseFlagFile(text: string, where = 'the flag file'): FlagFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new ScenarioRefused(`${where} is not JSON: ${(error as Error).message}`);
  }
  const flags = (doc as { flags?: unknown } | null)?.flags;
  if (typeof flags !== 'object' || flags === null || Array.isArray(flags))
    throw new ScenarioRefused(`${where} has no "flags" object (flagd's flag-definition format)`);
  for (const [name, flag] of Object.entries(flags as Record<string, FlagDefinition>)) {
    if (typeof flag?.variants !== 'object' || !(OFF in flag.variants))
      throw new ScenarioRefused(`${where}: flag ${name} has no "${OFF}" variant`);
  }
  return doc as FlagFile;
}

export function readFlagFile(path: string): FlagFile {
  return parseFlagFile(readFileSync(path, 'utf8'), path);
}

/**
 * Writes the whole file at once: a temporary file beside it, then a rename,
 * so a service reading it at any moment sees the old file or the new one,
 * never half of one.
 */
export function writeFlagFile(path: string, doc: FlagFile): void {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify(doc, null, 2)}\n`);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** `30s`, `10m`, `1h` → seconds; `0` → 0 (until switched off). */
export function parseDuration(text: string): number {
  if (text === '0') return 0;
  const match = /^([1-9]\d{0,5})(s|m|h)$/.exec(text);
  if (!match)
    throw new ScenarioRefused(
      `--for ${JSON.stringify(text)}: give a duration like 30s, 10m or 1h (or 0 for until switched off)`,
    );
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as 's' | 'm' | 'h'];
}

function flagOf(doc: FlagFile, flag: string): FlagDefinition {
  const found = Object.hasOwn(doc.flags, flag) ? doc.flags[flag] : undefined;
  if (!found)
    throw new ScenarioRefused(
      `Unknown flag "${flag}": the flags are ${Object.keys(doc.flags).join(', ')}`,
    );
  return found;
}

/** The `until` and variant of targeting this module wrote, or undefined for any other. */
function timedTargeting(targeting: unknown): { until: number; variant: string } | undefined {
  const rule = (targeting as { if?: unknown[] } | undefined)?.if;
  if (!Array.isArray(rule) || rule.length !== 3) return undefined;
  const [test, variant] = rule as [{ '<'?: unknown[] }, unknown];
  const until = test?.['<']?.[1];
  return typeof until === 'number' && typeof variant === 'string' ? { until, variant } : undefined;
}

export function flagStatus(doc: FlagFile, flag: string, nowSeconds: number): FlagStatus {
  const definition = flagOf(doc, flag);
  const variants = Object.keys(definition.variants);
  const timed = timedTargeting(definition.targeting);
  if (timed && nowSeconds < timed.until)
    return { flag, variants, variant: timed.variant, until: timed.until };
  return { flag, variants, variant: definition.defaultVariant };
}

/**
 * Switches `flag` to `variant` (default: the mildest, i.e. the first that is
 * not off) for `forSeconds` (0: until switched off). Returns a new document.
 */
export function switchOn(
  doc: FlagFile,
  flag: string,
  variant: string | undefined,
  forSeconds: number,
  nowSeconds: number,
): { doc: FlagFile; variant: string; until?: number } {
  const definition = flagOf(doc, flag);
  const names = Object.keys(definition.variants);
  const chosen = variant ?? names.find((name) => name !== OFF);
  if (!chosen || !names.includes(chosen) || chosen === OFF)
    throw new ScenarioRefused(
      `Unknown variant "${variant}" of ${flag}: choose one of ${names.filter((n) => n !== OFF).join(', ')} (or: off ${flag})`,
    );
  const next = structuredClone(doc);
  const changed = next.flags[flag]!;
  if (forSeconds === 0) {
    changed.defaultVariant = chosen;
    delete changed.targeting;
    return { doc: next, variant: chosen };
  }
  const until = Math.floor(nowSeconds) + forSeconds;
  changed.defaultVariant = OFF;
  changed.targeting = { if: [{ '<': [{ var: '$flagd.timestamp' }, until] }, chosen, OFF] };
  return { doc: next, variant: chosen, until };
}

/** Switches `flag` (or every flag, `undefined`) off. Returns a new document. */
export function switchOff(doc: FlagFile, flag: string | undefined): FlagFile {
  if (flag !== undefined) flagOf(doc, flag);
  const names = flag === undefined ? Object.keys(doc.flags) : [flag];
  const next = structuredClone(doc);
  for (const name of names) {
    next.flags[name]!.defaultVariant = OFF;
    delete next.flags[name]!.targeting;
  }
  return next;
}
