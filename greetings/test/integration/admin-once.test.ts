import { startRedisServer, type RedisServer } from '@friendly-calculator/common/testing';
import { Redis } from 'ioredis';
import request from './checked-request';
import type { Express } from 'express';
import { Refusal } from '../../src/http/schemas';
import { emptyRedis, eventually, greetingsApp } from './harness';

// Every admin action happens once, or says it may have: ifPhase, the
// Idempotency-Key, the stale guard in the store's one atomic step, and the
// uncertain answer when Redis does not answer in time (CLIENT PAUSE).
const TOKEN = 'test-admin-token-0123456789';
const bearer = `Bearer ${TOKEN}`;
const NEW_PHASE = {
  variants: [
    { name: 'hi', template: 'Hi {name}' },
    { name: 'yo', template: 'Yo {name}' },
  ],
};

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.stop());

const flush = emptyRedis;
const post = (app: Express, path: string, body: object = {}, key?: string) => {
  const req = request(app)
    .post(path)
    .set('Authorization', bearer)
    .set('Accept', 'application/json');
  if (key !== undefined) req.set('Idempotency-Key', key);
  // The phase the action is meant for (required): phase 1 unless the test names another.
  return req.send({ ifPhase: 1, ...body });
};
const auditOf = async (app: Express) =>
  (await request(app).get('/admin/audit').set('Authorization', bearer).expect(200)).body
    .entries as { action: string; force?: boolean }[];

describe.each([
  ['in memory', () => ({})],
  ['on Redis', () => ({ REDIS_URL: redis.url })],
])('admin actions %s', (_label, env) => {
  let greetings: ReturnType<typeof greetingsApp>;
  let app: Express;
  beforeEach(async () => {
    await flush(redis.url);
    greetings = greetingsApp({ ...env(), ADMIN_TOKEN: TOKEN });
    app = greetings.app;
    await eventually(() => greetings.store.ping());
  });
  afterEach(() => greetings.close());

  it('when 10 starts from one intention (ifPhase 1) come at once, then one phase starts and nine are 409 stale', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        post(app, '/admin/experiments', { ...NEW_PHASE, ifPhase: 1 }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, ...Array<number>(9).fill(409)]);
    for (const a of answers.filter((a) => a.status === 409))
      expect(Refusal.parse(a.body).reason).toBe('stale');
    expect((await request(app).get('/stats').expect(200)).body.phase).toBe(2);
    expect((await auditOf(app)).map((e) => e.action)).toEqual(['start', 'initialize']);
  });

  it('when an action names a phase that is not current, then 409 stale and nothing changes', async () => {
    await post(app, '/admin/experiments', { ...NEW_PHASE, ifPhase: 1 }).expect(201);
    for (const [path, body] of [
      ['/admin/experiments/current/pause', { ifPhase: 1 }],
      ['/admin/experiments/current/ship', { variant: 'hi', ifPhase: 1, force: true }],
      ['/admin/experiments', { ...NEW_PHASE, ifPhase: 1 }],
    ] as const) {
      const res = await post(app, path, body).expect(409);
      expect(res.body).toMatchObject({ reason: 'stale' });
      expect(res.body.error).toMatch(
        /meant for phase 1, but phase 2 is current: nothing was changed/,
      );
    }
    await post(app, '/admin/experiments/current/pause', { ifPhase: 'two' }).expect(400);
    expect((await request(app).get('/stats')).body).toMatchObject({ phase: 2, state: 'running' });
    expect(await auditOf(app)).toHaveLength(2);
  });

  it('when an action is repeated with its Idempotency-Key, then the first answer comes back, marked replayed, and nothing acts twice', async () => {
    const first = await post(app, '/admin/experiments', NEW_PHASE, 'start-1').expect(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await post(app, '/admin/experiments', NEW_PHASE, 'start-1').expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    // Keys order and the token field do not make it another request.
    await post(app, '/admin/experiments', { variants: NEW_PHASE.variants }, 'start-1').expect(201);
    expect((await request(app).get('/stats')).body.phase).toBe(2);

    const reused = await post(app, '/admin/experiments/current/pause', {}, 'start-1').expect(422);
    expect(Refusal.parse(reused.body).reason).toBe('key_reused');
    expect((await request(app).get('/stats')).body.state).toBe('running');

    // Concurrent repeats of one key: one action, the same answer for all.
    const pauses = await Promise.all(
      Array.from({ length: 6 }, () =>
        post(app, '/admin/experiments/current/pause', { ifPhase: 2 }, 'pause-1'),
      ),
    );
    expect(pauses.map((p) => p.status)).toEqual(Array<number>(6).fill(200));
    expect((await auditOf(app)).map((e) => e.action)).toEqual(['pause', 'start', 'initialize']);
    await post(app, '/admin/experiments/current/pause', {}, 'x'.repeat(256)).expect(400);
  });

  it('when a variant the stopping rule has not named best is shipped, then 409 not_best unless forced, and the audit says forced', async () => {
    const refused = await post(app, '/admin/experiments/current/ship', { variant: 'hello' }).expect(
      409,
    );
    expect(Refusal.parse(refused.body).reason).toBe('not_best');
    expect(refused.body.error).toMatch(/has not named a best variant yet/);
    expect(await auditOf(app)).toHaveLength(1);
    await post(app, '/admin/experiments/current/ship', { variant: 'hello', force: 'yes' }).expect(
      400,
    );
    await post(app, '/admin/experiments/current/ship', {
      variant: 'hello',
      force: true,
      ifPhase: 1,
    }).expect(200);
    expect((await auditOf(app))[0]).toMatchObject({ action: 'ship', force: true });
  });

  it('when the page’s forms post anything (done, stale, refused), then each answers 303 to /admin, and the page shows the outcome', async () => {
    const form = (path: string, fields: Record<string, string>) =>
      request(app).post(path).set('Authorization', bearer).type('form').send(fields).expect(303);
    const page = async (location: string) => {
      expect(location).toMatch(/^\/admin\?notice=/);
      const res = await request(app).get(location).set('Authorization', bearer).expect(200);
      return /id="admin-notice"[^>]*>([^<]*)</.exec(res.text)?.[1];
    };
    const done = await form('/admin/experiments/current/pause', { ifPhase: '1' });
    expect(await page(done.headers.location!)).toMatch(/^Phase 1 paused/);
    const refused = await form('/admin/experiments/current/pause', { ifPhase: '1' });
    expect(await page(refused.headers.location!)).toBe('Phase 1 is paused already');
    const stale = await form('/admin/experiments/current/resume', { ifPhase: '7' });
    expect(await page(stale.headers.location!)).toMatch(
      /meant for phase 7, but phase 1 is current/,
    );
    const guarded = await form('/admin/experiments/current/resume', { ifPhase: '1' });
    await page(guarded.headers.location!);
    const ship = await form('/admin/experiments/current/ship', { ifPhase: '1', variant: 'howdy' });
    expect(await page(ship.headers.location!)).toMatch(/has not named a best variant yet/);
    const forced = await form('/admin/experiments/current/ship', {
      ifPhase: '1',
      variant: 'howdy',
      force: 'true',
    });
    expect(await page(forced.headers.location!)).toMatch(/^Phase 1 shipped/);
    expect((await auditOf(app)).map((e) => e.action)).toEqual([
      'ship',
      'resume',
      'pause',
      'initialize',
    ]);
  });
});

describe('two replicas on one Redis', () => {
  it('when 10 starts from one intention reach both at once, then exactly one phase starts', async () => {
    await flush(redis.url);
    const env = { REDIS_URL: redis.url, ADMIN_TOKEN: TOKEN };
    const [a, b] = [greetingsApp(env), greetingsApp(env)];
    try {
      await eventually(() => a.store.ping());
      await eventually(() => b.store.ping());
      await request(a.app).get('/stats').expect(200); // phase 1 exists, read by both
      await request(b.app).get('/stats').expect(200);
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          post((i % 2 ? a : b).app, '/admin/experiments', { ...NEW_PHASE, ifPhase: 1 }),
        ),
      );
      expect(answers.map((r) => r.status).sort()).toEqual([201, ...Array<number>(9).fill(409)]);
      const { body } = await request(b.app).get('/experiments').expect(200);
      const phases = (body as { experiments: { phase: number }[] }).experiments;
      expect(phases.map((p) => p.phase)).toEqual([2, 1]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('an Idempotency-Key on two replicas of one Redis', () => {
  it('when the retry reaches the other replica, then it answers the kept outcome, kept for at least 24 h', async () => {
    await flush(redis.url);
    const env = { REDIS_URL: redis.url, ADMIN_TOKEN: TOKEN };
    const [a, b] = [greetingsApp(env), greetingsApp(env)];
    const client = new Redis(redis.url);
    try {
      await eventually(() => a.store.ping());
      await eventually(() => b.store.ping());
      const first = await post(a.app, '/admin/experiments', NEW_PHASE, 'shared-key').expect(201);
      const retry = await post(b.app, '/admin/experiments', NEW_PHASE, 'shared-key').expect(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body).toEqual(first.body);
      await post(b.app, '/admin/experiments/current/pause', {}, 'shared-key').expect(422);
      const [key] = await client.keys('greetings:idempotency:*');
      expect(await client.ttl(key!)).toBeGreaterThan(24 * 60 * 60 - 60);
      expect((await auditOf(b.app)).map((e) => e.action)).toEqual(['start', 'initialize']);
    } finally {
      await client.quit();
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('when Redis does not answer in time (CLIENT PAUSE 3000 WRITE)', () => {
  let greetings: ReturnType<typeof greetingsApp>;
  let control: Redis;
  beforeEach(async () => {
    await flush(redis.url);
    control = new Redis(redis.url);
    greetings = greetingsApp({ REDIS_URL: redis.url, ADMIN_TOKEN: TOKEN });
    await eventually(() => greetings.store.ping());
    await request(greetings.app).get('/stats').expect(200);
  });
  afterEach(async () => {
    await control.call('CLIENT', 'UNPAUSE');
    await control.quit();
    await greetings.close();
  });

  it('then the action is 503 uncertain with Retry-After; it did happen, once: the retry finds it done', async () => {
    await control.call('CLIENT', 'PAUSE', 3000, 'WRITE');
    const res = await post(greetings.app, '/admin/experiments/current/pause').expect(503);
    expect(Refusal.parse(res.body).reason).toBe('uncertain');
    expect(res.body.error).toMatch(/may or may not have happened.*same Idempotency-Key is safe/);
    expect(res.body.error).not.toMatch(/[Nn]othing was changed/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    // Once Redis writes again, the paused script runs: the action did happen.
    await eventually(async () => {
      expect((await request(greetings.app).get('/stats').expect(200)).body.state).toBe('paused');
    }, 8000);
    const retry = await post(greetings.app, '/admin/experiments/current/pause');
    expect(retry.status).toBe(409);
    expect((await auditOf(greetings.app)).map((e) => e.action)).toEqual(['pause', 'initialize']);
  }, 20_000);

  it('with an Idempotency-Key, then the key cannot be held: 503, nothing was changed, and a retry acts once', async () => {
    await control.call('CLIENT', 'PAUSE', 3000, 'WRITE');
    const res = await post(greetings.app, '/admin/experiments/current/pause', {}, 'pause-k');
    expect(res.status).toBe(503);
    expect(Refusal.parse(res.body).reason).toBe('unavailable');
    await control.call('CLIENT', 'UNPAUSE');
    expect((await request(greetings.app).get('/stats').expect(200)).body.state).toBe('running');
    // The key's hold (taken once Redis wrote again) runs out in seconds; then the retry acts.
    await eventually(async () => {
      const retry = await post(greetings.app, '/admin/experiments/current/pause', {}, 'pause-k');
      expect(retry.status).toBe(200);
    }, 15_000);
    const again = await post(greetings.app, '/admin/experiments/current/pause', {}, 'pause-k');
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect((await auditOf(greetings.app)).map((e) => e.action)).toEqual(['pause', 'initialize']);
  }, 30_000);

  it('then a form post lands back on the page, which says it may have happened', async () => {
    await control.call('CLIENT', 'PAUSE', 3000, 'WRITE');
    const res = await request(greetings.app)
      .post('/admin/experiments/current/pause')
      .set('Authorization', bearer)
      .type('form')
      .send({ ifPhase: '1' })
      .expect(303);
    expect(res.headers.location).toBe('/admin?outcome=uncertain');
    await control.call('CLIENT', 'UNPAUSE');
    const page = await request(greetings.app)
      .get(res.headers.location!)
      .set('Authorization', bearer)
      .expect(200);
    expect(page.text).toContain('may or may not have happened');
  }, 20_000);
});

describe('when Redis is down', () => {
  it('then the action is 503 unavailable: nothing was changed, certainly', async () => {
    const own = await startRedisServer();
    const greetings = greetingsApp({ REDIS_URL: own.url, ADMIN_TOKEN: TOKEN });
    try {
      await eventually(() => greetings.store.ping());
      await own.kill();
      const res = await post(greetings.app, '/admin/experiments/current/pause', {}, 'k').expect(
        503,
      );
      expect(Refusal.parse(res.body).reason).toBe('unavailable');
      expect(res.body.error).toMatch(/Nothing was changed/);
      expect(res.headers['retry-after']).toBeDefined();
      await own.restart();
    } finally {
      await greetings.close();
      await own.stop();
    }
  });
});
