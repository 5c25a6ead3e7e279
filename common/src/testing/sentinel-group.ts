import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, startRedisServer, type RedisServer } from './redis-server';

const run = promisify(execFile);

/**
 * A throwaway replicated Redis for tests: one primary, its replicas and
 * Sentinels watching them, Debian's `redis-server` and `redis-sentinel`
 * (the same binary in Sentinel mode) on free loopback ports. Sentinel's
 * timings are cut (a node is "down" after `downAfterMs`, not 30 s), so a
 * failover takes seconds.
 */
export interface SentinelGroup {
  /** The master name the Sentinels know the group by. */
  readonly name: string;
  /** Every data node; `nodes[0]` is the first primary, the others its replicas. */
  readonly nodes: readonly RedisServer[];
  readonly sentinelPorts: readonly number[];
  /** REDIS_SENTINELS' value: `127.0.0.1:port,...`. */
  readonly sentinelList: string;
  /** Runs `redis-cli -p <port> <args>` and answers its output (a test's look at a node). */
  cli(port: number, ...args: string[]): Promise<string>;
  /** The primary's port as the Sentinels name it now (the majority's answer). */
  primaryPort(): Promise<number>;
  /** Until the Sentinels name a primary for which `accept(port)` holds; resolves with its port. */
  waitForPrimary(accept: (port: number) => boolean, timeoutMs: number): Promise<number>;
  /** Until `node` reports itself a replica of `primaryPort`, in sync (`master_link_status:up`). */
  waitForReplica(node: RedisServer, primaryPort: number, timeoutMs: number): Promise<void>;
  node(port: number): RedisServer;
  stop(): Promise<void>;
}

export interface SentinelGroupOptions {
  replicas?: number;
  sentinels?: number;
  /** Sentinel's `down-after-milliseconds` (its default: 30 s). */
  downAfterMs?: number;
  /** Sentinel's `failover-timeout` (its default: 3 minutes). */
  failoverTimeoutMs?: number;
  /** Extra `redis-server` arguments for every data node. */
  nodeArgs?: readonly string[];
  name?: string;
}

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // not there yet
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startSentinelGroup(
  options: SentinelGroupOptions = {},
): Promise<SentinelGroup> {
  const name = options.name ?? 'mymaster';
  const quorum = Math.floor((options.sentinels ?? 3) / 2) + 1;
  const dir = mkdtempSync(join(tmpdir(), 'fc-sentinel-'));
  const nodes: RedisServer[] = [];
  const sentinels: ChildProcess[] = [];

  const cli = async (port: number, ...args: string[]) =>
    (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 2000 }))
      .stdout;

  const stop = async () => {
    await Promise.all(
      sentinels.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.exitCode !== null || s.signalCode !== null) return resolve();
            s.once('exit', () => resolve());
            s.kill('SIGKILL');
          }),
      ),
    );
    // A paused node would not die of SIGKILL's exit until continued: continue it first.
    for (const node of nodes) {
      try {
        node.resume();
      } catch {
        // not running
      }
    }
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // Each node in its own directory: a replica writes the RDB it syncs from
    // (dump.rdb, even with saving off), and a Redis loads a dump.rdb it finds
    // there at start: never the working directory's.
    const nodeDir = (i: number) => {
      const d = join(dir, `node-${i}`);
      mkdirSync(d);
      return ['--dir', d];
    };
    const primary = await startRedisServer({ args: [...nodeDir(0), ...(options.nodeArgs ?? [])] });
    nodes.push(primary);
    for (let i = 1; i <= (options.replicas ?? 1); i++) {
      nodes.push(
        await startRedisServer({
          args: [
            ...nodeDir(i),
            ...(options.nodeArgs ?? []),
            '--replicaof',
            '127.0.0.1',
            String(primary.port),
          ],
        }),
      );
    }
    const sentinelPorts: number[] = [];
    // One Sentinel on a free port, checked to be our own child answering
    // (INFO process_id): between freePort() and the bind another test's
    // process may take the port, and our Sentinel then exits while theirs
    // answers; then another port.
    const startSentinel = async (): Promise<{ child: ChildProcess; port: number }> => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const port = await freePort();
        const conf = join(dir, `sentinel-${port}.conf`);
        // Sentinel rewrites its own file (what it learns): one each, writable.
        writeFileSync(
          conf,
          [
            `port ${port}`,
            'bind 127.0.0.1',
            `dir ${dir}`,
            `sentinel monitor ${name} 127.0.0.1 ${primary.port} ${quorum}`,
            `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
            `sentinel failover-timeout ${name} ${options.failoverTimeoutMs ?? 5000}`,
            `sentinel parallel-syncs ${name} 1`,
            '',
          ].join('\n'),
        );
        const child = spawn('redis-sentinel', [conf], { stdio: 'ignore' });
        await new Promise<void>((resolve, reject) => {
          child.once('spawn', resolve);
          child.once('error', (error: NodeJS.ErrnoException) =>
            reject(
              error.code === 'ENOENT'
                ? new Error(
                    "'redis-sentinel' was not found: install Debian's redis-sentinel package (apt-get install redis-sentinel)",
                  )
                : error,
            ),
          );
        });
        const own = await until(`Sentinel ${port} answering`, 10_000, async () => {
          if (child.exitCode !== null || child.signalCode !== null) return false;
          const info = await cli(port, 'INFO', 'server');
          return info.includes(`process_id:${child.pid}`) ? true : undefined;
        }).catch(() => false);
        if (own) return { child, port };
        child.kill('SIGKILL');
      }
      throw new Error('no Sentinel of ours answered on any of 3 free ports');
    };
    for (let i = 0; i < (options.sentinels ?? 3); i++) {
      const { child, port } = await startSentinel();
      sentinels.push(child);
      sentinelPorts.push(port);
    }

    const primaryPort = async (): Promise<number> => {
      const answers = await Promise.all(
        sentinelPorts.map((p) =>
          cli(p, 'SENTINEL', 'get-master-addr-by-name', name).then(
            (out) => Number(out.trim().split(/\s+/)[1]),
            () => NaN,
          ),
        ),
      );
      const tally = new Map<number, number>();
      for (const port of answers) if (port) tally.set(port, (tally.get(port) ?? 0) + 1);
      const [best] = [...tally.entries()].sort((a, b) => b[1] - a[1]);
      if (!best || best[1] < quorum)
        throw new Error(`the Sentinels disagree: ${answers.join(', ')}`);
      return best[0];
    };

    const group: SentinelGroup = {
      name,
      nodes,
      sentinelPorts,
      sentinelList: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
      cli,
      primaryPort,
      waitForPrimary: (accept, timeoutMs) =>
        until('the Sentinels naming the expected primary', timeoutMs, async () => {
          const port = await primaryPort();
          return accept(port) ? port : undefined;
        }),
      waitForReplica: (node, of, timeoutMs) =>
        until(`port ${node.port} in sync as a replica of ${of}`, timeoutMs, async () => {
          const info = await cli(node.port, 'INFO', 'replication');
          return info.includes('role:slave') &&
            info.includes(`master_port:${of}`) &&
            info.includes('master_link_status:up')
            ? true
            : undefined;
        }).then(() => undefined),
      node: (port) => {
        const found = nodes.find((n) => n.port === port);
        if (!found) throw new Error(`no node on port ${port}`);
        return found;
      },
      stop,
    };
    // Ready when every replica is in sync and every Sentinel knows them all (and each other).
    for (const replica of nodes.slice(1)) await group.waitForReplica(replica, primary.port, 10_000);
    for (const port of sentinelPorts) {
      // Sentinels find each other by hello messages every 2 s and replicas by
      // INFO every 10 s: on a loaded machine that can take a while.
      let seen = 'nothing';
      await until(`Sentinel ${port} seeing the group`, 30_000, async () => {
        const out = await cli(port, 'SENTINEL', 'master', name);
        const lines = out.trim().split('\n');
        const field = (key: string) => Number(lines[lines.indexOf(key) + 1]);
        seen = `${field('num-slaves')} replicas, ${field('num-other-sentinels')} other Sentinels`;
        return field('num-slaves') === nodes.length - 1 &&
          field('num-other-sentinels') === sentinelPorts.length - 1
          ? true
          : undefined;
      }).catch((error: Error) => {
        throw new Error(`${error.message} (last seen: ${seen})`);
      });
    }
    return group;
  } catch (error) {
    await stop();
    throw error;
  }
}
