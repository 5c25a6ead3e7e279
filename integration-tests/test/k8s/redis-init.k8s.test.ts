import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, startRedisServer, type RedisServer } from '@friendly-calculator/common/testing';
import { isConfigMap, render, workload, type Container } from './manifests';

/**
 * The Redis pods' init script (deploy/kubernetes/redis-init.sh), exactly as
 * the rendering puts it in ConfigMap redis-init, run with `sh` against real
 * `redis-server` and `redis-sentinel` processes on loopback, one "pod" each
 * (a directory, a Redis on the manifest's arguments, a Sentinel on the file
 * the script wrote). Names, not IPs: every node is `localhost:<its port>`,
 * as a pod is `redis-N.redis:6379`, so the Sentinels resolve and announce
 * host names as in the cluster. What differs from the pod: the ports, a
 * `bind 127.0.0.1` added to each Sentinel's file (this machine is shared)
 * and Sentinel's down-after cut to 1 s (the manifest: 5 s).
 */
const run = promisify(execFile);
const rendered = render();
const set = workload(rendered, 'redis');
const init = set.spec.template.spec.initContainers![0]!;
const redisContainer = set.spec.template.spec.containers.find((c) => c.name === 'redis')!;
const script = rendered.filter(isConfigMap).find((o) => o.metadata.name.startsWith('redis-init-'))!
  .data!['redis-init.sh']!;
const initEnv = (c: Container) =>
  Object.fromEntries((c.env ?? []).filter((e) => e.value).map((e) => [e.name, e.value!]));
const MASTER = initEnv(init).MASTER_NAME!;

const cli = async (port: number, ...args: string[]) =>
  (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 2000 }))
    .stdout;

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Pod {
  index: number;
  redisPort: number;
  sentinelPort: number;
  dir: string;
  redis?: RedisServer;
  sentinel?: ChildProcess;
}

let root: string;
const pods: Pod[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fc-redis-init-'));
  writeFileSync(join(root, 'redis-init.sh'), script);
  for (let index = 0; index < (set.spec.replicas ?? 1); index++) {
    const dir = join(root, `redis-${index}`);
    mkdirSync(join(dir, 'run'), { recursive: true });
    mkdirSync(join(dir, 'data'));
    pods.push({ index, redisPort: await freePort(), sentinelPort: await freePort(), dir });
  }
});

afterAll(async () => {
  for (const pod of pods) {
    pod.sentinel?.kill('SIGKILL');
    await pod.redis?.stop();
  }
  rmSync(root, { recursive: true, force: true });
});

/** The init container, for one pod: its environment with this machine's names and ports. */
function runInit(pod: Pod): string {
  const env = {
    ...initEnv(init),
    PATH: process.env.PATH ?? '',
    ANNOUNCE_HOST: 'localhost',
    REDIS_PORT: String(pod.redisPort),
    SENTINEL_PORT: String(pod.sentinelPort),
    SENTINELS: pods.map((p) => `localhost:${p.sentinelPort}`).join(' '),
    FIRST_PRIMARY: `localhost:${pods[0]!.redisPort}`,
    DOWN_AFTER_MS: '1000',
    FAILOVER_TIMEOUT_MS: '5000',
    OUT: join(pod.dir, 'run'),
  };
  const result = spawnSync('sh', [join(root, 'redis-init.sh')], { env, encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`redis-init.sh exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

/** The pod's containers: Redis on the manifest's arguments (its /data here), then its Sentinel. */
async function startPod(pod: Pod): Promise<void> {
  const args = redisContainer.args!.slice(2); // redis-server /etc/redis-run/redis.conf
  args[args.indexOf('--dir') + 1] = join(pod.dir, 'data');
  args.push('--include', join(pod.dir, 'run', 'redis.conf'));
  if (pod.redis) await pod.redis.restart();
  else pod.redis = await startRedisServer({ port: pod.redisPort, args });
  const conf = join(pod.dir, 'run', 'sentinel.conf');
  appendFileSync(conf, 'bind 127.0.0.1\n');
  pod.sentinel = spawn('redis-sentinel', [conf], { stdio: 'ignore', cwd: pod.dir });
  await until(`Sentinel of pod ${pod.index}`, 10_000, async () =>
    (await cli(pod.sentinelPort, 'PING')).includes('PONG') ? true : undefined,
  );
}

const primaryNamed = async (by: Pod) =>
  (await cli(by.sentinelPort, 'SENTINEL', 'get-master-addr-by-name', MASTER)).trim().split('\n');

async function inSyncWith(pod: Pod, primary: Pod): Promise<void> {
  let last = '';
  // Generous: a full sync on a machine shared with other work can take a while.
  await until(`pod ${pod.index} a replica of pod ${primary.index}, in sync`, 60_000, async () => {
    last = await cli(pod.redisPort, 'INFO', 'replication');
    return last.includes('role:slave') &&
      last.includes(`master_port:${primary.redisPort}`) &&
      last.includes('master_link_status:up')
      ? true
      : undefined;
  }).catch((error: Error) => {
    // What the node said last, to tell a slow sync from a wrong primary.
    throw new Error(`${error.message}; its INFO replication:\n${last}`);
  });
}

describe('the Redis pods\u2019 init script, run against real Redis and Sentinel processes', () => {
  it('when checked by sh -n, then it parses', () => {
    const result = spawnSync('sh', ['-n', join(root, 'redis-init.sh')], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('when the pods start for the first time, then pod 0 is the primary, the others its replicas, and the Sentinels know all of them by name', async () => {
    const [first, ...others] = pods as [Pod, ...Pod[]];
    expect(runInit(first)).toMatch(/no Sentinel names a primary \(first start\)/);
    expect(readFileSync(join(first.dir, 'run', 'redis.conf'), 'utf8')).not.toMatch(/replicaof/);
    await startPod(first);
    for (const pod of others) {
      expect(runInit(pod)).toContain(`names the primary: localhost:${first.redisPort}`);
      expect(readFileSync(join(pod.dir, 'run', 'redis.conf'), 'utf8')).toContain(
        `replicaof localhost ${first.redisPort}`,
      );
      await startPod(pod);
    }
    for (const pod of others) await inSyncWith(pod, first);
    for (const pod of pods) {
      await until(`Sentinel of pod ${pod.index} seeing everyone`, 40_000, async () => {
        const lines = (await cli(pod.sentinelPort, 'SENTINEL', 'master', MASTER))
          .trim()
          .split('\n');
        const field = (key: string) => lines[lines.indexOf(key) + 1];
        return field('num-slaves') === String(others.length) &&
          field('num-other-sentinels') === String(pods.length - 1)
          ? true
          : undefined;
      });
      // Announced by name, as redis-0.redis is in the cluster.
      expect(await primaryNamed(pod)).toEqual(['localhost', String(first.redisPort)]);
    }
    // The manifest's min-replicas-to-write: the primary takes writes with a replica.
    expect(await cli(first.redisPort, 'SET', 'likes', '7')).toContain('OK');
    expect((await cli(first.redisPort, 'WAIT', '1', '2000')).trim()).not.toBe('0');
  }, 150_000);

  it('when the primary\u2019s pod is lost and comes back, then the Sentinels promote a replica, and the init script makes the returning pod its replica', async () => {
    const [first, ...others] = pods as [Pod, ...Pod[]];
    first.sentinel!.kill('SIGKILL');
    await first.redis!.kill();
    const promoted = await until('a replica promoted', 30_000, async () => {
      const [host, port] = await primaryNamed(others[0]!);
      const pod = others.find((p) => String(p.redisPort) === port);
      return host === 'localhost' && pod ? pod : undefined;
    });
    // The pod restarts: its init container runs again before Redis starts.
    expect(runInit(first)).toContain(`names the primary: localhost:${promoted.redisPort}`);
    expect(readFileSync(join(first.dir, 'run', 'redis.conf'), 'utf8')).toContain(
      `replicaof localhost ${promoted.redisPort}`,
    );
    await startPod(first);
    await inSyncWith(first, promoted);
    expect((await cli(first.redisPort, 'GET', 'likes')).trim()).toBe('7');
    // The old primary refuses writes now: it is a replica.
    expect(await cli(first.redisPort, 'SET', 'likes', '8')).toMatch(/READONLY/);
  }, 150_000);
});
