import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  freePort,
  startRedisServer,
  startSentinelGroup,
  type RedisServer,
  type SentinelGroup,
  type SentinelGroupOptions,
} from '@friendly-calculator/common/testing';

/**
 * The whole system on this machine, without Docker: a throwaway
 * `redis-server` and the three built services (`<service>/dist/server.js`)
 * on free ports, wired together through their environment variables exactly
 * as docker-compose wires them. Used by the browser tests, the benchmark and
 * the fault tests.
 */
export const SERVICES = ['maths', 'greetings', 'awesome-app'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface LocalStack {
  readonly urls: Readonly<Record<ServiceName, string>>;
  /** The one Redis; with `sentinel`, the first primary. */
  readonly redis: RedisServer;
  /** With `sentinel`: the primary, its replicas and the Sentinels greetings finds it through. */
  readonly sentinel: SentinelGroup | undefined;
  /** With `secondGreetings`: the second greetings replica, which takes the page's Likes. */
  readonly greetings2: string | undefined;
  readonly logDir: string;
  /** The environment every service got (to start one more replica alike). */
  readonly env: Readonly<Record<string, string>>;
  /** SIGTERM one service and wait until it has exited. */
  stopService(name: ServiceName): Promise<void>;
  /** SIGKILL one service (a crash). */
  killService(name: ServiceName): Promise<void>;
  /** Start a stopped service again on the same port; resolves once /healthz answers. */
  startService(name: ServiceName): Promise<void>;
  /** The PID of a running service (for memory measurements). */
  pid(name: ServiceName): number | undefined;
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  /** Extra environment for every service (e.g. `{ EPSILON: '0' }`). */
  env?: Readonly<Record<string, string>>;
  /** More of it that needs the services' addresses (e.g. presenter mode's `PUBLIC_URL`). */
  envFor?: (urls: Readonly<Record<ServiceName, string>>) => Readonly<Record<string, string>>;
  /** Where each service's log goes (`<logDir>/<service>.log`). */
  logDir?: string;
  /** Where the services send StatsD (default: a free UDP port nobody reads). */
  statsdPort?: number;
  /** Extra `node` arguments for every service, e.g. `['--cpu-prof']` to profile. */
  nodeArgs?: readonly string[];
  /** Extra `redis-server` arguments, e.g. append-only persistence. */
  redisArgs?: readonly string[];
  /** Another built checkout to run the services from (the benchmark compares builds). */
  root?: string;
  /** A replicated Redis behind Sentinels instead of one Redis (greetings gets REDIS_SENTINELS). */
  sentinel?: SentinelGroupOptions;
  /**
   * Two greetings replicas: the page asks the first for greetings, and its
   * Like form posts to the second (GREETINGS_PUBLIC_URL), so every Like
   * crosses replicas as it would behind a load balancer.
   */
  secondGreetings?: boolean;
  /** The `node` binary that runs the services (default: this process's); the benchmark compares Node versions. */
  node?: string;
}

export function repoRoot(from = __dirname): string {
  let dir = from;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && 'workspaces' in JSON.parse(readFileSync(manifest, 'utf8')))
      return dir;
    const parent = resolve(dir, '..');
    if (parent === dir) throw new Error(`no workspaces root above ${from}`);
    dir = parent;
  }
}

export async function waitForHealthy(
  url: string,
  deadlineMs: number,
  isAlive = () => true,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(500) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (!isAlive()) throw new Error(`${url} exited before it became healthy`);
    if (Date.now() > deadline)
      throw new Error(`${url}/healthz did not answer within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const root = options.root ?? repoRoot();
  for (const name of SERVICES) {
    if (!existsSync(join(root, name, 'dist', 'server.js'))) {
      throw new Error(`${name}/dist/server.js is missing: run \`npm run build\` first`);
    }
  }
  const logDir = options.logDir ?? join(repoRoot(), 'integration-tests', 'artifacts', 'logs');
  mkdirSync(logDir, { recursive: true });

  const sentinel = options.sentinel
    ? await startSentinelGroup({
        ...options.sentinel,
        nodeArgs: [...(options.sentinel.nodeArgs ?? []), ...(options.redisArgs ?? [])],
      })
    : undefined;
  const redis = sentinel
    ? sentinel.nodes[0]!
    : await startRedisServer({ args: options.redisArgs ?? [] });
  const ports = {} as Record<ServiceName | 'greetings2', number>;
  for (const name of SERVICES) ports[name] = await freePort();
  const urls = Object.fromEntries(
    SERVICES.map((name) => [name, `http://127.0.0.1:${ports[name]}`]),
  ) as Record<ServiceName, string>;
  if (options.secondGreetings) ports.greetings2 = await freePort();
  const greetings2 = options.secondGreetings ? `http://127.0.0.1:${ports.greetings2}` : undefined;
  const statsdPort = options.statsdPort ?? (await freePort());

  const shared = {
    PATH: process.env.PATH ?? '',
    LOG_LEVEL: 'warn',
    STATSD_HOST: '127.0.0.1',
    STATSD_PORT: String(statsdPort),
    GREETINGS_URL: urls.greetings,
    MATHS_URL: urls.maths,
    GREETINGS_PUBLIC_URL: greetings2 ?? urls.greetings,
    AWESOME_APP_URL: urls['awesome-app'],
    ...(sentinel ? { REDIS_SENTINELS: sentinel.sentinelList } : { REDIS_URL: redis.url }),
    // Every simulated visitor comes from 127.0.0.1: above greetings' per-client
    // Like limit (tests of the limit itself set their own).
    LIKES_PER_MINUTE_PER_CLIENT: '1000000',
    ...options.env,
    ...options.envFor?.(urls),
  };

  const children = new Map<ServiceName | 'greetings2', ChildProcess>();
  const start = async (name: ServiceName | 'greetings2'): Promise<void> => {
    // The child writes its log straight to the file: nothing passes through
    // this process, which may be busy generating load.
    const log = openSync(join(logDir, `${name}.log`), 'a');
    const child = spawn(
      options.node ?? process.execPath,
      [
        ...(options.nodeArgs ?? []),
        join(root, name === 'greetings2' ? 'greetings' : name, 'dist', 'server.js'),
      ],
      {
        env: { ...shared, PORT: String(ports[name]) },
        stdio: ['ignore', log, log],
      },
    );
    closeSync(log);
    children.set(name, child);
    await waitForHealthy(
      name === 'greetings2' ? greetings2! : urls[name],
      15_000,
      () => child.exitCode === null && child.signalCode === null,
    );
  };

  const halt = async (name: ServiceName | 'greetings2', signal: NodeJS.Signals): Promise<void> => {
    const child = children.get(name);
    children.delete(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    await exited;
  };

  const stop = async (): Promise<void> => {
    await Promise.all([...SERVICES, 'greetings2' as const].map((name) => halt(name, 'SIGTERM')));
    await (sentinel ? sentinel.stop() : redis.stop());
  };

  try {
    // Upstreams first, so the page is ready as soon as it is healthy.
    await Promise.all([
      start('maths'),
      start('greetings'),
      ...(greetings2 ? [start('greetings2')] : []),
    ]);
    await start('awesome-app');
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    urls,
    redis,
    sentinel,
    greetings2,
    env: shared,
    logDir,
    stopService: (name) => halt(name, 'SIGTERM'),
    killService: (name) => halt(name, 'SIGKILL'),
    startService: start,
    pid: (name) => children.get(name)?.pid,
    stop,
  };
}
