import { silentLogger } from '@friendly-calculator/common';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '@friendly-calculator/common/testing';
import type { AuditEntry, PhaseDefinition } from '../../src/experiment/phase';
import { summary } from '../../src/experiment/phase';
import type { ExperimentChange, ExperimentStore } from '../../src/experiment/store';
import { createMemoryStore } from '../../src/store/memory-store';
import { createRedisStore } from '../../src/store/redis-store';
import { newImpressionId } from '../../src/greeting/impression-id';
import { eventually, phaseOne } from './harness';

// One contract, two implementations: whatever the memory store promises,
// the Redis store keeps too (and the other way round).
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.stop());

const NAMES = ['hello', 'howdy'];
const phase1 = phaseOne('2026-11-26T10:00:00.000Z');
const entry = (
  action: AuditEntry['action'],
  n = 1,
  state: 'running' | 'paused' | 'shipped' = 'running',
): AuditEntry => ({
  at: '2026-11-26T10:00:00.000Z',
  action,
  actor: 'test',
  before: null,
  after: summary({ ...phase1, phase: n, state, shipped: null }),
});
const counts = (...pairs: [number, number][]) => pairs.map(([shown, liked]) => ({ shown, liked }));

describe.each([
  ['memory', () => createMemoryStore()],
  [
    'redis',
    () => createRedisStore({ target: { kind: 'url', url: redis.url }, logger: silentLogger() }),
  ],
] as const)('ExperimentStore contract: %s', (kind, make) => {
  let store: ExperimentStore;
  beforeEach(async () => {
    store = make();
    await eventually(() => store.ping());
    await store.initialize(phase1, entry('initialize'));
  });
  afterEach(async () => {
    await store.close();
    if (kind === 'redis') {
      const client = new Redis(redis.url);
      await client.flushall();
      await client.quit();
    }
  });

  const show = async (variant = 'hello', phase = 1, ttl = 60) => {
    const id = newImpressionId();
    const result = await store.recordImpression(phase, NAMES, variant, id, ttl);
    return { id, result };
  };

  it('when initialized twice, then there is one phase 1 and one audit entry', async () => {
    await store.initialize({ ...phase1, policy: 'thompson' }, entry('initialize'));
    const current = await store.current();
    expect(current).toMatchObject({
      phase: 1,
      state: 'running',
      policy: 'epsilon-greedy',
      shipped: null,
      endedAt: null,
    });
    expect(current.counts).toEqual(counts([0, 0], [0, 0]));
    expect(await store.audit({ limit: 100 })).toHaveLength(1);
  });

  it('when impressions are recorded, then the fresh counts come back and stay', async () => {
    await show('howdy');
    const { result } = await show('howdy');
    expect(result).toEqual(counts([0, 0], [2, 0]));
    expect((await store.current()).counts).toEqual(result);
  });

  it('when many impressions and Likes arrive at once (one turn of the event loop: Redis gets them pipelined), then each gets its own answer and none is lost or counted twice', async () => {
    let shown = 0;
    for (let round = 0; round < 10; round++) {
      const batch = await Promise.all(Array.from({ length: 40 }, () => show('howdy')));
      const totals = batch.map(({ result }) => (result === 'stale' ? -1 : result[1]!.shown));
      // Every impression saw the count just after its own: 41..80, 81..120, ...
      expect([...totals].sort((a, b) => a - b)).toEqual(
        Array.from({ length: 40 }, (_, i) => shown + i + 1),
      );
      shown += 40;
      const liked = await Promise.all(batch.slice(0, 5).map(({ id }) => store.like(id, 1)));
      expect(liked.map((l) => (l === 'stale' ? l : l.status))).toEqual(Array(5).fill('liked'));
    }
    expect((await store.current()).counts).toEqual(counts([0, 0], [400, 50]));
  });

  it('when an impression is liked, then its variant gets one Like, once, and its status says so', async () => {
    const { id } = await show('hello');
    await expect(store.impressionStatus(id)).resolves.toEqual({
      status: 'pending',
      phase: 1,
      variant: 'hello',
    });
    await expect(store.like(id, 1)).resolves.toEqual({
      status: 'liked',
      phase: 1,
      variant: 'hello',
    });
    await expect(store.like(id, 1)).resolves.toEqual({
      status: 'used',
      phase: 1,
      variant: 'hello',
    });
    await expect(store.impressionStatus(id)).resolves.toEqual({
      status: 'liked',
      phase: 1,
      variant: 'hello',
    });
    expect((await store.current()).counts).toEqual(counts([1, 1], [0, 0]));
  });

  it('when the impression is unknown or expired, then nothing is counted', async () => {
    await expect(store.like(newImpressionId(), 1)).resolves.toEqual({ status: 'unknown' });
    const { id } = await show('hello', 1, 1);
    await new Promise((r) => setTimeout(r, 1100));
    await expect(store.like(id, 1)).resolves.toEqual({ status: 'unknown' });
    await expect(store.impressionStatus(id)).resolves.toEqual({ status: 'unknown' });
    expect((await store.current()).counts).toEqual(counts([1, 0], [0, 0]));
  });

  it.each([0, 1.5, -3, Number.NaN])(
    'when the TTL is %p, then the write is refused and nothing is counted',
    async (ttl) => {
      await expect(
        store.recordImpression(1, NAMES, 'hello', newImpressionId(), ttl),
      ).rejects.toThrow(/whole number/);
      expect((await store.current()).counts).toEqual(counts([0, 0], [0, 0]));
    },
  );

  it('when the same impression is liked many times at once, then exactly one counts', async () => {
    const { id } = await show('howdy');
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => store.like(id, 1)));
    expect(outcomes.filter((o) => o !== 'stale' && o.status === 'liked')).toHaveLength(1);
    expect((await store.current()).counts).toEqual(counts([0, 0], [1, 1]));
  });

  it('when the phase is paused, then impressions are stale and Likes are refused, using nothing up', async () => {
    const { id } = await show('hello');
    expect(
      await store.transition(
        { phase: 1, state: 'running' },
        { kind: 'state', state: 'paused', shipped: null },
        entry('pause', 1, 'paused'),
      ),
    ).toEqual({ kind: 'done' });
    expect((await show('hello')).result).toBe('stale');
    await expect(store.like(id, 1)).resolves.toEqual({
      status: 'paused',
      phase: 1,
      variant: 'hello',
    });
    expect(
      await store.transition(
        { phase: 1, state: 'paused' },
        { kind: 'state', state: 'running', shipped: null },
        entry('resume'),
      ),
    ).toEqual({ kind: 'done' });
    await expect(store.like(id, 1)).resolves.toEqual({
      status: 'liked',
      phase: 1,
      variant: 'hello',
    });
    expect((await store.current()).counts).toEqual(counts([1, 1], [0, 0]));
  });

  it('when a new phase starts, then counts start at zero, the old phase keeps its numbers, and its Likes are refused', async () => {
    const { id } = await show('howdy');
    await store.like((await show('howdy')).id, 1);
    const phase2: PhaseDefinition = {
      ...phase1,
      phase: 2,
      policy: 'thompson',
      variants: [
        { name: 'hi', template: 'Hi {name}' },
        { name: 'yo', template: 'Yo {name}' },
      ],
    };
    const ok = await store.transition(
      { phase: 1, state: 'running' },
      { kind: 'start', definition: phase2, endedAt: '2026-11-26T11:00:00.000Z' },
      entry('start', 2),
    );
    expect(ok).toEqual({ kind: 'done' });
    const current = await store.current();
    expect(current).toMatchObject({
      phase: 2,
      state: 'running',
      policy: 'thompson',
      endedAt: null,
    });
    expect(current.counts).toEqual(counts([0, 0], [0, 0]));
    await expect(store.like(id, 2)).resolves.toEqual({
      status: 'ended',
      phase: 1,
      variant: 'howdy',
    });
    // A replica that has not yet heard of phase 2 is told its phase is stale; nothing is written.
    expect((await show('howdy', 1)).result).toBe('stale');
    await expect(store.like(id, 1)).resolves.toEqual({
      status: 'ended',
      phase: 1,
      variant: 'howdy',
    });
    const all = await store.phases({ limit: 100 });
    expect(all.map((p) => [p.phase, p.endedAt])).toEqual([
      [2, null],
      [1, '2026-11-26T11:00:00.000Z'],
    ]);
    expect(all[1]!.counts).toEqual(counts([0, 0], [2, 1]));
  });

  it('when a transition expects a phase or state that is no longer current, then nothing changes and no audit entry is added', async () => {
    const before = await store.audit({ limit: 100 });
    expect(
      await store.transition(
        { phase: 1, state: 'paused' },
        { kind: 'state', state: 'running', shipped: null },
        entry('resume'),
      ),
    ).toEqual({ kind: 'stale' });
    expect(
      await store.transition(
        { phase: 7, state: 'running' },
        { kind: 'state', state: 'paused', shipped: null },
        entry('pause'),
      ),
    ).toEqual({ kind: 'stale' });
    expect(await store.audit({ limit: 100 })).toEqual(before);
    expect((await store.current()).state).toBe('running');
  });

  it('when a variant is shipped, then the state says so, and each action added exactly one audit entry, newest first', async () => {
    expect(
      await store.transition(
        { phase: 1, state: 'running' },
        { kind: 'state', state: 'shipped', shipped: 'howdy' },
        entry('ship', 1, 'shipped'),
      ),
    ).toEqual({ kind: 'done' });
    expect(await store.current()).toMatchObject({ state: 'shipped', shipped: 'howdy' });
    expect((await store.audit({ limit: 100 })).map((e) => e.action)).toEqual([
      'ship',
      'initialize',
    ]);
  });

  // Presenter mode: the live view hears every replica's changes. Memory: one
  // process, so the replica is the store itself; Redis: a second store on it.
  const replicaOf = (own: ExperimentStore) => (kind === 'memory' ? own : make());
  const heard = (target: ExperimentStore) => {
    const changes: ExperimentChange[] = [];
    const stop = target.subscribe((change) => changes.push(change));
    return { changes, stop };
  };

  it("when one replica announces changes, then every subscriber hears each of them, its own replica's too", async () => {
    const other = replicaOf(store);
    const here = heard(store);
    const there = heard(other);
    // A subscription that has just begun may miss what is said at that moment:
    // say something until it is heard, then count from there.
    await eventually(async () => {
      store.announce({ kind: 'phase', phase: 1, at: 'warm-up' });
      await new Promise((r) => setTimeout(r, 20));
      expect(there.changes.length).toBeGreaterThan(0);
    });
    here.changes.length = 0;
    there.changes.length = 0;
    const sent: ExperimentChange[] = [];
    for (let i = 0; i < 50; i++) {
      const change: ExperimentChange =
        i % 2 === 0
          ? {
              kind: 'shown',
              phase: 1,
              variant: 'hello',
              strategy: 'explore',
              name: `Ann ${i}`,
              at: `t${i}`,
            }
          : { kind: 'liked', phase: 1, variant: 'howdy', at: `t${i}` };
      sent.push(change);
      (i % 3 === 0 ? other : store).announce(change);
    }
    await eventually(async () => {
      expect(there.changes.filter((c) => c.at !== 'warm-up')).toHaveLength(50);
      expect(here.changes.filter((c) => c.at !== 'warm-up')).toHaveLength(50);
    });
    const byTime = (list: ExperimentChange[]) => [...list].sort((p, q) => p.at.localeCompare(q.at));
    expect(byTime(there.changes.filter((c) => c.at !== 'warm-up'))).toEqual(byTime(sent));
    here.stop();
    there.stop();
    if (other !== store) await other.close();
  });

  it('when a subscriber stops, then it hears nothing more, while the others still do', async () => {
    const other = replicaOf(store);
    const stays = heard(other);
    const leaves = heard(other);
    await eventually(async () => {
      store.announce({ kind: 'phase', phase: 1, at: 'warm-up' });
      await new Promise((r) => setTimeout(r, 20));
      expect(stays.changes.length).toBeGreaterThan(0);
    });
    leaves.stop();
    const before = leaves.changes.length;
    store.announce({ kind: 'phase', phase: 2, at: 'after' });
    await eventually(async () => {
      expect(stays.changes.some((c) => c.at === 'after')).toBe(true);
    });
    expect(leaves.changes).toHaveLength(before);
    stays.stop();
    if (other !== store) await other.close();
  });

  it('when requests claim one idempotency key, then one holds it, the others see it in progress, and a kept outcome answers after', async () => {
    const claims = await Promise.all(
      Array.from({ length: 10 }, () => store.claim('k1', 'print-a', 5)),
    );
    expect(claims.filter((c) => c.kind === 'claimed')).toHaveLength(1);
    expect(claims.filter((c) => c.kind === 'in_progress')).toEqual(
      Array(9).fill({ kind: 'in_progress', fingerprint: 'print-a' }),
    );
    const outcome = { fingerprint: 'print-a', status: 409, body: { reason: 'stale' } };
    await store.keep('k1', outcome);
    expect(await store.claim('k1', 'print-a', 5)).toEqual({ kind: 'kept', outcome });
    // A transition that keeps its outcome lets the key's hold go in the same step.
    expect(await store.claim('k2', 'print-b', 5)).toEqual({ kind: 'claimed' });
    const done = { fingerprint: 'print-b', status: 200, body: { phase: 1 } };
    await store.transition(
      { phase: 1, state: 'running' },
      { kind: 'state', state: 'paused', shipped: null },
      entry('pause', 1, 'paused'),
      { key: 'k2', done, stale: { ...done, status: 409 } },
    );
    expect(await store.claim('k2', 'print-b', 5)).toEqual({ kind: 'kept', outcome: done });
    // Released with nothing kept: the next request may act.
    expect(await store.claim('k3', 'print-c', 5)).toEqual({ kind: 'claimed' });
    await store.release('k3');
    expect(await store.claim('k3', 'print-c', 5)).toEqual({ kind: 'claimed' });
  });
});

describe('memory store bounds', () => {
  it('when more impressions are shown than it keeps, then the oldest go first and the counts stay whole', async () => {
    const store = createMemoryStore(Date.now, 10);
    await store.initialize(phase1, entry('initialize'));
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const id = newImpressionId();
      ids.push(id);
      await store.recordImpression(1, NAMES, 'hello', id, 60);
    }
    await expect(store.impressionStatus(ids[0]!)).resolves.toEqual({ status: 'unknown' });
    await expect(store.impressionStatus(ids[24]!)).resolves.toMatchObject({ status: 'pending' });
    await expect(store.like(ids[24]!, 1)).resolves.toMatchObject({ status: 'liked' });
    expect((await store.current()).counts).toEqual(counts([25, 1], [0, 0]));
  });
});
