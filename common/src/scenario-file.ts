import { randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';

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

/**
 * The most a flag file may weigh. The repository's is about 1 KB; a file
 * larger than this is refused unread (only this many bytes and one more are
 * ever read), so a huge file cannot stall a service or grow its memory.
 */
export const FLAG_FILE_MAX_BYTES = 64 * 1024;
/** The deepest nesting a flag file may have (a timed scenario's targeting is 8 deep). */
export const FLAG_FILE_MAX_DEPTH = 32;

/**
 * A variant's label says its value, and the services act on the value: `off`
 * is 0, `200ms` and `1s` are milliseconds to wait, `10%` is the share 0.1 of
 * calls that fail. A label and a value that disagree ("10%" failing every
 * call) are refused.
 */
function labelValue(label: string): { kind: 'duration' | 'share'; value: number } | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|%)$/.exec(label);
  if (!match) return undefined;
  const n = Number(match[1]);
  if (match[2] === '%') return n <= 100 ? { kind: 'share', value: n / 100 } : undefined;
  return { kind: 'duration', value: match[2] === 's' ? n * 1000 : n };
}

/** How deep `doc` nests, counted without recursion (a hostile file cannot overflow the stack). */
function depthOf(doc: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[doc, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > FLAG_FILE_MAX_DEPTH) return deepest;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return deepest;
}

function checkFlag(where: string, name: string, flag: FlagDefinition): void {
  const at = `${where}: flag ${name}`;
  if (typeof flag !== 'object' || flag === null || Array.isArray(flag))
    throw new ScenarioRefused(`${at} is not an object`);
  const { variants } = flag;
  if (typeof variants !== 'object' || variants === null || !Object.hasOwn(variants, OFF))
    throw new ScenarioRefused(`${at} has no "${OFF}" variant`);
  if (flag.state !== undefined && flag.state !== 'ENABLED' && flag.state !== 'DISABLED')
    throw new ScenarioRefused(`${at}: state must be ENABLED or DISABLED`);
  if (typeof flag.defaultVariant !== 'string' || !Object.hasOwn(variants, flag.defaultVariant))
    throw new ScenarioRefused(
      `${at}: defaultVariant ${JSON.stringify(flag.defaultVariant)} is not one of its variants (${Object.keys(variants).join(', ')})`,
    );
  const kinds = new Set<string>();
  for (const [label, value] of Object.entries(variants)) {
    if (label === OFF) {
      if (value !== 0)
        throw new ScenarioRefused(
          `${at}: variant "off" must be 0 (it is ${JSON.stringify(value)})`,
        );
      continue;
    }
    const said = labelValue(label);
    if (!said)
      throw new ScenarioRefused(
        `${at}: variant "${label}" does not say its value (labels are like 200ms, 1s, 10%)`,
      );
    if (typeof value !== 'number' || Math.abs(value - said.value) > 1e-9)
      throw new ScenarioRefused(
        `${at}: variant "${label}" has the value ${JSON.stringify(value)}, its label says ${said.value}`,
      );
    kinds.add(said.kind);
  }
  if (kinds.size > 1) throw new ScenarioRefused(`${at} mixes durations and shares in its variants`);
  const timed = timedTargeting(flag.targeting);
  if (timed && !Object.hasOwn(variants, timed.variant))
    throw new ScenarioRefused(
      `${at}: its targeting serves "${timed.variant}", not one of its variants`,
    );
}

/**
 * Checks a flag file as the services and the switch accept it: JSON, at most
 * FLAG_FILE_MAX_BYTES and FLAG_FILE_MAX_DEPTH deep, flagd's format, every
 * flag with an `off` variant, a default variant among its variants, and
 * labels that agree with their values. Throws ScenarioRefused saying why.
 */
export function parseFlagFile(text: string, where = 'the flag file'): FlagFile {
  const bytes = Buffer.byteLength(text);
  if (bytes > FLAG_FILE_MAX_BYTES)
    throw new ScenarioRefused(
      `${where} is larger than ${FLAG_FILE_MAX_BYTES} bytes: not read (the repository's is about 1 KB)`,
    );
  if (text.trim() === '') throw new ScenarioRefused(`${where} is empty`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new ScenarioRefused(`${where} is not JSON: ${(error as Error).message}`);
  }
  if (depthOf(doc) > FLAG_FILE_MAX_DEPTH)
    throw new ScenarioRefused(`${where} nests deeper than ${FLAG_FILE_MAX_DEPTH} levels`);
  const flags = (doc as { flags?: unknown } | null)?.flags;
  if (typeof flags !== 'object' || flags === null || Array.isArray(flags))
    throw new ScenarioRefused(`${where} has no "flags" object (flagd's flag-definition format)`);
  for (const [name, flag] of Object.entries(flags as Record<string, FlagDefinition>))
    checkFlag(where, name, flag);
  return doc as FlagFile;
}

/**
 * The file's text, read with at most FLAG_FILE_MAX_BYTES + 1 bytes in
 * memory: a larger file is refused unread, whatever its size.
 */
export function readFlagText(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(FLAG_FILE_MAX_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > FLAG_FILE_MAX_BYTES)
      throw new ScenarioRefused(
        `${path} is larger than ${FLAG_FILE_MAX_BYTES} bytes: not read (the repository's is about 1 KB)`,
      );
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

export function readFlagFile(path: string): FlagFile {
  return parseFlagFile(readFlagText(path), path);
}

/**
 * Writes the whole file at once: a temporary file beside it, then a rename,
 * so a service reading it at any moment sees the old file or the new one,
 * never half of one.
 */
export function writeFlagFile(path: string, doc: FlagFile | string): void {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(temporary, typeof doc === 'string' ? doc : `${JSON.stringify(doc, null, 2)}\n`);
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
