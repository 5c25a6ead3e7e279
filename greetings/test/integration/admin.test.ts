import { startRedisServer, type RedisServer } from '@friendly-calculator/common/testing';
import request from './checked-request';
import { freshGreetings, greetingsApp } from './harness';

const TOKEN = 'test-admin-token-0123456789';
const bearer = `Bearer ${TOKEN}`;

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.stop());

describe('when ADMIN_TOKEN is not set', () => {
  it.each([
    ['get', '/admin'],
    ['get', '/admin/audit'],
    ['post', '/admin/experiments'],
    ['post', '/admin/experiments/current/pause'],
  ] as const)('then %s %s is a 404 that says how to enable it', async (method, path) => {
    const greetings = greetingsApp();
    const { app } = greetings;
    const agent = request(app);
    const res = await (method === 'get' ? agent.get(path) : agent.post(path))
      .set('Authorization', bearer)
      .expect(404);
    expect(res.text).toMatch(/set ADMIN_TOKEN/);
    await greetings.close();
  });
});

describe.each([
  ['in memory', () => ({})],
  ['on Redis', () => ({ REDIS_URL: redis.url })],
])('the admin API %s', (_label, env) => {
  let greetings: ReturnType<typeof greetingsApp>;
  beforeEach(async () => {
    greetings = await freshGreetings(redis.url, { ...env(), ADMIN_TOKEN: TOKEN });
  });
  afterEach(() => greetings.close());

  const api = () => request(greetings.app);
  const post = (path: string, body: object = {}) =>
    api()
      .post(path)
      .set('Authorization', bearer)
      .set('Accept', 'application/json')
      // The phase the action is meant for (required): these tests act on phase 1.
      .send({ ifPhase: 1, ...body });
  const audit = async () =>
    (await api().get('/admin/audit').set('Authorization', bearer).expect(200)).body.entries as {
      action: string;
      actor: string;
      before: { phase: number; state: string } | null;
      after: { phase: number; state: string; shipped: string | null };
    }[];
  const show = async () =>
    (await api().get('/greeting/Bob').set('Accept', 'application/json').expect(200)).body as {
      greeting: string;
      variant: string;
      strategy: string;
      impression: string | null;
    };

  it('when the token is missing, then 401; when it is wrong, then 403; neither changes anything', async () => {
    await api().post('/admin/experiments/current/pause').send({}).expect(401);
    const wrong = await api()
      .post('/admin/experiments/current/pause')
      .set('Authorization', 'Bearer wrong-token-wrong-token')
      .send({})
      .expect(403);
    expect(wrong.headers['www-authenticate']).toMatch(/^Bearer/);
    await api().get('/admin/audit').set('Authorization', 'Basic abc').expect(403);
    await api().get('/admin/audit').expect(401);
    expect((await api().get('/stats').expect(200)).body.state).toBe('running');
    expect((await audit()).map((e) => e.action)).toEqual(['initialize']);
  });

  it('when paused, then everyone sees the control with nothing to like; resumed, the bandit chooses again', async () => {
    const before = await show();
    const paused = await post('/admin/experiments/current/pause', { actor: 'Ada' }).expect(200);
    expect(paused.body).toMatchObject({ phase: 1, state: 'paused' });
    for (let i = 0; i < 5; i++)
      expect(await show()).toMatchObject({
        greeting: 'Hello Bob',
        variant: 'hello',
        strategy: 'paused',
        impression: null,
      });
    // A Like for a greeting shown before the pause is refused, and not used up.
    const refused = await api()
      .post('/like_greeting')
      .send({ impression: before.impression })
      .expect(409);
    expect(refused.body.reason).toBe('paused');
    await post('/admin/experiments/current/resume', { actor: 'Ada' }).expect(200);
    await api().post('/like_greeting').send({ impression: before.impression }).expect(200);
    expect((await show()).impression).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const stats = (await api().get('/stats').expect(200)).body as {
      variants: { shown: number; liked: number }[];
    };
    expect(stats.variants.reduce((n, v) => n + v.shown, 0)).toBe(2);
    expect(stats.variants.reduce((n, v) => n + v.liked, 0)).toBe(1);
    expect((await audit()).map((e) => [e.action, e.actor])).toEqual([
      ['resume', 'Ada'],
      ['pause', 'Ada'],
      ['initialize', 'configuration'],
    ]);
  });

  it('when a variant is shipped, then everyone sees it and the counts are frozen', async () => {
    await show();
    // Nothing is called best after one showing: shipping it is refused unless forced.
    const guarded = await post('/admin/experiments/current/ship', { variant: 'howdy' }).expect(409);
    expect(guarded.body).toMatchObject({ reason: 'not_best' });
    expect((await audit()).map((e) => e.action)).toEqual(['initialize']);
    const shipped = await post('/admin/experiments/current/ship', {
      variant: 'howdy',
      force: true,
    }).expect(200);
    expect(shipped.body).toMatchObject({ state: 'shipped', shipped: 'howdy' });
    const frozen = (await api().get('/stats')).body.variants;
    for (let i = 0; i < 5; i++)
      expect(await show()).toMatchObject({
        greeting: 'Howdy Bob',
        strategy: 'shipped',
        impression: null,
      });
    expect((await api().get('/stats')).body.variants).toEqual(frozen);
    // Shipped is final for the phase: no pause, no resume, no second ship.
    for (const action of ['pause', 'resume']) {
      const res = await post(`/admin/experiments/current/${action}`).expect(409);
      expect(res.body.error).toMatch(/has shipped "howdy"/);
    }
    expect((await audit()).map((e) => e.action)).toEqual(['ship', 'initialize']);
    expect((await audit())[0]).toMatchObject({ action: 'ship', force: true });
  });

  it('when a new phase starts, then counts start at zero, phase 1 keeps its numbers, and its greetings cannot be liked', async () => {
    const old = await show();
    const started = await post('/admin/experiments', {
      variants: [
        { name: 'hi', template: 'Hi {name}!' },
        { name: 'ahoy', template: 'Ahoy, {name} <3' },
        { name: 'hey', template: 'Hey {name}' },
      ],
      policy: 'thompson',
      actor: 'Grace',
    }).expect(201);
    expect(started.body).toMatchObject({
      phase: 2,
      state: 'running',
      policy: 'thompson',
      best: null,
    });
    expect((started.body.variants as { shown: number }[]).map((v) => v.shown)).toEqual([0, 0, 0]);
    const fresh = await show();
    expect(['Hi Bob!', 'Ahoy, Bob <3', 'Hey Bob']).toContain(fresh.greeting);
    const ended = await api()
      .post('/like_greeting')
      .set('Accept', 'text/plain')
      .send({ impression: old.impression })
      .expect(410);
    expect(ended.body).toMatchObject({ reason: 'ended' });
    const all = (await api().get('/experiments').expect(200)).body.experiments as {
      phase: number;
      endedAt: string | null;
      variants: { shown: number }[];
    }[];
    expect(all.map((p) => p.phase)).toEqual([2, 1]);
    expect(all[1]!.endedAt).not.toBeNull();
    expect(all[1]!.variants.reduce((n, v) => n + v.shown, 0)).toBe(1);
    const [entry] = await audit();
    expect(entry).toMatchObject({
      action: 'start',
      actor: 'Grace',
      before: { phase: 1, state: 'running' },
      after: { phase: 2, state: 'running' },
    });
  });

  it.each([
    [{}, /variants: expected a list/],
    [{ variants: [{ name: 'a', template: 'A {name}' }] }, /expected 2 to 8 variants/],
    [
      {
        variants: [
          { name: 'a', template: 'A' },
          { name: 'b', template: 'B {name}' },
        ],
      },
      /variants\[0\]\.template: must contain \{name\} exactly once/,
    ],
    [
      {
        variants: [
          { name: 'a', template: 'A {name}' },
          { name: 'b', template: 'B {name}' },
        ],
        epsilon: 2,
      },
      /epsilon: expected a number from 0 to 1/,
    ],
    [
      {
        variants: [
          { name: 'a', template: 'A {name}' },
          { name: 'b', template: 'B {name}' },
        ],
        policy: 'ucb',
      },
      /policy: expected one of/,
    ],
    [
      {
        variants: [
          { name: 'a', template: 'A {name}' },
          { name: 'b', template: 'B {name}' },
        ],
        actor: 'x'.repeat(65),
      },
      /actor: expected a label/,
    ],
    [
      {
        variants: [
          { name: 'a', template: 'A {name}' },
          { name: 'b', template: 'B {name}' },
        ],
        variant: 'a',
      },
      /Unknown field "variant"/,
    ],
  ])(
    'when a new phase is asked for with %j, then 400 names the problem and nothing changes',
    async (body, message) => {
      const res = await post('/admin/experiments', body).expect(400);
      expect(res.body.error).toMatch(message);
      expect((await api().get('/stats')).body.phase).toBe(1);
      expect((await audit()).map((e) => e.action)).toEqual(['initialize']);
    },
  );

  it('when a state change is refused, then 409 or 400 says why and no audit entry is added', async () => {
    expect((await post('/admin/experiments/current/resume').expect(409)).body.error).toBe(
      'Phase 1 is running already',
    );
    expect(
      (await post('/admin/experiments/current/ship', { variant: 'nope' }).expect(400)).body.error,
    ).toMatch(/variant: expected one of hello, howdy/);
    await post('/admin/experiments/current/pause').expect(200);
    expect((await post('/admin/experiments/current/pause').expect(409)).body.error).toBe(
      'Phase 1 is paused already',
    );
    expect((await audit()).map((e) => e.action)).toEqual(['pause', 'initialize']);
  });
});

describe('the admin page offers only the actions the phase allows', () => {
  it('when running, then Pause (no Resume); when paused, then Resume (no Pause); when shipped, then neither and no Ship, but what was shipped', async () => {
    const greetings = greetingsApp({ ADMIN_TOKEN: TOKEN });
    const page = async () =>
      (await request(greetings.app).get('/admin').set('Authorization', bearer).expect(200)).text;
    const post = (path: string, body: object = {}) =>
      request(greetings.app)
        .post(path)
        .set('Authorization', bearer)
        .set('Accept', 'application/json')
        .send({ ifPhase: 1, ...body });
    try {
      let html = await page();
      expect(html).toContain('id="pause"');
      expect(html).not.toContain('id="resume"');
      await post('/admin/experiments/current/pause').expect(200);
      html = await page();
      expect(html).toContain('id="resume"');
      expect(html).not.toContain('id="pause"');
      await post('/admin/experiments/current/ship', { variant: 'howdy', force: true }).expect(200);
      html = await page();
      for (const id of ['pause', 'resume', 'ship']) expect(html).not.toContain(`id="${id}"`);
      expect(html).toMatch(/Shipped <strong>howdy<\/strong>/);
    } finally {
      await greetings.close();
    }
  });
});
