/**
 * `npm run scenario -- list | on <flag> [<variant>] [--for <duration>] | off <flag>|--all`
 *
 * The presenter's switch for the fault scenarios (docs/scenarios.md). It
 * edits the flag file every service reads (FLAGD_OFFLINE_FLAG_SOURCE_PATH,
 * default flags/scenarios.flagd.json) in one atomic write, and posts a
 * Graphite event when GRAPHITE_URL is set. Exit 1, with nothing written, for
 * an unknown flag, variant or duration.
 */
import { graphiteEvents, type EventSink } from '../graphite-events';
import {
  flagStatus,
  OFF,
  parseDuration,
  readFlagFile,
  ScenarioRefused,
  switchOff,
  switchOn,
  writeFlagFile,
} from '../scenario-file';

export const DEFAULT_FILE = 'flags/scenarios.flagd.json';
const DEFAULT_FOR = '10m';

const USAGE = `usage: npm run scenario -- list
       npm run scenario -- on <flag> [<variant>] [--for 30s|10m|1h|0]   (default 10m; 0 = until off)
       npm run scenario -- off <flag> | --all`;

export interface RunOptions {
  env: Readonly<Record<string, string | undefined>>;
  out: (line: string) => void;
  now?: () => number;
  events?: EventSink;
}

const when = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

function list(path: string, out: (line: string) => void, nowSeconds: number): void {
  const doc = readFlagFile(path);
  out(`${path}:`);
  for (const flag of Object.keys(doc.flags)) {
    const status = flagStatus(doc, flag, nowSeconds);
    const state =
      status.variant === OFF
        ? 'off'
        : `ON ${status.variant} ${status.until ? `until ${when(status.until)}` : 'until switched off'}`;
    out(`  ${flag.padEnd(20)} ${state.padEnd(40)} variants: ${status.variants.join(', ')}`);
  }
}

/** Runs one command; resolves to the exit code. */
export async function runScenario(args: readonly string[], options: RunOptions): Promise<number> {
  const { env, out } = options;
  const path = env.FLAGD_OFFLINE_FLAG_SOURCE_PATH?.trim() || DEFAULT_FILE;
  const nowSeconds = (options.now ?? Date.now)() / 1000;
  const events = options.events ?? graphiteEvents({ url: env.GRAPHITE_URL?.trim() });
  const [command, ...rest] = args;
  try {
    if (command === 'list' && rest.length === 0) {
      list(path, out, nowSeconds);
      return 0;
    }
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
      const result = switchOn(readFlagFile(path), flag, variant, seconds, nowSeconds);
      writeFlagFile(path, result.doc);
      const until = result.until ? `until ${when(result.until)}` : 'until switched off';
      out(`${flag} ${result.variant} on, ${until}`);
      await events({
        what: `${flag} ${result.variant} on`,
        tags: ['scenario', flag, 'on'],
        data: `${flag} switched to ${result.variant}, ${until}`,
      });
      return 0;
    }
    if (command === 'off' && rest.length === 1) {
      const flag = rest[0] === '--all' ? undefined : rest[0]!;
      const doc = readFlagFile(path);
      writeFlagFile(path, switchOff(doc, flag));
      const flags = flag === undefined ? Object.keys(doc.flags) : [flag];
      for (const name of flags) {
        const was = flagStatus(doc, name, nowSeconds).variant;
        if (flag === undefined && was === OFF) continue;
        out(`${name} off`);
        await events({ what: `${name} off`, tags: ['scenario', name, 'off'], data: `was ${was}` });
      }
      if (flag === undefined) out('every scenario off');
      return 0;
    }
    out(USAGE);
    return 2;
  } catch (error) {
    if (!(error instanceof ScenarioRefused) && (error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw error;
    out(`scenario: ${(error as Error).message} (nothing changed)`);
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
