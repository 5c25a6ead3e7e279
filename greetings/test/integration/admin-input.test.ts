import { startRedisServer, type RedisServer } from '@friendly-calculator/common/testing';
import request from './checked-request';
import { freshGreetings, greetingsApp } from './harness';

const TOKEN = 'admin-input-token-0123456789';
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.stop());

describe.each([
  ['in memory', () => ({})],
  ['on Redis', () => ({ REDIS_URL: redis.url })],
])('admin input %s', (_label, env) => {
  let greetings: ReturnType<typeof greetingsApp>;
  beforeEach(async () => {
    greetings = await freshGreetings(redis.url, { ...env(), ADMIN_TOKEN: TOKEN });
  });
  afterEach(() => greetings.close());

  // No Accept header: a JSON body is enough to get JSON back.
  const start = (body: object) =>
    request(greetings.app)
      .post('/admin/experiments')
      .set('Authorization', `Bearer ${TOKEN}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ ifPhase: 1, ...body }));
  const phases = async () =>
    ((await request(greetings.app).get('/experiments')).body.experiments as unknown[]).length;

  it.each([
    ['a bidi override in a template', [{ name: 'a', template: '\u202e{name}' }]],
    ['zero-width characters in a template', [{ name: 'a', template: '\u200b\u200b{name}' }]],
    ['U+2028 in a template', [{ name: 'a', template: 'Hi\u2028{name}' }]],
    ['a lone surrogate in a template', [{ name: 'a', template: 'Hi \ud800{name}' }]],
    ['an unknown field in a variant', [{ name: 'a', template: 'A {name}', weight: 2 }]],
  ])(
    'when a new phase has %s, then 400 JSON with a reason, and no phase starts',
    async (_what, first) => {
      const res = await start({ variants: [...first, { name: 'b', template: 'B {name}' }] }).expect(
        400,
      );
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toMatchObject({ status: 400, reason: 'bad_request' });
      expect(await phases()).toBe(1);
    },
  );

  it('when the actor holds a bidi override or epsilon is a text, then 400 JSON', async () => {
    const variants = [
      { name: 'a', template: 'A {name}' },
      { name: 'b', template: 'B {name}' },
    ];
    expect((await start({ variants, actor: 'Ada\u202e' }).expect(400)).body.error).toMatch(/actor/);
    expect((await start({ variants, epsilon: '0.3' }).expect(400)).body.error).toMatch(/epsilon/);
    expect(await phases()).toBe(1);
  });

  it('when a JSON client is not signed in or sends broken JSON, then the answer is JSON with a reason', async () => {
    const anon = await request(greetings.app)
      .post('/admin/experiments')
      .set('Content-Type', 'application/json')
      .send('{}')
      .expect(401);
    expect(anon.body).toMatchObject({ status: 401, reason: 'unauthorized' });
    const broken = await request(greetings.app)
      .post('/admin/experiments')
      .set('Authorization', `Bearer ${TOKEN}`)
      .set('Content-Type', 'application/json')
      .send('{"variants": [')
      .expect(400);
    expect(broken.body).toMatchObject({ status: 400, reason: 'bad_request' });
  });
});
