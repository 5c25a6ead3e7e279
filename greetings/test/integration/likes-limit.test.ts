import {
  startRedisServer,
  startStatsdPair,
  type RedisServer,
  type StatsdPair,
} from '@friendly-calculator/common/testing';
import type { Express } from 'express';
import request from './checked-request';
import { connected, emptyRedis, greetingsApp } from './harness';

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
beforeEach(() => emptyRedis(redis.url));

async function impression(app: Express): Promise<string> {
  const res = await request(app).get('/greeting/Bob').set('Accept', 'application/json').expect(200);
  return (res.body as { impression: string }).impression;
}

const like = (app: Express, id: string, from?: string) => {
  const req = request(app).post('/like_greeting').send({ impression: id });
  return from ? req.set('X-Forwarded-For', from) : req;
};

describe.each([
  ['in memory', () => ({})],
  ['on Redis', () => ({ REDIS_URL: redis.url })],
])('Likes per client address %s', (_label, env) => {
  it('when one client goes over LIKES_PER_MINUTE_PER_CLIENT, then 429 rate_limited with Retry-After, nothing counted, counted in StatsD', async () => {
    const g = greetingsApp(
      { ...env(), LIKES_PER_MINUTE_PER_CLIENT: '3' },
      { metrics: statsd.metrics },
    );
    await connected(g);
    await statsd.settle();
    for (let i = 0; i < 3; i++) await like(g.app, await impression(g.app)).expect(200);
    const refused = await like(g.app, await impression(g.app)).expect(429);
    expect(refused.body).toMatchObject({ status: 429, reason: 'rate_limited' });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const stats = (await request(g.app).get('/stats')).body as { variants: { liked: number }[] };
    expect(stats.variants.reduce((n, v) => n + v.liked, 0)).toBe(3);
    await statsd.receiver.waitFor((l) => l.includes('greetings.likes_refused.rate_limited:1|c'));
    await g.close();
  });

  it('when a browser’s form post is over the limit, then it goes back to the page (303) with a notice hint, and the impression stays likeable', async () => {
    const g = greetingsApp({ ...env(), LIKES_PER_MINUTE_PER_CLIENT: '1' });
    await connected(g);
    await like(g.app, await impression(g.app)).expect(200);
    const id = await impression(g.app);
    const res = await request(g.app)
      .post('/like_greeting')
      .type('form')
      .send({ impression: id, return_to: '/Bob/1/1' })
      .expect(303);
    const back = new URL(res.headers.location as string);
    expect(back.pathname).toBe('/Bob/1/1');
    expect(back.searchParams.get('like')).toBe(id);
    expect(back.searchParams.get('limited')).toBe('1');
    expect((await request(g.app).get(`/impressions/${id}`)).body.status).toBe('pending');
    await g.close();
  });

  it('when TRUST_PROXY names the proxy, then each forwarded client has its own limit (an IPv6 /64 is one client); without it, X-Forwarded-For is ignored', async () => {
    const trusted = greetingsApp({
      ...env(),
      LIKES_PER_MINUTE_PER_CLIENT: '1',
      TRUST_PROXY: 'loopback',
    });
    await connected(trusted);
    await like(trusted.app, await impression(trusted.app), '203.0.113.7').expect(200);
    await like(trusted.app, await impression(trusted.app), '203.0.113.8').expect(200);
    await like(trusted.app, await impression(trusted.app), '203.0.113.7').expect(429);
    await like(trusted.app, await impression(trusted.app), '2001:db8:1:2::1').expect(200);
    await like(trusted.app, await impression(trusted.app), '2001:db8:1:2:ffff::9').expect(429);
    await like(trusted.app, await impression(trusted.app), '2001:db8:1:3::1').expect(200);
    await trusted.close();

    const direct = greetingsApp({ ...env(), LIKES_PER_MINUTE_PER_CLIENT: '1' });
    await connected(direct);
    await like(direct.app, await impression(direct.app), '198.51.100.1').expect(200);
    await like(direct.app, await impression(direct.app), '198.51.100.2').expect(429);
    await direct.close();
  });
});

describe('a room behind one address, and a script', () => {
  it('when 100 people behind one address each like once within a minute, then every Like counts (default limit)', async () => {
    const g = greetingsApp({ REDIS_URL: redis.url });
    await connected(g);
    const ids = await Promise.all(Array.from({ length: 100 }, () => impression(g.app)));
    const answers = await Promise.all(ids.map((id) => like(g.app, id)));
    expect(answers.map((a) => a.status)).toEqual(Array(100).fill(200));
    await g.close();
  });

  it('when one script likes 2,500 greetings, then most are refused and at most the limit counts, across two replicas', async () => {
    const a = greetingsApp({ REDIS_URL: redis.url });
    const b = greetingsApp({ REDIS_URL: redis.url });
    await connected(a);
    await connected(b);
    const statuses: Record<number, number> = {};
    for (let batch = 0; batch < 50; batch++) {
      const apps = Array.from({ length: 50 }, (_, i) => (i % 2 ? a.app : b.app));
      const ids = await Promise.all(apps.map((app) => impression(app)));
      const answers = await Promise.all(ids.map((id, i) => like(apps[i]!, id)));
      for (const { status } of answers) statuses[status] = (statuses[status] ?? 0) + 1;
    }
    const stats = (await request(a.app).get('/stats')).body as { variants: { liked: number }[] };
    const liked = stats.variants.reduce((n, v) => n + v.liked, 0);
    expect(statuses[200]).toBe(liked);
    expect(liked).toBeLessThanOrEqual(300);
    expect(statuses[429]).toBeGreaterThanOrEqual(2_200);
    await a.close();
    await b.close();
  }, 120_000);
});

describe('with Redis down', () => {
  it('when Redis dies, then a Like is a prompt 503 (the limiter counts in memory meanwhile), and the admin sign-in a 503, never a 500', async () => {
    const own = await startRedisServer();
    const g = greetingsApp({
      REDIS_URL: own.url,
      LIKES_PER_MINUTE_PER_CLIENT: '2',
      ADMIN_TOKEN: 'redis-down-token-0123456789',
      GREETINGS_PUBLIC_URL: 'http://greetings.test',
    });
    try {
      await connected(g);
      const ids = await Promise.all([1, 2, 3].map(() => impression(g.app)));
      await own.kill();
      const started = Date.now();
      const down = await like(g.app, ids[0]!).expect(503);
      expect(down.body.reason).toMatch(/unavailable|uncertain/);
      await like(g.app, ids[1]!).expect(503);
      // The in-memory insurance limiter still limits while Redis is away.
      expect((await like(g.app, ids[2]!).expect(429)).body.reason).toBe('rate_limited');
      expect(Date.now() - started).toBeLessThan(3000);
      const signIn = await request(g.app)
        .post('/admin/sign-in')
        .set('Host', 'greetings.test')
        .set('Origin', 'http://greetings.test')
        .type('form')
        .send({ token: 'redis-down-token-0123456789' });
      expect(signIn.status).toBe(503);
    } finally {
      await g.close();
      await own.stop();
    }
  });
});
