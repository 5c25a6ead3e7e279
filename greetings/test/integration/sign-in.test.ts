import {
  capturingLogger,
  startRedisServer,
  startStatsdPair,
  type RedisServer,
  type StatsdPair,
} from '@friendly-calculator/common/testing';
import { Redis } from 'ioredis';
import request from './checked-request';
import { emptyRedis, eventually, listeningGreetings } from './harness';

const TOKEN = 'sign-in-test-token-0123456789abcdef';
const WRONG = 'not-the-token-0123456789';

let redis: RedisServer;
let statsd: StatsdPair;
beforeAll(async () => {
  redis = await startRedisServer();
  statsd = await startStatsdPair('greetings');
});
afterAll(async () => {
  await statsd.close();
  await redis.stop();
});

/** One greetings listening on one port, so Host and Origin are what a browser would send. */
async function started(env: Record<string, string>) {
  const log = capturingLogger('debug');
  const g = await listeningGreetings(
    { ...env, ADMIN_TOKEN: TOKEN },
    { logger: log.logger, metrics: statsd.metrics },
  );
  return { server: g.server, origin: g.origin, log, close: () => g.close() };
}

type Started = Awaited<ReturnType<typeof started>>;

describe.each([
  ['in memory', () => ({})],
  ['on Redis', () => ({ REDIS_URL: redis.url })],
])('signing in to the admin page %s', (_label, env) => {
  let g: Started;
  beforeEach(async () => {
    await emptyRedis(redis.url);
    g = await started(env());
  });
  afterEach(() => g.close());

  const signIn = (agent: ReturnType<typeof request.agent>, token = TOKEN) =>
    agent.post('/admin/sign-in').set('Origin', g.origin).type('form').send({ token });

  it('when not signed in, then the page sends the browser to a sign-in form that holds no token', async () => {
    const page = await request(g.server).get('/admin').set('Accept', 'text/html').expect(303);
    expect(page.headers.location).toBe('/admin/sign-in');
    const form = await request(g.server).get('/admin/sign-in').expect(200);
    expect(form.text).toContain('name="token"');
    expect(form.text).not.toContain(TOKEN);
    expect(form.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(form.headers['set-cookie']).toBeUndefined();
  });

  it('when the token is typed once, then a signed, HttpOnly, SameSite=Strict, expiring cookie (never the token) opens the page and its forms', async () => {
    const agent = request.agent(g.server);
    const res = await signIn(agent).expect(303);
    expect(res.headers.location).toBe('/admin');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^greetings_admin=s%3A[^;]+;/); // s: = signed by express-session
    expect(cookie).toMatch(/; Path=\/admin/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Expires=/);
    expect(cookie).not.toContain(TOKEN);

    const page = await agent.get('/admin').set('Accept', 'text/html').expect(200);
    expect(page.text).toContain('id="sign-out"');
    for (const r of [res, page]) {
      expect(r.text).not.toContain(TOKEN);
      expect(JSON.stringify(r.headers)).not.toContain(TOKEN);
    }
    const done = await agent
      .post('/admin/experiments/current/pause')
      .set('Origin', g.origin)
      .type('form')
      .send({ actor: 'Ada', ifPhase: '1' });
    expect(done.status).toBeLessThan(400);
    expect((await request(g.server).get('/stats')).body.state).toBe('paused');
    expect(JSON.stringify(g.log.lines)).not.toContain(TOKEN);
  });

  it('when the signed-in page’s form sends 9 variants, then none is dropped: the phase is refused, nothing starts', async () => {
    const agent = request.agent(g.server);
    await signIn(agent).expect(303);
    const form: Record<string, string> = { actor: 'Ada', policy: 'thompson', epsilon: '0.1' };
    for (let i = 1; i <= 9; i++)
      Object.assign(form, { [`name${i}`]: `v${i}`, [`template${i}`]: `V${i} {name}` });
    const res = await agent
      .post('/admin/experiments')
      .set('Origin', g.origin)
      .type('form')
      .send(form);
    expect(res.status).not.toBe(201);
    if (res.status === 400) expect(res.text).toContain('expected 2 to 8 variants (got 9)');
    const phases = (await request(g.server).get('/experiments')).body.experiments as unknown[];
    expect(phases).toHaveLength(1);
  });

  it('when a signed-in form post has no Origin or another site’s, then 403 and nothing changes', async () => {
    const agent = request.agent(g.server);
    await signIn(agent).expect(303);
    for (const origin of [undefined, 'https://evil.example', 'null']) {
      const post = agent.post('/admin/experiments/current/pause').type('form').send({});
      const res = await (origin ? post.set('Origin', origin) : post).expect(403);
      expect(res.text).toMatch(/not sent from the admin page/);
    }
    expect((await request(g.server).get('/stats')).body.state).toBe('running');
  });

  it('when signed out, then the cookie opens nothing any more', async () => {
    const agent = request.agent(g.server);
    const res = await signIn(agent).expect(303);
    const cookie = String(res.headers['set-cookie']).split(';')[0]!;
    await agent.post('/admin/sign-out').set('Origin', g.origin).expect(200);
    // The old cookie, replayed by hand: its session is gone.
    const replay = await request(g.server)
      .get('/admin/audit')
      .set('Cookie', cookie)
      .set('Accept', 'application/json')
      .expect(401);
    expect(replay.body.reason).toBe('unauthorized');
  });

  it('when the sign-in link carries the token in its query, then it signs in, leaves that URL, and no log line holds the token', async () => {
    const agent = request.agent(g.server);
    const res = await agent.get(`/admin/sign-in?token=${TOKEN}`).expect(303);
    expect(res.headers.location).toBe('/admin');
    expect(res.headers['referrer-policy']).toBe('same-origin');
    await agent.get('/admin').set('Accept', 'text/html').expect(200);
    const wrong = await request(g.server).get(`/admin/sign-in?token=${WRONG}`).expect(303);
    expect(wrong.headers.location).toBe('/admin/sign-in?refused=wrong');
    await eventually(async () => {
      expect(g.log.lines.some((l) => l.msg === 'request')).toBe(true);
    });
    const logged = JSON.stringify(g.log.lines);
    expect(logged).toContain('/admin/sign-in');
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain(WRONG);
  });

  it('when the API sends Authorization: Bearer, then it still works without a session', async () => {
    await request(g.server).get('/admin/audit').set('Authorization', `Bearer ${TOKEN}`).expect(200);
  });

  it('when a presenter types a name once, then the form comes back prefilled with it after every action and actions without a name are logged under it; a Bearer call without one is logged as the token', async () => {
    const agent = request.agent(g.server);
    await signIn(agent).expect(303);
    const before = await agent.get('/admin').set('Accept', 'text/html').expect(200);
    expect(before.text).toMatch(/<input name="actor" id="actor"[^>]* value="">/);
    const form = (path: string, fields: Record<string, string>) =>
      agent.post(path).set('Origin', g.origin).type('form').send(fields).expect(303);
    await form('/admin/experiments/current/pause', { actor: 'Ada', ifPhase: '1' });
    const after = await agent.get('/admin').set('Accept', 'text/html').expect(200);
    expect(after.text).toMatch(/<input name="actor" id="actor"[^>]* value="Ada">/);
    // Sent without a name (the field emptied): the session's name, not "anonymous".
    await form('/admin/experiments/current/resume', { actor: '', ifPhase: '1' });
    const still = await agent.get('/admin').set('Accept', 'text/html').expect(200);
    expect(still.text).toMatch(/<input name="actor" id="actor"[^>]* value="Ada">/);
    // Another presenter's session that never gave a name: a short tag of its session.
    const other = request.agent(g.server);
    await signIn(other).expect(303);
    await other
      .post('/admin/experiments/current/pause')
      .set('Origin', g.origin)
      .type('form')
      .send({ ifPhase: '1' })
      .expect(303);
    await request(g.server)
      .post('/admin/experiments/current/resume')
      .set('Authorization', `Bearer ${TOKEN}`)
      .send({ ifPhase: 1 })
      .expect(200);
    const audit = await request(g.server)
      .get('/admin/audit')
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(200);
    const actors = (audit.body as { entries: { action: string; actor: string }[] }).entries.map(
      (e) => [e.action, e.actor],
    );
    expect(actors.slice(0, 4)).toEqual([
      ['resume', 'API (ADMIN_TOKEN)'],
      ['pause', expect.stringMatching(/^admin page \(session [0-9a-f]{6}\)$/)],
      ['resume', 'Ada'],
      ['pause', 'Ada'],
    ]);
    expect(JSON.stringify(actors)).not.toContain('anonymous');
  });

  it('when 10 wrong tokens came from one address within a minute, then 429 with Retry-After, even for the right token, counted in StatsD', async () => {
    await statsd.settle();
    for (let i = 0; i < 5; i++) await signIn(request.agent(g.server), WRONG).expect(403);
    for (let i = 0; i < 5; i++)
      await request(g.server)
        .get('/admin/audit')
        .set('Authorization', `Bearer ${WRONG}`)
        .expect(403);
    const throttled = await signIn(request.agent(g.server)).expect(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(throttled.headers['retry-after'])).toBeLessThanOrEqual(60);
    const api = await request(g.server)
      .get('/admin/audit')
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(429);
    expect(api.body.reason).toBe('throttled');
    expect(api.headers['retry-after']).toBeDefined();
    await statsd.receiver.waitFor((lines) => lines.includes('greetings.admin.auth_throttled:1|c'));
    expect(
      statsd.receiver.lines.filter((l) => l === 'greetings.admin.auth_failures:1|c'),
    ).toHaveLength(10);
  });
});

describe('two replicas on one Redis', () => {
  let a: Started;
  let b: Started;
  beforeEach(async () => {
    await emptyRedis(redis.url);
    a = await started({ REDIS_URL: redis.url });
    b = await started({ REDIS_URL: redis.url });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('when failures are spread over both, then they add up to one limit', async () => {
    for (let i = 0; i < 5; i++) {
      await request(a.server)
        .get('/admin/audit')
        .set('Authorization', `Bearer ${WRONG}`)
        .expect(403);
      await request(b.server)
        .get('/admin/audit')
        .set('Authorization', `Bearer ${WRONG}`)
        .expect(403);
    }
    await request(a.server).get('/admin/audit').set('Authorization', `Bearer ${TOKEN}`).expect(429);
    await request(b.server).get('/admin/audit').set('Authorization', `Bearer ${TOKEN}`).expect(429);
  });

  it('when signed in on one, then the session (kept in Redis, without the token) works on the other', async () => {
    const res = await request(a.server)
      .post('/admin/sign-in')
      .set('Origin', a.origin)
      .type('form')
      .send({ token: TOKEN })
      .expect(303);
    const cookie = String(res.headers['set-cookie']).split(';')[0]!;
    await request(b.server).get('/admin/audit').set('Cookie', cookie).expect(200);
    const client = new Redis(redis.url);
    const keys = await client.keys('greetings:session:*');
    expect(keys).toHaveLength(1);
    expect(await client.get(keys[0]!)).not.toContain(TOKEN);
    await client.quit();
  });
});
