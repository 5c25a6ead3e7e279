import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '@friendly-calculator/common';
import { startRedisServer, type RedisServer } from '@friendly-calculator/common/testing';
import { Redis } from 'ioredis';
import request from './checked-request';
import { summary } from '../../src/experiment/phase';
import { newImpressionId } from '../../src/greeting/impression-id';
import { createRedisStore } from '../../src/store/redis-store';
import { eventually, greetingsApp, phaseOne } from './harness';

jest.setTimeout(60_000);

describe('when Redis is held past the command timeout (CLIENT PAUSE)', () => {
  let redis: RedisServer;
  let greetings: ReturnType<typeof greetingsApp>;
  let admin: Redis;
  beforeAll(async () => {
    redis = await startRedisServer();
    greetings = greetingsApp({ REDIS_URL: redis.url });
    admin = new Redis(redis.url);
    await eventually(() => greetings.store.ping());
  });
  afterAll(async () => {
    admin.disconnect();
    await greetings.close();
    await redis.stop();
  });

  const likedTotal = async () =>
    (
      (await request(greetings.app).get('/stats').expect(200)).body.variants as { liked: number }[]
    ).reduce((n, v) => n + v.liked, 0);

  it('then a Like is answered promptly as uncertain, and trying again never counts it twice', async () => {
    const shown = await request(greetings.app)
      .get('/greeting/Bob')
      .set('Accept', 'application/json')
      .expect(200);
    const impression = shown.body.impression as string;
    await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
    const started = Date.now();
    const first = await request(greetings.app).post('/like_greeting').send({ impression });
    expect(Date.now() - started).toBeLessThan(1400);
    expect(first.status).toBe(503);
    expect(first.body).toMatchObject({ reason: 'uncertain' });
    expect(first.body.error).toMatch(/may or may not have been counted.*Trying again is safe/);
    expect(first.headers['retry-after']).toBe('2');

    // Redis runs the held command when the pause ends: the Like did count.
    await eventually(async () => expect(await likedTotal()).toBe(1), 5000);
    const retry = await request(greetings.app).post('/like_greeting').send({ impression });
    expect(retry.status).toBe(409);
    expect(retry.body.reason).toBe('used');
    expect(await likedTotal()).toBe(1);
  });

  it('then a browser’s Like form goes back to the page, which asks greetings what became of it', async () => {
    const shown = await request(greetings.app)
      .get('/greeting/Ann')
      .set('Accept', 'application/json')
      .expect(200);
    const impression = shown.body.impression as string;
    await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
    const res = await request(greetings.app)
      .post('/like_greeting')
      .type('form')
      .send({ impression, return_to: '/Ann/1/1' })
      .expect(303);
    expect(res.headers.location).toBe(`http://localhost:5000/Ann/1/1?like=${impression}`);
    await eventually(
      () =>
        request(greetings.app)
          .get(`/impressions/${impression}`)
          .expect(200)
          .then((r) => expect(r.body.status).toBe('liked')),
      5000,
    );
  });
});

/** The eviction policy docker-compose.yml gives Redis: the test fills a small Redis under that very policy. */
function composePolicy(): string {
  const compose = readFileSync(join(__dirname, '..', '..', '..', 'docker-compose.yml'), 'utf8');
  const policy = /--maxmemory-policy\s*\n\s*-\s*([\w-]+)/.exec(compose)?.[1];
  if (!policy) throw new Error('docker-compose.yml gives Redis no --maxmemory-policy');
  return policy;
}

describe("when a small Redis fills up with impressions (maxmemory, compose's policy)", () => {
  it('then only impressions are evicted: every count, the phase and the audit log stay whole', async () => {
    expect(composePolicy()).toBe('volatile-lru');
    const redis = await startRedisServer({
      args: ['--maxmemory', '3mb', '--maxmemory-policy', composePolicy()],
    });
    const store = createRedisStore({
      target: { kind: 'url', url: redis.url },
      logger: silentLogger(),
      commandTimeoutMs: 5000,
    });
    const raw = new Redis(redis.url);
    try {
      await eventually(() => store.ping());
      const phase1 = phaseOne(new Date().toISOString());
      const entry = {
        at: phase1.startedAt,
        action: 'initialize' as const,
        actor: 'test',
        before: null,
        after: summary({ ...phase1, state: 'running', shipped: null }),
      };
      await store.initialize(phase1, entry);

      const first: string[] = [];
      let recorded = 0;
      for (let batch = 0; batch < 60; batch++) {
        const ids = Array.from({ length: 500 }, () => newImpressionId());
        if (batch === 0) first.push(...ids.slice(0, 20));
        const results = await Promise.all(
          ids.map((id, i) =>
            store.recordImpression(1, ['hello', 'howdy'], i % 2 ? 'howdy' : 'hello', id, 3600),
          ),
        );
        recorded += results.filter((r) => r !== 'stale').length;
      }
      const info = await raw.info('stats');
      const evicted = Number(/evicted_keys:(\d+)/.exec(info)?.[1]);
      expect(evicted).toBeGreaterThan(1000);

      // Every write was counted exactly once, though most impressions are gone.
      expect(recorded).toBe(30_000);
      const current = await store.current();
      expect(current.counts).toEqual([
        { shown: 15_000, liked: 0 },
        { shown: 15_000, liked: 0 },
      ]);
      expect(await store.audit({ limit: 100 })).toEqual([{ ...entry, id: 1 }]);
      // The oldest impressions were the ones to go (Redis' LRU is approximate,
      // so most, not necessarily all): a gone one counts nothing when liked.
      const outcomes = await Promise.all(first.map((id) => store.like(id, 1)));
      const gone = outcomes.filter((o) => o !== 'stale' && o.status === 'unknown').length;
      const liked = outcomes.filter((o) => o !== 'stale' && o.status === 'liked').length;
      expect(gone + liked).toBe(first.length);
      expect(gone).toBeGreaterThanOrEqual(first.length / 2);
      const likedCounts = (await store.current()).counts.map((c) => c.liked);
      expect(likedCounts[0]! + likedCounts[1]!).toBe(liked);
      // The keys without an expiry are all still there.
      expect(await raw.exists('greetings:phase', 'greetings:phase:1', 'greetings:audit')).toBe(3);
    } finally {
      raw.disconnect();
      await store.close();
      await redis.stop();
    }
  });
});
