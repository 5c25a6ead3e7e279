import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, unwatchFile, watchFile } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { DependencyCheck } from './health';
import {
  parseFlagFile,
  readFlagText,
  ScenarioRefused,
  writeFlagFile,
  type FlagFile,
} from './scenario-file';

/**
 * Scenario flags (flags/scenarios.flagd.json, docs/scenarios.md): the one
 * module that knows OpenFeature exists. Code that slows or fails asks it one
 * synchronous question, `scenarios.on(flag)`, which reads a value kept fresh
 * in the background, so a request never waits for a flag evaluation and pays
 * one Map lookup when every flag is off.
 *
 * Nothing of OpenFeature is loaded unless `FLAGD_RESOLVER` (the flagd
 * provider's own variable) is set: `in-process` with
 * `FLAGD_OFFLINE_FLAG_SOURCE_PATH` naming a flag file (compose, Kubernetes,
 * the tests), or `in-process`/`rpc` against a real flagd at `FLAGD_HOST`
 * (docs/kubernetes.md). Unset, every flag is off and this module does nothing.
 *
 * A flag file is checked before the provider sees it (`parseFlagFile`: size,
 * depth, flagd's format, labels that agree with their values, then flagd's
 * own schema). The provider reads a private copy of the last file that
 * passed, so a broken change (deleted, emptied, truncated, not JSON, too big
 * or too deep) leaves the last good flags in force, logs one error line
 * naming the file and why, and shows in `/health/dependencies` until the
 * file is good again. No file yet is every flag off (a runtime file exists
 * once `npm run scenario` wrote one).
 */

const WATCH_INTERVAL_MS = 1000;

/** A scenario that is on: its variant's name (`1s`) and value (1000). */
export interface ScenarioState {
  readonly flag: string;
  readonly variant: string;
  readonly value: number;
}

export interface Scenarios {
  /** The flag's variant when it is on (not `off`, value not 0), else undefined. */
  on(flag: string): ScenarioState | undefined;
  /**
   * For `/health/dependencies` (entry `scenarios`): rejects while the flag
   * file's last change was refused; resolves to what is in force (the file,
   * its sha256, the scenarios on), which `npm run scenario` reads to see
   * that a running service took its switch.
   */
  check?: DependencyCheck;
  /** Evaluates every flag again now (tests; the background refresh does it every second). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

/** Every flag off, nothing loaded: the default, and what tests pass. */
export const scenariosOff: Scenarios = {
  on: () => undefined,
  refresh: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

/** A fixed set of scenarios that are on (tests of the code that slows or fails). */
export function fixedScenarios(states: readonly ScenarioState[]): Scenarios {
  const byFlag = new Map(states.map((s) => [s.flag, s]));
  return { ...scenariosOff, on: (flag) => byFlag.get(flag) };
}

export interface ScenarioOptions {
  /** The flags this service acts on (e.g. maths: mathsSlow, mathsErrors). */
  flags: readonly string[];
  logger: Logger;
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * How often each flag is evaluated again: a timed scenario (targeting on
   * `$flagd.timestamp`) ends without the file changing, so a change event
   * alone would not see it end.
   */
  refreshMs?: number;
}

/**
 * Starts reading the scenario flags when the environment asks for the flagd
 * provider in process, or returns `scenariosOff`. Throws one clear line when
 * the flag file cannot be read (a bad configuration, like any other).
 */
export async function startScenarios(options: ScenarioOptions): Promise<Scenarios> {
  const env = options.env ?? process.env;
  const resolver = env.FLAGD_RESOLVER?.trim() || undefined;
  const path = env.FLAGD_OFFLINE_FLAG_SOURCE_PATH?.trim() || undefined;
  if (!resolver && !path) return scenariosOff;
  if (!resolver || (path && resolver !== 'in-process') || !['in-process', 'rpc'].includes(resolver))
    throw new Error(
      `Invalid configuration: FLAGD_RESOLVER must be in-process (with FLAGD_OFFLINE_FLAG_SOURCE_PATH=<flag file>, or a flagd at FLAGD_HOST) or rpc (got FLAGD_RESOLVER=${JSON.stringify(resolver ?? '')}, FLAGD_OFFLINE_FLAG_SOURCE_PATH=${JSON.stringify(path ?? '')})`,
    );
  // Loaded only here, on demand (a require, like tracing's): a service
  // without scenarios never loads OpenFeature.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { OpenFeature, ProviderEvents } =
    require('@openfeature/server-sdk') as typeof import('@openfeature/server-sdk');
  const { FlagdProvider } =
    require('@openfeature/flagd-provider') as typeof import('@openfeature/flagd-provider');
  /* eslint-enable @typescript-eslint/no-require-imports */
  // A file: the provider reads a private copy of its last good version.
  const source = path ? fileSource(path, options.logger, strictFlagdCheck()) : undefined;
  // The provider reads its other variables (FLAGD_HOST, FLAGD_PORT, FLAGD_SYNC_PORT ...) itself.
  const provider = new FlagdProvider({
    resolverType: resolver as 'in-process' | 'rpc',
    ...(source ? { offlineFlagSourcePath: source.copy } : {}),
  });
  if (source) {
    // The provider watches its copy with fs.watchFile at Node's default
    // interval (about 5 s). Node keeps one poller per file, made by the first
    // watchFile call, and later calls share it: watching first, every second,
    // brings a change to the service in about a second instead of five.
    watchFile(source.copy, { interval: WATCH_INTERVAL_MS, persistent: false }, () => {});
    try {
      await OpenFeature.setProviderAndWait(provider);
    } catch (error) {
      source.close();
      await OpenFeature.close().catch(() => {});
      throw new Error(
        `Invalid configuration: FLAGD_OFFLINE_FLAG_SOURCE_PATH: cannot read flags from ${path} (${(error as Error).message})`,
        { cause: error },
      );
    }
  } else {
    // A flagd somewhere else is a dependency: the service starts without
    // waiting for it, every flag off until it answers.
    OpenFeature.setProvider(provider);
  }
  const client = OpenFeature.getClient();
  const states = new Map<string, ScenarioState>();
  const refresh = async (): Promise<void> => {
    for (const flag of options.flags) {
      const details = await client.getNumberDetails(flag, 0);
      const before = states.get(flag);
      const now =
        details.value !== 0 && details.variant && details.variant !== 'off'
          ? { flag, variant: details.variant, value: details.value }
          : undefined;
      if (now) states.set(flag, now);
      else states.delete(flag);
      if (before?.variant !== now?.variant)
        options.logger.warn(
          { scenario: flag, variant: now?.variant ?? 'off' },
          now ? `scenario ${flag} ${now.variant} on` : `scenario ${flag} off`,
        );
    }
  };
  await refresh();
  // The provider read its first copy while starting.
  source?.settle();
  const onChange = () => void refresh().catch(() => {});
  // Once the provider has read a new copy and the flags are evaluated again,
  // the copy's version is the one in force (what `check` reports).
  provider.events.addHandler(
    ProviderEvents.ConfigurationChanged,
    () =>
      void refresh()
        .then(() => source?.settle())
        .catch(() => {}),
  );
  const timer = setInterval(onChange, options.refreshMs ?? 1000);
  timer.unref();
  options.logger.info(
    { resolver, file: path, flags: options.flags },
    path ? 'scenario flags read from file' : 'scenario flags read from flagd',
  );
  const on = () => [...states.values()].map((s) => `${s.flag} ${s.variant}`);
  return {
    on: (flag) => states.get(flag),
    ...(source ? { check: () => source.check(on()) } : {}),
    refresh,
    close: async () => {
      clearInterval(timer);
      await OpenFeature.close();
      if (source) {
        unwatchFile(source.copy);
        source.close();
      }
    },
  };
}

/** What the scenarios entry of `/health/dependencies` says besides up or down. */
export interface ScenarioFileDetails {
  /** The flag file this service reads (FLAGD_OFFLINE_FLAG_SOURCE_PATH). */
  file: string;
  /** sha256 of the version in force; null while there is no file yet (every flag off). */
  sha256: string | null;
  /** The scenarios on, `mathsSlow 1s`. */
  on: string[];
}

/** A refused flag file: down in `/health/dependencies`, with what is in force. */
export class FlagFileRefused extends Error {
  override readonly name = 'FlagFileRefused';
  constructor(
    message: string,
    readonly details: ScenarioFileDetails,
  ) {
    super(message);
  }
}

/** Throws ScenarioRefused, or names the flags that differ from the last good version. */
type Check = (text: string) => string[];

/**
 * flagd's own schema, strictly (`@openfeature/flagd-core`'s storage, as the
 * provider parses, but refusing what the provider would only log at debug).
 */
function strictFlagdCheck(): Check {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { MemoryStorage } =
    require('@openfeature/flagd-core') as typeof import('@openfeature/flagd-core');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  // Keeps the last good version: a refused one throws before it is stored.
  const storage = new MemoryStorage(quiet);
  return (text) => {
    try {
      return storage.setConfigurations(text, true);
    } catch (error) {
      const cause = (error as { cause?: Error }).cause?.message;
      throw new ScenarioRefused(
        `not flagd's format: ${(error as Error).message.split('\n')[0]}${cause ? ` (${cause})` : ''}`,
      );
    }
  };
}

/**
 * Watches `path` (every second) and keeps a private copy of its last good
 * version for the provider. Each change is checked: refused, the copy stays
 * as it was and one error line says why; good, the copy becomes it.
 */
function fileSource(path: string, logger: Logger, flagdCheck: Check) {
  const dir = mkdtempSync(join(tmpdir(), 'scenario-flags-'));
  const copy = join(dir, 'flags.json');
  writeFlagFile(copy, '{ "flags": {} }\n');
  let goodSha: string | null = null;
  // The good version the provider evaluates: goodSha once the provider has read its copy.
  let inForceSha: string | null = null;
  let refused: { reason: string; sha: string | null } | undefined;
  // Said once: watchFile also calls back once for a file missing at the start.
  let saidMissing = false;
  const load = (): void => {
    let text: string;
    try {
      text = readFlagText(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && goodSha === null && refused === undefined) {
        if (!saidMissing)
          logger.info({ file: path }, `scenario flags: ${path} does not exist yet: every flag off`);
        saidMissing = true;
        return;
      }
      const reason =
        code === 'ENOENT'
          ? `${path} does not exist (deleted?)`
          : error instanceof ScenarioRefused
            ? error.message
            : `${path} cannot be read: ${(error as Error).message}`;
      refuse(reason, null);
      return;
    }
    const sha = createHash('sha256').update(text).digest('hex');
    if (sha === goodSha) {
      if (refused) logger.info({ file: path, sha256: sha }, 'scenario flags file good again');
      refused = undefined;
      return;
    }
    let doc: FlagFile;
    let changed: string[];
    try {
      doc = parseFlagFile(text, path);
      changed = flagdCheck(text);
    } catch (error) {
      if (!(error instanceof ScenarioRefused)) throw error;
      const reason = error.message.startsWith(path) ? error.message : `${path}: ${error.message}`;
      refuse(reason, sha);
      return;
    }
    writeFlagFile(copy, `${JSON.stringify(doc)}\n`);
    if (refused) logger.info({ file: path, sha256: sha }, 'scenario flags file good again');
    goodSha = sha;
    // The same flags in other words: the provider has nothing to change.
    if (changed.length === 0) inForceSha = sha;
    refused = undefined;
  };
  const refuse = (reason: string, sha: string | null): void => {
    // One line per bad change: the same bad file polled again says nothing new.
    if (refused?.reason === reason && refused.sha === sha) return;
    refused = { reason, sha };
    logger.error(
      { file: path, reason, sha256: sha },
      `scenario flags file refused, keeping the last good flags: ${reason}`,
    );
  };
  load();
  watchFile(path, { interval: WATCH_INTERVAL_MS, persistent: false }, () => {
    try {
      load();
    } catch (error) {
      refuse(`${path}: ${(error as Error).message}`, null);
    }
  });
  return {
    copy,
    check: (on: string[]): Promise<{ details: ScenarioFileDetails }> => {
      const details = { file: path, sha256: inForceSha, on };
      if (refused)
        return Promise.reject(
          new FlagFileRefused(`${refused.reason}: keeping the last good flags`, details),
        );
      return Promise.resolve({ details });
    },
    settle: (): void => {
      inForceSha = goodSha;
    },
    close: (): void => {
      unwatchFile(path);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
