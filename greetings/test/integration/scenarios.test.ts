import {
  createNullMetrics,
  scenariosOff,
  silentLogger,
  type GraphiteEvent,
  type ScenarioState,
} from '@friendly-calculator/common';
import { startRedisServer, type RedisServer } from '@friendly-calculator/common/testing';
import request from './checked-request';
import { buildGreetings } from '../../src/compose';
import { loadGreetingsConfig } from '../../src/config';
import { eventually } from './harness';

const TOKEN = 'scenario-test-token-0123456789';

describe('greetings under the scenario flags, on a real Redis', () => {
  let redis: RedisServer;
  const built: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await Promise.all(built.map((b) => b.close()));
    await redis.stop();
  });
  /** The scenarios on now, for the greetings built last (a test may switch them off). */
  const current: ScenarioState[] = [];
  /** A greetings whose store is connected and has phase 1 before the scenario starts. */
  const greetings = async (on: ScenarioState[], events: GraphiteEvent[] = []) => {
    current.length = 0;
    const g = buildGreetings(
      loadGreetingsConfig({
        AWESOME_APP_URL: 'http://localhost:5000',
        REDIS_URL: redis.url,
        ADMIN_TOKEN: TOKEN,
      }),
      {
        logger: silentLogger(),
        metrics: createNullMetrics(),
        scenarios: { ...scenariosOff, on: (flag) => current.find((s) => s.flag === flag) },
        events: async (event) => {
          events.push(event);
          return true;
        },
      },
    );
    built.push(g);
    await eventually(async () => {
      await g.warmUp();
    });
    current.push(...on);
    return g;
  };
  const greet = async (app: Awaited<ReturnType<typeof greetings>>['app']) => {
    const start = Date.now();
    const res = await request(app)
      .get('/greeting/Bob')
      .set('accept', 'application/json')
      .expect(200);
    return { ms: Date.now() - start, strategy: (res.body as { strategy: string }).strategy };
  };

  it('when greetingsStoreSlow 2s is on, then a greeting falls back at the store timeout, well within a second', async () => {
    const slow = await greetings([{ flag: 'greetingsStoreSlow', variant: '2s', value: 2000 }]);
    const { ms, strategy } = await greet(slow.app);
    expect(strategy).toBe('fallback');
    expect(ms).toBeGreaterThanOrEqual(490);
    expect(ms).toBeLessThan(1000);
  });

  it('when greetingsStoreSlow 200ms is on, then the greeting is counted as usual, only later', async () => {
    const slow = await greetings([{ flag: 'greetingsStoreSlow', variant: '200ms', value: 200 }]);
    const { ms, strategy } = await greet(slow.app);
    expect(['explore', 'exploit']).toContain(strategy);
    expect(ms).toBeGreaterThanOrEqual(200);
  });

  it('when greetingsLikeErrors 100% is on, then greetings go on but a Like is refused with 503, nothing counted; off, the same Like counts', async () => {
    const g = await greetings([{ flag: 'greetingsLikeErrors', variant: '100%', value: 1 }]);
    const shown = await request(g.app)
      .get('/greeting/Bob')
      .set('accept', 'application/json')
      .expect(200);
    const { impression, strategy } = shown.body as { impression: string; strategy: string };
    expect(strategy).not.toBe('fallback');
    const like = () =>
      request(g.app).post('/like_greeting').set('accept', 'application/json').send({ impression });
    const refused = await like().expect(503);
    expect(refused.body).toMatchObject({ reason: 'unavailable' });
    const liked = async () =>
      (
        (await request(g.app).get('/stats').expect(200)).body as { variants: { liked: number }[] }
      ).variants.reduce((sum, v) => sum + v.liked, 0);
    expect(await liked()).toBe(0);
    current.length = 0;
    await like().expect(200);
    expect(await liked()).toBe(1);
  });

  it('when a phase action succeeds, then one Graphite event names it (tags experiment and the action); a refused one or a replay posts none', async () => {
    const events: GraphiteEvent[] = [];
    const { app } = await greetings([], events);
    const admin = (path: string, body: object, key = `key-${Math.random()}`) =>
      request(app)
        .post(path)
        .set('Authorization', `Bearer ${TOKEN}`)
        .set('Idempotency-Key', key)
        .send(body);
    await admin('/admin/experiments/current/pause', { ifPhase: 1 }).expect(200);
    await admin('/admin/experiments/current/pause', { ifPhase: 1 }).expect(409);
    await admin('/admin/experiments/current/resume', { ifPhase: 1 }).expect(200);
    const start = {
      ifPhase: 1,
      variants: [
        { name: 'hello', template: 'Hello {name}' },
        { name: 'hey', template: 'Hey {name}' },
      ],
    };
    const started = await admin('/admin/experiments', start, 'start-once').expect(201);
    const replayed = await admin('/admin/experiments', start, 'start-once').expect(201);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    const phase = (started.body as { phase: number }).phase;
    // Not named best yet (no data): refused, then shipped anyway.
    await admin('/admin/experiments/current/ship', { variant: 'hey', ifPhase: phase }).expect(409);
    await admin('/admin/experiments/current/ship', {
      variant: 'hey',
      force: true,
      ifPhase: phase,
    }).expect(200);
    expect(events.map((e) => [e.what, e.tags])).toEqual([
      [`phase ${phase - 1} paused`, ['experiment', 'pause']],
      [`phase ${phase - 1} resumed`, ['experiment', 'resume']],
      [`phase ${phase} started`, ['experiment', 'start']],
      [`phase ${phase} shipped hey`, ['experiment', 'ship']],
    ]);
  });
});
