import { silentLogger } from '@friendly-calculator/common';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '@friendly-calculator/common/testing';
import type { BanditStore } from '../../src/store/bandit-store';
import { createMemoryStore } from '../../src/store/memory-store';
import { createRedisStore } from '../../src/store/redis-store';
import { newImpressionId } from '../../src/greeter';
import { eventually } from './harness';

// One contract, two implementations: whatever the memory store promises,
// the Redis store keeps too (and the other way round).
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.stop());

const VARIANTS = ['hello', 'howdy'] as const;

describe.each([
  ['memory', () => createMemoryStore()],
  ['redis', () => createRedisStore({ url: redis.url, logger: silentLogger() })],
] as const)('BanditStore contract: %s', (_kind, make) => {
  let store: BanditStore;
  beforeEach(async () => {
    store = make();
    await eventually(() => store.ping());
  });
  afterEach(async () => {
    await store.close();
    if (_kind === 'redis') {
      // A fresh database for the next test.
      const client = new Redis(redis.url);
      await client.flushall();
      await client.quit();
    }
  });

  it('when nothing was shown, then every variant has zero counts', async () => {
    await expect(store.counts(VARIANTS)).resolves.toEqual([
      { variant: 'hello', impressions: 0, likes: 0 },
      { variant: 'howdy', impressions: 0, likes: 0 },
    ]);
  });

  it('when impressions are recorded, then the fresh counts come back', async () => {
    await store.recordImpression('howdy', newImpressionId(), 60, VARIANTS);
    const counts = await store.recordImpression('howdy', newImpressionId(), 60, VARIANTS);
    expect(counts).toEqual([
      { variant: 'hello', impressions: 0, likes: 0 },
      { variant: 'howdy', impressions: 2, likes: 0 },
    ]);
    await expect(store.counts(VARIANTS)).resolves.toEqual(counts);
  });

  it('when an impression is liked, then its variant gets one like, once', async () => {
    const id = newImpressionId();
    await store.recordImpression('hello', id, 60, VARIANTS);
    await expect(store.like(id)).resolves.toEqual({ status: 'liked', variant: 'hello' });
    await expect(store.like(id)).resolves.toEqual({ status: 'used' });
    await expect(store.like(id)).resolves.toEqual({ status: 'used' });
    await expect(store.counts(VARIANTS)).resolves.toEqual([
      { variant: 'hello', impressions: 1, likes: 1 },
      { variant: 'howdy', impressions: 0, likes: 0 },
    ]);
  });

  it('when the impression is unknown, then nothing is counted', async () => {
    await expect(store.like(newImpressionId())).resolves.toEqual({ status: 'unknown' });
    await expect(store.counts(VARIANTS)).resolves.toEqual([
      { variant: 'hello', impressions: 0, likes: 0 },
      { variant: 'howdy', impressions: 0, likes: 0 },
    ]);
  });

  it('when the impression has expired, then it cannot be liked', async () => {
    const id = newImpressionId();
    await store.recordImpression('hello', id, 1, VARIANTS);
    await new Promise((r) => setTimeout(r, 1100));
    await expect(store.like(id)).resolves.toEqual({ status: 'unknown' });
    expect((await store.counts(VARIANTS))[0]).toEqual({
      variant: 'hello',
      impressions: 1,
      likes: 0,
    });
  });

  it('when the same impression is liked many times at once, then exactly one counts', async () => {
    const id = newImpressionId();
    await store.recordImpression('howdy', id, 60, VARIANTS);
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => store.like(id)));
    expect(outcomes.filter((o) => o.status === 'liked')).toHaveLength(1);
    expect((await store.counts(VARIANTS))[1]).toEqual({
      variant: 'howdy',
      impressions: 1,
      likes: 1,
    });
  });
});
