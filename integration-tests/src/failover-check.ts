/**
 * `node integration-tests/dist/failover-check.js`: a Redis failover in a
 * running Compose stack with compose.ha.yml (a primary `redis`, a replica
 * `redis-replica`, three Sentinels), under load. Used by `npm run
 * test:docker`; it drives the stack only through the commands it is given,
 * so it knows nothing of Docker itself:
 *
 *   FAILOVER_REDIS_CLI  runs redis-cli where every node and Sentinel resolves,
 *                       e.g. `docker exec <sentinel-1's container> redis-cli`
 *   FAILOVER_KILL       kills the primary, e.g. `docker kill <redis' container>` (SIGKILL)
 *   FAILOVER_START      starts it again
 *   APP_URL, GREETINGS_URL  (default http://localhost:5000, :5002)
 *
 * With visitors loading pages and Liking, it kills the primary and checks:
 * Sentinel promotes the replica and greetings writes there by itself
 * (within 30 s), the page never answers anything but 200, the old primary
 * comes back as a replica of the new one and Likes are acknowledged again,
 * and every acknowledged Like is counted (acknowledged ≤ counted ≤
 * acknowledged + uncertain), on both nodes alike. Prints the times and the
 * counts; exits 1 naming what failed.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { stats, totalLikes, visitors } from './fault-load';
import { likeAsJson, visitPage } from './visitor';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const MASTER = 'mymaster';

function command(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (see the top of failover-check.ts)`);
  return value;
}

/** Runs a shell command (plus arguments, quoted); its output. */
async function sh(cmd: string, ...args: string[]): Promise<string> {
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const { stdout } = await run('sh', ['-c', `${cmd} ${quoted}`], { timeout: 20_000 });
  return stdout;
}

const cli = (...args: string[]) => sh(command('FAILOVER_REDIS_CLI'), ...args);

/** The primary's host name as the Sentinels hand it out (each asked; the majority's answer). */
async function primaryName(): Promise<string | undefined> {
  const answers = await Promise.all(
    ['sentinel-1', 'sentinel-2', 'sentinel-3'].map((s) =>
      cli('-h', s, '-p', '26379', 'SENTINEL', 'get-master-addr-by-name', MASTER)
        .then((out) => out.trim().split('\n')[0])
        .catch(() => undefined),
    ),
  );
  const votes = new Map<string, number>();
  for (const a of answers) if (a) votes.set(a, (votes.get(a) ?? 0) + 1);
  return [...votes].find(([, n]) => n >= 2)?.[0];
}

/** The current phase's Likes as one node holds them (the `l:<variant>` fields' sum). */
async function likesOn(host: string): Promise<number> {
  const phase = (await cli('-h', host, 'GET', 'greetings:phase')).trim();
  if (!/^\d+$/.test(phase)) throw new Error(`${host} has no current phase ('${phase}')`);
  const lines = (await cli('-h', host, 'HGETALL', `greetings:phase:${phase}`)).trim().split('\n');
  let sum = 0;
  for (let i = 0; i + 1 < lines.length; i += 2)
    if (lines[i]!.startsWith('l:')) sum += Number(lines[i + 1]);
  return sum;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`${what}: not within ${seconds(timeoutMs)}`);
    await sleep(250);
  }
}

async function main(): Promise<void> {
  const target = {
    urls: {
      'awesome-app': (process.env.APP_URL ?? 'http://localhost:5000').replace(/\/+$/, ''),
      greetings: (process.env.GREETINGS_URL ?? 'http://localhost:5002').replace(/\/+$/, ''),
    },
  };
  const failures: string[] = [];
  const expect = (ok: boolean, what: string) => {
    if (!ok) failures.push(what);
  };

  // Ready: the Sentinels name `redis`, the replica is in sync, and a Like is acknowledged.
  const first = await until('the Sentinels naming a primary', 60_000, primaryName);
  if (first !== 'redis') throw new Error(`the Sentinels name '${first}' as the primary, not redis`);
  await until('redis-replica in sync with redis', 60_000, async () =>
    /master_link_status:up/.test(await cli('-h', 'redis-replica', 'INFO', 'replication'))
      ? true
      : undefined,
  );
  let lastLike = 'no page yet';
  await until(`an acknowledged Like (last: ${lastLike})`, 60_000, async () => {
    const page = await visitPage(`${target.urls['awesome-app']}/Ready/1/1`);
    if (!page.like) {
      lastLike = `page ${page.status} without a Like form`;
      return undefined;
    }
    const res = await likeAsJson(page.like);
    lastLike = `${page.like.action}: ${res.status} ${res.body.slice(0, 120)}`;
    return res.status === 200 ? true : undefined;
  }).catch((error: unknown) => {
    throw new Error(`${String(error)}; the last Like: ${lastLike}`);
  });
  console.log('primary redis, replica redis-replica in sync, a Like acknowledged: loading');

  const before = totalLikes(await stats(target));
  const load = visitors(target, 4, true);
  await sleep(5_000);
  const ackedBefore = load.likes.ok;

  const faultAt = performance.now();
  await sh(command('FAILOVER_KILL'));
  const promoted = await until('a promotion', 30_000, async () => {
    const name = await primaryName();
    return name && name !== 'redis' ? name : undefined;
  });
  const promotedAt = performance.now();
  // Greetings writes to the promoted node by itself: its Likes grow while the old primary is dead.
  // (Alone, it has no replica: those Likes are 503 uncertain, counted once.)
  const atPromotion = await until(`${promoted}'s Likes`, 10_000, () => likesOn(promoted));
  await until(`greetings writing to ${promoted}`, faultAt + 30_000 - performance.now(), async () =>
    (await likesOn(promoted)) > atPromotion ? true : undefined,
  );
  const writingAt = performance.now();
  await sleep(2_000);

  // The old primary comes back: Sentinel makes it a replica of the new one.
  await sh(command('FAILOVER_START'));
  const startedAt = performance.now();
  await until('redis back as a replica in sync', 60_000, async () => {
    const info = await cli('-h', 'redis', 'INFO', 'replication');
    return /role:slave/.test(info) &&
      new RegExp(`master_host:${promoted}\\b`).test(info) &&
      /master_link_status:up/.test(info)
      ? true
      : undefined;
  });
  const rejoinedAt = performance.now();
  await until('a Like acknowledged again', 30_000, () =>
    Promise.resolve(load.likes.okAt.some((t) => t > rejoinedAt) ? true : undefined),
  );
  const ackedAgainAt = load.likes.okAt.find((t) => t > rejoinedAt)!;
  await sleep(2_000);
  await load.stop();

  const counted = totalLikes(await stats(target)) - before;
  const { ok, uncertain, unavailable, other } = load.likes;
  const bad = load.pages.filter((p) => p.status !== 200);
  console.log(
    `primary killed: Sentinel promoted ${promoted} after ${seconds(promotedAt - faultAt)}; ` +
      `greetings writing there ${seconds(writingAt - faultAt)} after the kill; ` +
      `old primary started ${seconds(startedAt - faultAt)} after, in sync as a replica ` +
      `${seconds(rejoinedAt - startedAt)} later; Likes acknowledged again ` +
      `${seconds(ackedAgainAt - faultAt)} after the kill.\n` +
      `Likes: ${ok} acknowledged (${ackedBefore} before the kill), ${uncertain} uncertain, ` +
      `${unavailable} unavailable; ${counted} counted. Pages: ${load.pages.length}, ` +
      `${bad.length} not 200, slowest ${Math.round(Math.max(...load.pages.map((p) => p.ms)))} ms`,
  );

  expect(writingAt - faultAt < 30_000, 'greetings wrote to the promoted node within 30 s');
  expect(bad.length === 0, `every page 200 (not: ${JSON.stringify(bad.slice(0, 3))})`);
  expect(load.pages.length > 100, `more than 100 pages (${load.pages.length})`);
  expect(
    other.length === 0,
    `no Like answer but 200 and 503 (not: ${other.slice(0, 3).join('; ')})`,
  );
  expect(ackedBefore > 5, `Likes acknowledged before the kill (${ackedBefore})`);
  expect(counted >= ok, `every acknowledged Like counted (${counted} counted, ${ok} acknowledged)`);
  expect(
    counted <= ok + uncertain,
    `nothing counted that was not acknowledged or uncertain (${counted} > ${ok} + ${uncertain})`,
  );
  // The old primary holds the new one's counts (its own unreplicated writes discarded).
  const onPromoted = await likesOn(promoted);
  const onOld = await until('redis holding the same Likes', 10_000, async () =>
    (await likesOn('redis')) === onPromoted ? onPromoted : undefined,
  ).catch(() => likesOn('redis'));
  expect(onOld === onPromoted, `redis holds ${promoted}'s ${onPromoted} Likes (it has ${onOld})`);

  if (failures.length) {
    console.error(`failover check FAILED:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log('failover check passed');
}

main().catch((error: unknown) => {
  console.error('failover check FAILED:', error);
  process.exit(1);
});
