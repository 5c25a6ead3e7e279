import { silentLogger } from '@friendly-calculator/common';
import {
  startRedisServer,
  startSentinelGroup,
  type SentinelGroup,
} from '@friendly-calculator/common/testing';
import { summary } from '../../src/experiment/phase';
import { StoreUnavailable } from '../../src/experiment/store';
import { newImpressionId } from '../../src/greeting/impression-id';
import { createRedisStore } from '../../src/store/redis-store';
import request from './checked-request';
import { eventually, greetingsApp, phaseOne } from './harness';

// greetings through Sentinel, against real Debian redis-server and
// redis-sentinel on free loopback ports: the Like's WAIT, and every client
// (store, sessions, limits) following a failover by itself.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type App = ReturnType<typeof greetingsApp>;

async function show(app: App): Promise<string> {
  const res = await request(app.app).get('/greeting/Bob').set('Accept', 'application/json');
  const impression = (res.body as { impression: string | null }).impression;
  if (!impression) throw new Error(`no impression: ${JSON.stringify(res.body)}`);
  return impression;
}

/** Likes counted in phase 1, as one node has them. */
async function likesOn(group: SentinelGroup, port: number): Promise<number> {
  const out = await group.cli(port, 'HGETALL', 'greetings:phase:1');
  const lines = out.trim().split('\n');
  let total = 0;
  for (let i = 0; i + 1 < lines.length; i += 2)
    if (lines[i]!.startsWith('l:')) total += Number(lines[i + 1]);
  return total;
}

/** Until the app's store and guards answer (through the primary the Sentinels name). */
async function connected(app: App): Promise<void> {
  await eventually(async () => {
    await app.store.ping();
    await app.guards.ping();
    await app.warmUp();
  }, 15_000);
}

/** For the enclosing describe: a Sentinel group with `replicas` replicas and a greetings app through it, connected. */
function withSentinelApp(replicas: number): { group: SentinelGroup; app: App } {
  const the = {} as { group: SentinelGroup; app: App };
  beforeAll(async () => {
    the.group = await startSentinelGroup({ replicas });
    the.app = greetingsApp({ REDIS_SENTINELS: the.group.sentinelList });
    await connected(the.app);
  }, 60_000);
  afterAll(async () => {
    await the.app?.close();
    await the.group?.stop();
  });
  return the;
}

describe('when greetings finds Redis through Sentinel (a primary, one replica)', () => {
  const the = withSentinelApp(1);

  it('then every acknowledged Like is on the replica already (WAIT), many times over', async () => {
    const { group, app } = the;
    const [primary, replica] = group.nodes;
    for (let i = 1; i <= 20; i++) {
      const res = await request(app.app)
        .post('/like_greeting')
        .send({ impression: await show(app) });
      expect(res.status).toBe(200);
      // Read at once from the replica: the acknowledgement waited for it.
      expect(await likesOn(group, replica!.port)).toBe(i);
    }
    expect(await likesOn(group, primary!.port)).toBe(20);
  }, 30_000);

  it('when the replica does not confirm in time, then the Like is 503 uncertain (with Retry-After) and a retry never counts it twice', async () => {
    const { group, app } = the;
    const [primary, replica] = group.nodes;
    const before = await likesOn(group, primary!.port);
    const impression = await show(app);
    replica!.pause();
    let res;
    try {
      res = await request(app.app).post('/like_greeting').send({ impression });
    } finally {
      replica!.resume();
    }
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ reason: 'uncertain' });
    expect(res.headers['retry-after']).toBe('2');
    // The primary took it: it counts (once), the retry says it is already liked.
    await group.waitForReplica(replica!, primary!.port, 10_000);
    const retry = await request(app.app).post('/like_greeting').send({ impression });
    expect(retry.status).toBe(409);
    expect(retry.body).toMatchObject({ reason: 'used' });
    expect(await likesOn(group, primary!.port)).toBe(before + 1);
  }, 30_000);
});

describe.each(['killed (SIGKILL)', 'hung (SIGSTOP)'] as const)(
  'when the primary is %s (two replicas)',
  (how) => {
    const the = withSentinelApp(2);

    it('then the store, the sessions and the limits all move to the promoted replica by themselves', async () => {
      const { group, app } = the;
      const old = group.nodes[0]!;
      for (let i = 0; i < 5; i++)
        await request(app.app)
          .post('/like_greeting')
          .send({ impression: await show(app) })
          .expect(200);
      const started = performance.now();
      if (how === 'killed (SIGKILL)') await old.kill();
      else old.pause();
      const promoted = await group.waitForPrimary((port) => port !== old.port, 30_000);
      // Likes are acknowledged again, counted on the new primary.
      await eventually(async () => {
        const res = await request(app.app)
          .post('/like_greeting')
          .send({ impression: await show(app) });
        expect(res.status).toBe(200);
      }, 20_000);
      const seconds = (performance.now() - started) / 1000;
      console.log(`primary ${how}: Likes acknowledged again after ${seconds.toFixed(1)} s`);
      expect(await likesOn(group, promoted)).toBe(6);
      // The limits' and the sessions' connection writes there too.
      await app.guards.likes.consume('sentinel-test-client');
      await eventually(async () => {
        const keys = await group.cli(promoted, 'KEYS', 'greetings:limit:*');
        expect(keys).toMatch(/sentinel-test-client/);
      });
      if (how === 'hung (SIGSTOP)') old.resume();
    }, 60_000);
  },
);

describe('when the connection is lost while a Like is on its way to Redis', () => {
  it('then the Like is uncertain (it may have run), never "nothing counted"', async () => {
    const redis = await startRedisServer();
    const store = createRedisStore({
      target: { kind: 'url', url: redis.url },
      logger: silentLogger(),
      commandTimeoutMs: 10_000,
    });
    try {
      await eventually(() => store.ping());
      const phase1 = phaseOne(new Date().toISOString());
      await store.initialize(phase1, {
        at: phase1.startedAt,
        action: 'initialize',
        actor: 'test',
        before: null,
        after: summary({ ...phase1, state: 'running', shipped: null }),
      });
      const id = newImpressionId();
      await store.recordImpression(1, ['hello', 'howdy'], 'hello', id, 60);
      redis.pause();
      const like = store.like(id, 1).then(
        () => 'answered',
        (error: unknown) => error,
      );
      await sleep(200);
      await redis.kill();
      const error = await like;
      expect(error).toBeInstanceOf(StoreUnavailable);
      expect((error as StoreUnavailable).uncertain).toBe(true);
    } finally {
      await store.close();
      await redis.stop();
    }
  }, 30_000);
});
