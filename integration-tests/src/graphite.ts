import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@friendly-calculator/common/testing';
import { repoRoot } from './stack';

/**
 * The real Graphite and StatsD on this machine, without Docker: what
 * graphiteapp/graphite-statsd runs, as child processes a test owns.
 *
 * - carbon-cache and graphite-web (under gunicorn) from Debian's
 *   `graphite-carbon`, `graphite-web` and `gunicorn` packages (.ci/run
 *   installs them);
 * - the StatsD daemon from npm (`statsd`, a devDependency of this workspace),
 *   with the StatsD config docker-compose.yml and Kubernetes give
 *   graphite-statsd, graphite/statsd-udp.js (the image's own plus
 *   percentThreshold [90, 95], deleteGauges): graphite backend, legacy namespace
 *   (`stats.<counter>`, `stats_counts.<counter>`, `stats.timers.<timer>.*`,
 *   with `upper_90`, `upper_95`, `median` ..., `stats.gauges.<gauge>`).
 *   Only its addresses, ports and flush interval are this function's own.
 *
 * Everything listens on free loopback ports and writes into one temporary
 * folder; nothing global is touched. Two deliberate differences from the
 * image, to keep tests short: StatsD flushes every `flushIntervalMs` (2 s,
 * not 10 s), and the finest whisper archive has that same step (so one flush
 * never overwrites another in the same slot); carbon creates any number of
 * whisper files per minute (the image allows 50).
 */
export interface Graphite {
  /** graphite-web, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** StatsD's UDP port on 127.0.0.1. */
  readonly statsdPort: number;
  readonly flushIntervalMs: number;
  /** The temporary folder: config, whisper files, logs. */
  readonly dir: string;
  stop(): Promise<void>;
}

export interface GraphiteOptions {
  flushIntervalMs?: number;
  /** StatsD's UDP port (default: a free one), so services can start alongside. */
  statsdPort?: number;
  /** Keep the temporary folder after stop() (to read the logs). */
  keep?: boolean;
}

/** graphite-statsd's storage-aggregation.conf (counts are summed, timers' upper is max ...). */
const STORAGE_AGGREGATION = `[min]
pattern = \\.lower$
xFilesFactor = 0.1
aggregationMethod = min

[max]
pattern = \\.upper(_\\d+)?$
xFilesFactor = 0.1
aggregationMethod = max

[sum]
pattern = \\.sum$
xFilesFactor = 0
aggregationMethod = sum

[count]
pattern = \\.count$
xFilesFactor = 0
aggregationMethod = sum

[count_legacy]
pattern = ^stats_counts.*
xFilesFactor = 0
aggregationMethod = sum

[default_average]
pattern = .*
xFilesFactor = 0.3
aggregationMethod = average
`;

/** StatsD's config as graphite-statsd runs it (docker-compose.yml mounts it as its udp.js). */
export function statsdConfig(root = repoRoot()): Record<string, unknown> {
  const file = join(root, 'graphite', 'statsd-udp.js');
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

const PYTHON_ENV = {
  GRAPHITE_SETTINGS_MODULE: 'local_settings',
  DJANGO_SETTINGS_MODULE: 'graphite.settings',
};

/** What is missing for startGraphite() on this machine, or undefined. */
export function graphiteMissing(): string | undefined {
  const needed = ['/usr/bin/carbon-cache', '/usr/bin/gunicorn', '/usr/bin/graphite-manage'];
  const missing = needed.filter((path) => !existsSync(path));
  return missing.length
    ? `${missing.join(', ')} not found: apt-get install --no-install-recommends graphite-carbon graphite-web gunicorn (.ci/run does)`
    : undefined;
}

export async function startGraphite(options: GraphiteOptions = {}): Promise<Graphite> {
  const missing = graphiteMissing();
  if (missing) throw new Error(missing);
  const flushIntervalMs = options.flushIntervalMs ?? 2000;
  if (flushIntervalMs % 1000 !== 0 || 60_000 % flushIntervalMs !== 0)
    throw new Error('flushIntervalMs must be whole seconds that divide a minute');
  const step = flushIntervalMs / 1000;
  const [linePort, picklePort, cachePort, webPort, freeUdp, adminPort] = (await Promise.all(
    Array.from({ length: 6 }, () => freePort()),
  )) as [number, number, number, number, number, number];
  const statsdPort = options.statsdPort ?? freeUdp;
  const dir = mkdtempSync(join(tmpdir(), 'graphite-'));
  const conf = join(dir, 'conf');
  const storage = join(dir, 'storage');
  const logs = join(dir, 'log');
  for (const folder of [conf, join(storage, 'whisper'), logs])
    mkdirSync(folder, { recursive: true });

  writeFileSync(
    join(conf, 'carbon.conf'),
    `[cache]
STORAGE_DIR = ${storage}/
LOCAL_DATA_DIR = ${storage}/whisper/
WHITELISTS_DIR = ${storage}/lists/
CONF_DIR = ${conf}/
LOG_DIR = ${logs}/
PID_DIR = ${storage}/
DATABASE = whisper
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = 500
MAX_CREATES_PER_MINUTE = inf
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = ${linePort}
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = ${picklePort}
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = ${cachePort}
CACHE_WRITE_STRATEGY = sorted
WHISPER_AUTOFLUSH = False
ENABLE_TAGS = False
LOG_LISTENER_CONN_SUCCESS = False
`,
  );
  // graphite-statsd's rule (10s:6h,1m:6d,10m:1800d) with the first step at the flush interval.
  writeFileSync(
    join(conf, 'storage-schemas.conf'),
    `[carbon]\npattern = ^carbon\\.\nretentions = 10s:6h\n\n[default]\npattern = .*\nretentions = ${step}s:6h,1m:6d,10m:1800d\n`,
  );
  writeFileSync(join(conf, 'storage-aggregation.conf'), STORAGE_AGGREGATION);
  writeFileSync(
    join(conf, 'local_settings.py'),
    `SECRET_KEY = 'throwaway'
ALLOWED_HOSTS = ['*']
TIME_ZONE = 'Etc/UTC'
DEFAULT_XFILES_FACTOR = 0
FIND_CACHE_DURATION = 1
STORAGE_DIR = '${storage}'
WHISPER_DIR = '${storage}/whisper'
INDEX_FILE = '${storage}/index'
LOG_DIR = '${logs}'
CARBONLINK_HOSTS = ['127.0.0.1:${cachePort}']
DATABASES = {'default': {'NAME': '${storage}/graphite.db', 'ENGINE': 'django.db.backends.sqlite3'}}
`,
  );
  // The shared config (its percentThreshold above all; no `backends`: StatsD's default,
  // graphite), on this test's loopback ports and flush interval.
  writeFileSync(
    join(conf, 'statsd.js'),
    JSON.stringify({
      ...statsdConfig(),
      graphiteHost: '127.0.0.1',
      graphitePort: linePort,
      address: '127.0.0.1',
      port: statsdPort,
      // Its UDP server on this test's port (the file's listens on 0.0.0.0:8125).
      servers: [{ server: './servers/udp', address: '127.0.0.1', port: statsdPort }],
      mgmt_address: '127.0.0.1',
      mgmt_port: adminPort,
      flushInterval: flushIntervalMs,
    }),
  );

  const env = { ...process.env, ...PYTHON_ENV, PYTHONPATH: conf };
  const children: ChildProcess[] = [];
  const run = (name: string, command: string, args: string[]): ChildProcess => {
    const out = openSync(join(logs, `${name}.out`), 'a');
    const child = spawn(command, args, { env, stdio: ['ignore', out, out] });
    closeSync(out);
    children.push(child);
    return child;
  };
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  };

  try {
    // All four at once. graphite-web's SQLite database (migrate) is needed by
    // /metrics/find only; /render and /metrics/expand work before it exists.
    const migrate = run('migrate', '/usr/bin/graphite-manage', ['migrate', '--noinput']);
    run('carbon', '/usr/bin/carbon-cache', [
      `--config=${join(conf, 'carbon.conf')}`,
      '--nodaemon',
      'start',
    ]);
    run('statsd', process.execPath, [require.resolve('statsd/stats.js'), join(conf, 'statsd.js')]);
    // --graceful-timeout 1: a test's graphite-web has no request worth 30 s of waiting.
    run('gunicorn', '/usr/bin/gunicorn', [
      '--bind',
      `127.0.0.1:${webPort}`,
      '--workers',
      '2',
      '--graceful-timeout',
      '1',
      'graphite.wsgi',
    ]);
    const code = await new Promise<number | null>((resolve) =>
      migrate.exitCode !== null ? resolve(migrate.exitCode) : migrate.once('exit', resolve),
    );
    if (code !== 0)
      throw new Error(`graphite-manage migrate exited ${code}; see ${logs}/migrate.out`);
    const url = `http://127.0.0.1:${webPort}`;
    const deadline = Date.now() + 30_000;
    await Promise.all([
      waitUntil(() => tcpOpen(linePort), deadline, `carbon-cache on :${linePort}`, logs),
      waitUntil(() => tcpOpen(adminPort), deadline, `statsd admin on :${adminPort}`, logs),
      waitUntil(
        async () =>
          (await fetch(`${url}/metrics/find?query=*`).catch(() => undefined))?.ok ?? false,
        deadline,
        `graphite-web at ${url}`,
        logs,
      ),
    ]);
    for (const child of children.slice(1))
      if (child.exitCode !== null) throw new Error(`${child.spawnfile} exited; see ${logs}`);
    return { url, statsdPort, flushIntervalMs, dir, stop };
  } catch (error) {
    options.keep = true;
    await stop();
    throw error;
  }
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitUntil(
  ready: () => Promise<boolean>,
  deadline: number,
  what: string,
  logs: string,
): Promise<void> {
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up; logs in ${logs}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
