import { startRedisServer, type RedisServer } from '@friendly-calculator/common/testing';
import { Redis } from 'ioredis';
import request from './checked-request';
import { emptyRedis, listeningGreetings } from './harness';

// What an unfriendly member of a room can try against two greetings replicas
// on one Redis (issue 24): each case as the attacker sent it, many times over
// where it is a race.
const TOKEN = 'hostile-room-admin-token-0123456789';
const bearer = `Bearer ${TOKEN}`;
// Thousands of real HTTP exchanges and Redis scripts per test, on a shared machine.
jest.setTimeout(120_000);

type Replica = Awaited<ReturnType<typeof listeningGreetings>>;

let redis: RedisServer;
let a: Replica;
let b: Replica;
let client: Redis;
beforeAll(async () => {
  redis = await startRedisServer();
  client = new Redis(redis.url);
});
afterAll(async () => {
  await client.quit();
  await redis.stop();
});

/** Two replicas on one (emptied) Redis, `env` on both. */
async function twoReplicas(env: Record<string, string> = {}) {
  await emptyRedis(redis.url);
  const shared = { REDIS_URL: redis.url, ADMIN_TOKEN: TOKEN, ...env };
  a = await listeningGreetings(shared);
  // The second replica answers on another port; both take the first one's origin as theirs too.
  b = await listeningGreetings({ GREETINGS_PUBLIC_URL: a.origin, ...shared });
}
afterEach(async () => {
  await a?.close();
  await b?.close();
});

/** A cookie-keeping agent signed in on `replica` through its form, from its own origin. */
async function signedIn(replica: Replica) {
  const agent = request.agent(replica.server);
  await agent
    .post('/admin/sign-in')
    .set('Origin', replica.origin)
    .type('form')
    .send({ token: TOKEN })
    .expect(303);
  return agent;
}

const forgetFailures = async () => {
  const keys = await client.keys('greetings:limit:sign-in-failures*');
  if (keys.length > 0) await client.del(...keys);
};
const current = async () =>
  (await request(a.server).get('/experiments/current').expect(200)).body as {
    phase: number;
    state: string;
  };
const auditActions = async () =>
  (
    (await request(a.server).get('/admin/audit?limit=100').set('Authorization', bearer).expect(200))
      .body.entries as { action: string; actor: string }[]
  ).map((e) => e.action);

describe('the sign-in throttle, under a burst', () => {
  beforeEach(() => twoReplicas());

  it('when 100 wrong tokens (and the right one) arrive at once over both replicas, then at most 10 are checked, the rest 429, run after run', async () => {
    for (let run = 0; run < 8; run++) {
      await forgetFailures();
      const answers = await Promise.all(
        Array.from({ length: 101 }, (_, i) =>
          request((i % 2 ? a : b).server)
            .get('/admin/audit')
            .set('Accept', 'application/json')
            .set('Authorization', i === 50 ? bearer : `Bearer wrong-${run}-${i}`),
        ),
      );
      const statuses = answers.map((r) => r.status);
      const checked = statuses.filter((s) => s === 403 || s === 200).length;
      expect(checked).toBeLessThanOrEqual(10);
      expect(statuses.filter((s) => s === 403).length).toBeGreaterThan(0);
      expect(statuses.every((s) => s === 403 || s === 200 || s === 429)).toBe(true);
      for (const r of answers.filter((r) => r.status === 429)) {
        expect(r.body.reason).toBe('throttled');
        expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      }
    }
  });

  it('when 50 wrong tokens arrive at once on one replica, then at most 10 are checked, run after run', async () => {
    for (let run = 0; run < 8; run++) {
      await forgetFailures();
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          request(a.server)
            .get('/admin/audit')
            .set('Accept', 'application/json')
            .set('Authorization', `Bearer wrong-${run}-${i}`),
        ),
      );
      expect(answers.filter((r) => r.status === 403).length).toBeLessThanOrEqual(10);
      expect(answers.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(40);
    }
  });

  it('when the right token comes 20 times at once, then each is answered (a right token gives its check back)', async () => {
    for (let run = 0; run < 5; run++) {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          request((i % 2 ? a : b).server)
            .get('/admin/audit')
            .set('Authorization', bearer),
        ),
      );
      expect(answers.map((r) => r.status)).toEqual(Array<number>(20).fill(200));
    }
  });

  it('when a sign-in link is refused (429 or a wrong token), then the token leaves the address bar all the same', async () => {
    const wrong = await request(a.server).get('/admin/sign-in?token=wrong-token-1').expect(303);
    expect(wrong.headers.location).toBe('/admin/sign-in?refused=wrong');
    for (let i = 0; i < 10; i++)
      await request(a.server).get('/admin/audit').set('Authorization', 'Bearer wrong');
    const throttled = await request(b.server).get(`/admin/sign-in?token=${TOKEN}`).expect(303);
    expect(throttled.headers.location).toBe('/admin/sign-in?refused=throttled');
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    expect(throttled.headers['set-cookie']).toBeUndefined();
    const page = await request(b.server).get(throttled.headers.location!).expect(200);
    expect(page.text).toMatch(/too many wrong admin tokens from your address/);
    expect(page.text).not.toContain(TOKEN);
  });
});

describe('admin bodies', () => {
  beforeEach(() => twoReplicas());
  const body = JSON.stringify({ ifPhase: 1, actor: 'x' });

  it('when a pause comes as text/plain, multipart, merge-patch, or with no type, then 415 and nothing changes (Bearer or session)', async () => {
    const agent = await signedIn(a);
    const types = ['text/plain', 'multipart/form-data; boundary=x', 'application/merge-patch+json'];
    for (const send of [
      (type: string) =>
        request(a.server)
          .post('/admin/experiments/current/pause')
          .set('Authorization', bearer)
          .set('Content-Type', type)
          .send(body),
      (type: string) =>
        agent
          .post('/admin/experiments/current/pause')
          .set('Origin', a.origin)
          .set('Content-Type', type)
          .send(body),
    ])
      for (const type of types) {
        const res = await send(type).expect(415);
        expect(res.text).toMatch(/application\/json or application\/x-www-form-urlencoded/);
      }
    // No Content-Type at all, with a body.
    const untyped = await new Promise<number>((resolve, reject) => {
      const url = new URL('/admin/experiments/current/pause', a.origin);
      void fetch(url, {
        method: 'POST',
        headers: { Authorization: bearer },
        body: new Blob([body]), // a Blob without a type: fetch sends no Content-Type
      }).then((r) => resolve(r.status), reject);
    });
    expect(untyped).toBe(415);
    expect(await current()).toMatchObject({ phase: 1, state: 'running' });
    expect(await auditActions()).toEqual(['initialize']);
  });

  it('when a JSON client leaves ifPhase out, then 428 precondition_required and nothing changes', async () => {
    for (const [path, sent] of [
      ['/admin/experiments/current/pause', { actor: 'x' }],
      ['/admin/experiments/current/ship', { variant: 'hello', force: true }],
      [
        '/admin/experiments',
        {
          variants: [
            { name: 'hi', template: 'Hi {name}' },
            { name: 'yo', template: 'Yo {name}' },
          ],
        },
      ],
    ] as const) {
      const res = await request(b.server)
        .post(path)
        .set('Authorization', bearer)
        .set('Accept', 'application/json')
        .send(sent)
        .expect(428);
      expect(res.body).toMatchObject({ status: 428, reason: 'precondition_required' });
    }
    // Nor with an empty body at all.
    await request(a.server)
      .post('/admin/experiments/current/pause')
      .set('Authorization', bearer)
      .set('Accept', 'application/json')
      .expect(428);
    expect(await current()).toMatchObject({ phase: 1, state: 'running' });
    expect(await auditActions()).toEqual(['initialize']);
  });

  it('when a JSON body is 3,000 levels deep or over 16 kB, then 400 or 413, never a 500, and nothing changes', async () => {
    const deep = `{"ifPhase":1,"actor":"x","a":${'['.repeat(3000)}${']'.repeat(3000)}}`;
    for (const key of [undefined, 'DEEP-1']) {
      const req = request(a.server)
        .post('/admin/experiments/current/pause')
        .set('Authorization', bearer)
        .set('Content-Type', 'application/json');
      const res = await (key ? req.set('Idempotency-Key', key) : req).send(deep).expect(400);
      expect(res.body).toMatchObject({ reason: 'bad_request' });
      expect(res.body.error).toMatch(/nested deeper than 32 levels/);
    }
    // 33 levels is over; brackets inside strings are text, not depth.
    const levels = (n: number) => `{"ifPhase":1,"a":${'['.repeat(n - 1)}${']'.repeat(n - 1)}}`;
    await request(a.server)
      .post('/admin/experiments/current/pause')
      .set('Authorization', bearer)
      .set('Content-Type', 'application/json')
      .send(levels(33))
      .expect(400);
    const big = JSON.stringify({ ifPhase: 1, actor: 'x', pad: 'p'.repeat(17 * 1024) });
    await request(b.server)
      .post('/admin/experiments/current/pause')
      .set('Authorization', bearer)
      .set('Content-Type', 'application/json')
      .send(big)
      .expect(413);
    expect(await current()).toMatchObject({ phase: 1, state: 'running' });
    expect(await auditActions()).toEqual(['initialize']);
    const inText = JSON.stringify({ ifPhase: 1, actor: '['.repeat(60) });
    await request(a.server)
      .post('/admin/experiments/current/pause')
      .set('Authorization', bearer)
      .set('Content-Type', 'application/json')
      .send(inText)
      .expect(200);
  });
});

describe('Idempotency-Key across replicas', () => {
  beforeEach(() => twoReplicas());
  const post = (replica: Replica, path: string, sent: object, key: string) =>
    request(replica.server)
      .post(path)
      .set('Authorization', bearer)
      .set('Accept', 'application/json')
      .set('Idempotency-Key', key)
      .send(sent);

  it('when 20 pauses with one new key arrive at once over both replicas, then one acts and every other gets its answer (or in_progress), run after run', async () => {
    for (let run = 0; run < 10; run++) {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          post(i % 2 ? a : b, '/admin/experiments/current/pause', { ifPhase: 1 }, `P-${run}`),
        ),
      );
      const done = answers.filter((r) => r.status === 200);
      for (const r of answers.filter((r) => r.status !== 200)) {
        expect(r.status).toBe(409);
        expect(r.body.reason).toBe('in_progress');
        expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      }
      expect(done.filter((r) => r.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
      for (const r of done) expect(r.body).toEqual(done[0]!.body);
      expect(await current()).toMatchObject({ state: 'paused' });
      await post(a, '/admin/experiments/current/resume', { ifPhase: 1 }, `R-${run}`).expect(200);
    }
    expect((await auditActions()).filter((x) => x === 'pause')).toHaveLength(10);
  });

  it('when a key’s first answer was a refusal (stale, conflict), then that answer is kept: the key never acts later', async () => {
    const stale = await post(a, '/admin/experiments/current/pause', { ifPhase: 301 }, 'ST-1');
    expect(stale.status).toBe(409);
    expect(stale.body.reason).toBe('stale');
    const again = await post(b, '/admin/experiments/current/pause', { ifPhase: 301 }, 'ST-1');
    expect(again.status).toBe(409);
    expect(again.body).toEqual(stale.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await post(b, '/admin/experiments/current/pause', { ifPhase: 1 }, 'ST-1');
    expect(other.status).toBe(422);
    expect(other.body.reason).toBe('key_reused');

    await post(a, '/admin/experiments/current/pause', { ifPhase: 1 }, 'P-1').expect(200);
    const conflict = await post(a, '/admin/experiments/current/pause', { ifPhase: 1 }, 'C-1');
    expect(conflict.status).toBe(409);
    expect(conflict.body.reason).toBe('conflict');
    await post(a, '/admin/experiments/current/resume', { ifPhase: 1 }, 'R-1').expect(200);
    // Now a pause would act; the key's kept refusal answers instead.
    const kept = await post(b, '/admin/experiments/current/pause', { ifPhase: 1 }, 'C-1');
    expect(kept.status).toBe(409);
    expect(kept.body.reason).toBe('conflict');
    expect(await current()).toMatchObject({ state: 'running' });
    expect(await auditActions()).toEqual(['resume', 'pause', 'initialize']);
  });
});

describe('client addresses behind a trusted proxy', () => {
  it('when Likes name one forwarded address with ports, brackets or junk, then they count as one client each (port, brackets, mapping, /64)', async () => {
    await twoReplicas({ TRUST_PROXY: 'loopback', LIKES_PER_MINUTE_PER_CLIENT: '20' });
    const like = (replica: Replica, forwarded: string) =>
      request(replica.server)
        .post('/like_greeting')
        .set('X-Forwarded-For', forwarded)
        .set('Accept', 'application/json')
        .send({ impression: 'A'.repeat(22) });
    const families: ((i: number) => string)[] = [
      (i) => `10.2.2.2:${10000 + i}`,
      (i) => (i % 2 ? `[::ffff:10.3.3.3]:${i + 1}` : '10.3.3.3'),
      (i) => `[2001:db8:5:5::${(i + 1).toString(16)}]:${443 + i}`,
      (i) => (i % 2 ? `for=${i}` : `not-an-address-${i}`),
    ];
    for (const family of families) {
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => like(i % 2 ? a : b, family(i))),
      );
      // Not limited: 404 (no such impression); limited: 429.
      expect(answers.filter((r) => r.status !== 429)).toHaveLength(20);
      expect(answers.filter((r) => r.status === 429)).toHaveLength(10);
    }
  });

  it('when wrong tokens name a forwarded address with a new port each, then they still share one throttle', async () => {
    await twoReplicas({ TRUST_PROXY: 'loopback' });
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        request((i % 2 ? a : b).server)
          .get('/admin/audit')
          .set('Accept', 'application/json')
          .set('X-Forwarded-For', i % 2 ? `10.9.9.9:${20000 + i}` : `[::ffff:10.9.9.9]:${i}`)
          .set('Authorization', `Bearer wrong-${i}`),
      ),
    );
    expect(answers.filter((r) => r.status === 403).length).toBeLessThanOrEqual(10);
    expect(answers.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(30);
  });
});

describe('the Origin of a signed-in form', () => {
  it('when the Origin differs from the public origin in scheme, or Origin and Host both name another host, then 403 and nothing changes; a listed origin passes', async () => {
    await emptyRedis(redis.url);
    const base = { REDIS_URL: redis.url, ADMIN_TOKEN: TOKEN };
    a = await listeningGreetings(base); // its public URL: its own address
    b = await listeningGreetings({
      ...base,
      GREETINGS_PUBLIC_URL: `https://admin.example, ${a.origin}`,
    });
    const agent = await signedIn(a);
    const { port } = new URL(a.origin);
    for (const [origin, host] of [
      [`https://127.0.0.1:${port}`, undefined],
      [`ftp://127.0.0.1:${port}`, undefined],
      [`ws://127.0.0.1:${port}`, undefined],
      [`http://evil.example:${port}`, `evil.example:${port}`],
      [`${a.origin}/admin`, undefined],
      ['null', undefined],
    ] as const) {
      const post = agent
        .post('/admin/experiments/current/pause')
        .set('Origin', origin)
        .type('form')
        .send({ ifPhase: '1' });
      const res = await (host ? post.set('Host', host) : post).expect(403);
      expect(res.text).toMatch(/not sent from the admin page/);
    }
    expect(await current()).toMatchObject({ state: 'running' });
    // Several public origins: each one of them is the page's.
    const signIn = await request(b.server)
      .post('/admin/sign-in')
      .set('Origin', 'https://admin.example')
      .type('form')
      .send({ token: TOKEN })
      .expect(303);
    const session = String(signIn.headers['set-cookie']).split(';')[0]!;
    await request(b.server)
      .post('/admin/experiments/current/pause')
      .set('Cookie', session)
      .set('Origin', a.origin)
      .type('form')
      .send({ ifPhase: '1' })
      .expect(303);
    expect(await current()).toMatchObject({ state: 'paused' });
  });
});

describe('pagination', () => {
  beforeEach(() => twoReplicas());
  it('when before is Number.MAX_SAFE_INTEGER, as the message allows, then it is taken', async () => {
    const before = String(Number.MAX_SAFE_INTEGER);
    await request(a.server).get(`/experiments?before=${before}`).expect(200);
    await request(a.server)
      .get(`/admin/audit?before=${before}`)
      .set('Authorization', bearer)
      .expect(200);
    await request(a.server).get(`/experiments?before=${before}0`).expect(400);
  });
});
