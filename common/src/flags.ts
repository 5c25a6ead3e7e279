import { unwatchFile, watchFile } from 'node:fs';
import type { Logger } from 'pino';

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
  // The provider reads its other variables (FLAGD_HOST, FLAGD_PORT, FLAGD_SYNC_PORT ...) itself.
  const provider = new FlagdProvider({
    resolverType: resolver as 'in-process' | 'rpc',
    ...(path ? { offlineFlagSourcePath: path } : {}),
  });
  if (path) {
    // The provider watches the file with fs.watchFile at Node's default
    // interval (about 5 s). Node keeps one poller per file, made by the first
    // watchFile call, and later calls share it: watching first, every second,
    // brings a change to the service in about a second instead of five.
    watchFile(path, { interval: WATCH_INTERVAL_MS, persistent: false }, () => {});
    // A local file: unreadable is a bad configuration, said at start-up.
    try {
      await OpenFeature.setProviderAndWait(provider);
    } catch (error) {
      unwatchFile(path);
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
  const onChange = () => void refresh().catch(() => {});
  provider.events.addHandler(ProviderEvents.ConfigurationChanged, onChange);
  const timer = setInterval(onChange, options.refreshMs ?? 1000);
  timer.unref();
  options.logger.info(
    { resolver, file: path, flags: options.flags },
    path ? 'scenario flags read from file' : 'scenario flags read from flagd',
  );
  return {
    on: (flag) => states.get(flag),
    refresh,
    close: async () => {
      clearInterval(timer);
      await OpenFeature.close();
      if (path) unwatchFile(path);
    },
  };
}
