/**
 * `npm run scenario -- list | on <flag> [<variant>] [--for <duration>] | off <flag>|--all`
 *
 * The presenter's switch for the fault scenarios (docs/scenarios.md). It
 * edits the runtime flag file every service reads (FLAGD_OFFLINE_FLAG_SOURCE_PATH,
 * default flags/runtime.flagd.json, which git ignores) in one atomic write,
 * starting from the tracked default flags/scenarios.flagd.json, which it
 * never writes. It posts a Graphite event when GRAPHITE_URL is set, and asks
 * maths and greetings (MATHS_URL, GREETINGS_URL) whether they read the file
 * it switched, with a warning when none does. Exit 1, with nothing written,
 * for an unknown flag, variant or duration; 0 for --help.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { graphiteEvents, type EventSink } from '../graphite-events';
import {
  flagStatus,
  OFF,
  parseDuration,
  readFlagFile,
  readFlagText,
  ScenarioRefused,
  switchOff,
  switchOn,
  writeFlagFile,
  type FlagFile,
} from '../scenario-file';

/** The repository's root: common/dist/bin (or common/src/bin under ts-jest) is three folders down. */
const ROOT = resolve(__dirname, '..', '..', '..');
/** The tracked default, every flag off: never written by a switch. */
export const TRACKED_FILE = join(ROOT, 'flags', 'scenarios.flagd.json');
/** The runtime file the switch writes by default; git ignores it (.gitignore). */
export const RUNTIME_FILE = join(ROOT, 'flags', 'runtime.flagd.json');
const DEFAULT_FOR = '10m';
/** How long the switch waits for a running service to take the change (the contract's 5 s). */
const READ_WITHIN_MS = 5000;

const USAGE = `usage: npm run scenario -- list
       npm run scenario -- on <flag> [<variant>] [--for 30s|10m|1h|0]   (default 10m; 0 = until off)
       npm run scenario -- off <flag> | --all
       npm run scenario -- --help`;

const HELP = `${USAGE}

Switches a fault scenario in the runtime flag file that maths and greetings
read (FLAGD_OFFLINE_FLAG_SOURCE_PATH; default flags/runtime.flagd.json, not
tracked by git; \`npm start\` and docker compose read it). The tracked
flags/scenarios.flagd.json is the default, every flag off, and never changes.
\`off --all\` always leaves a valid file with every flag off. With GRAPHITE_URL
set, each switch is posted as a Graphite event. docs/scenarios.md`;

/** Which running services read the file just written: their names, or why none does. */
export type ReaderCheck = (file: string, sha256: string) => Promise<string[] | string>;

export interface RunOptions {
  env: Readonly<Record<string, string | undefined>>;
  out: (line: string) => void;
  now?: () => number;
  events?: EventSink;
  /** Default: asks MATHS_URL's and GREETINGS_URL's /health/dependencies. */
  readers?: ReaderCheck;
}

const when = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
const shown = (path: string) => {
  const inside = relative(process.cwd(), path);
  return inside.startsWith('..') ? path : inside;
};

function list(path: string, out: (line: string) => void, nowSeconds: number): void {
  const doc = existsSync(path) ? readFlagFile(path) : readFlagFile(TRACKED_FILE);
  out(`${shown(path)}${existsSync(path) ? '' : ' (not written yet: the default)'}:`);
  for (const flag of Object.keys(doc.flags)) {
    const status = flagStatus(doc, flag, nowSeconds);
    const state =
      status.variant === OFF
        ? 'off'
        : `ON ${status.variant} ${status.until ? `until ${when(status.until)}` : 'until switched off'}`;
    out(`  ${flag.padEnd(20)} ${state.padEnd(40)} variants: ${status.variants.join(', ')}`);
  }
}

/** The file as it is, or the tracked default when there is none yet. */
const current = (path: string): FlagFile =>
  existsSync(path) ? readFlagFile(path) : readFlagFile(TRACKED_FILE);

/**
 * Asks maths and greetings, where they answer (MATHS_URL, GREETINGS_URL, as
 * for awesome-app; default localhost:5001 and 5002), whether the version of
 * the flag file in force there is the one just written (the sha256 their
 * `/health/dependencies` shows): until each that reads a flag file has
 * taken it, for up to 5 s.
 */
export function serviceReaders(
  env: Readonly<Record<string, string | undefined>>,
  withinMs = READ_WITHIN_MS,
): ReaderCheck {
  const services = [
    { name: 'maths', url: env.MATHS_URL?.trim() || 'http://localhost:5001' },
    { name: 'greetings', url: env.GREETINGS_URL?.trim() || 'http://localhost:5002' },
  ];
  const ask = async (url: string): Promise<{ file?: string; sha256?: string } | undefined> => {
    try {
      const res = await fetch(`${url.replace(/\/+$/, '')}/health/dependencies`, {
        signal: AbortSignal.timeout(1000),
      });
      const body = (await res.json()) as {
        dependencies?: { name?: string; details?: { file?: string; sha256?: string } }[];
      };
      return body.dependencies?.find((d) => d.name === 'scenarios')?.details ?? {};
    } catch {
      return undefined;
    }
  };
  return async (file, sha256) => {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const seen = await Promise.all(services.map(async (s) => ({ ...s, read: await ask(s.url) })));
      const readers = seen.filter((s) => s.read?.sha256 === sha256).map((s) => s.name);
      // Every service that reads a flag file has taken this one: done.
      const others = seen.filter((s) => s.read?.file !== undefined);
      if (others.length > 0 && readers.length === others.length) return readers;
      if (others.length === 0 || Date.now() > deadline) {
        if (readers.length > 0) return readers;
        const running = seen.filter((s) => s.read !== undefined);
        if (running.length === 0)
          return `no running service reads ${shown(file)} (maths and greetings do not answer at ${services.map((s) => s.url).join(', ')}): start them with \`npm start\` or docker compose, which read it`;
        const reading = others.map((s) => `${s.name} reads ${s.read!.file}`);
        return `no running service reads ${shown(file)}: ${[
          ...reading,
          ...running.filter((s) => !others.includes(s)).map((s) => `${s.name} reads no flag file`),
        ].join(', ')} (docs/scenarios.md)`;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };
}

/** Runs one command; resolves to the exit code. */
export async function runScenario(args: readonly string[], options: RunOptions): Promise<number> {
  const { env, out } = options;
  const given = env.FLAGD_OFFLINE_FLAG_SOURCE_PATH?.trim();
  const path = given ? resolve(given) : RUNTIME_FILE;
  const nowSeconds = (options.now ?? Date.now)() / 1000;
  const url = env.GRAPHITE_URL?.trim();
  let notPosted: string | undefined;
  const events =
    options.events ??
    graphiteEvents({
      url,
      onFailure: (reason) => {
        notPosted ??= reason;
      },
    });
  const post: EventSink = async (event) => {
    const posted = await events(event);
    if (!posted && url) notPosted ??= 'not posted';
    return posted;
  };
  const afterSwitch = async (): Promise<void> => {
    if (url && notPosted)
      out(
        `warning: the Graphite event was not posted (GRAPHITE_URL=${url}: ${notPosted}); the switch itself is done`,
      );
    const readers = options.readers ?? serviceReaders(env);
    const sha256 = createHash('sha256').update(readFlagText(path)).digest('hex');
    const found = await readers(path, sha256);
    if (typeof found === 'string') out(`warning: ${found}`);
    else out(`  read by ${found.join(' and ')}`);
  };
  const [command, ...rest] = args;
  try {
    if (command === '--help' || command === '-h' || command === 'help') {
      out(HELP);
      return 0;
    }
    if (command === 'list' && rest.length === 0) {
      list(path, out, nowSeconds);
      return 0;
    }
    if ((command === 'on' || command === 'off') && resolve(path) === TRACKED_FILE)
      throw new ScenarioRefused(
        `FLAGD_OFFLINE_FLAG_SOURCE_PATH names the tracked default ${shown(TRACKED_FILE)}, which a switch never changes: unset it (switches go to ${shown(RUNTIME_FILE)})`,
      );
    if (command === 'on') {
      const forAt = rest.indexOf('--for');
      const duration = forAt >= 0 ? rest[forAt + 1] : DEFAULT_FOR;
      const positional = forAt >= 0 ? rest.filter((_, i) => i !== forAt && i !== forAt + 1) : rest;
      if (duration === undefined || positional.length < 1 || positional.length > 2) {
        out(USAGE);
        return 2;
      }
      const [flag, variant] = positional as [string, string | undefined];
      const seconds = parseDuration(duration);
      const result = switchOn(current(path), flag, variant, seconds, nowSeconds);
      writeFlagFile(path, result.doc);
      const until = result.until ? `until ${when(result.until)}` : 'until switched off';
      out(`${flag} ${result.variant} on, ${until}`);
      await post({
        what: `${flag} ${result.variant} on`,
        tags: ['scenario', flag, 'on'],
        data: `${flag} switched to ${result.variant}, ${until}`,
      });
      await afterSwitch();
      return 0;
    }
    if (command === 'off' && rest.length === 1) {
      const flag = rest[0] === '--all' ? undefined : rest[0]!;
      let doc: FlagFile;
      try {
        doc = current(path);
      } catch (error) {
        // `off --all` always leaves a valid file, every flag off, whatever was there.
        if (flag !== undefined || !(error instanceof ScenarioRefused)) throw error;
        out(`${(error as Error).message}: written again from ${shown(TRACKED_FILE)}`);
        doc = readFlagFile(TRACKED_FILE);
      }
      writeFlagFile(path, switchOff(doc, flag));
      const flags = flag === undefined ? Object.keys(doc.flags) : [flag];
      for (const name of flags) {
        const was = flagStatus(doc, name, nowSeconds).variant;
        if (flag === undefined && was === OFF) continue;
        out(`${name} off`);
        await post({ what: `${name} off`, tags: ['scenario', name, 'off'], data: `was ${was}` });
      }
      if (flag === undefined) out('every scenario off');
      await afterSwitch();
      return 0;
    }
    out(USAGE);
    return 2;
  } catch (error) {
    if (!(error instanceof ScenarioRefused) && (error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw error;
    const hint =
      error instanceof ScenarioRefused && command === 'off' && rest[0] !== '--all'
        ? '; `npm run scenario -- off --all` writes a valid file'
        : '';
    out(`scenario: ${(error as Error).message} (nothing changed${hint})`);
    return 1;
  }
}

if (require.main === module) {
  runScenario(process.argv.slice(2), {
    env: process.env,
    out: (line) => process.stdout.write(`${line}\n`),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`scenario: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
