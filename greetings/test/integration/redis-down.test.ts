import { freePort, startRedisServer, type RedisServer } from '@friendly-calculator/common/testing';
import request from './checked-request';
import { eventually, greetingsApp } from './harness';

describe('when Redis goes away', () => {
  let redis: RedisServer;
  let greetings: ReturnType<typeof greetingsApp>;

  beforeAll(async () => {
    redis = await startRedisServer();
    greetings = greetingsApp({ REDIS_URL: redis.url });
    // Redis connects in the background (readiness does not wait for it): wait until it answers.
    await eventually(() => greetings.store.ping());
  });
  afterAll(async () => {
    await greetings.close();
    await redis.stop();
  });

  it('degrades promptly and clearly, and recovers by itself when Redis returns', async () => {
    const before = await request(greetings.app)
      .get('/greeting/Bob')
      .set('Accept', 'application/json');
    const impression = (before.body as { impression: string }).impression;
    await redis.kill();

    // Greetings still answer, quickly, without an impression.
    const started = Date.now();
    const down = await Promise.all(
      Array.from({ length: 200 }, () =>
        request(greetings.app).get('/greeting/Bob').set('Accept', 'application/json').expect(200),
      ),
    );
    // Nothing is queued while Redis is away: 200 answers come back at once (a
    // generous bound, only to tell "answered" from "waited for a reconnect").
    expect(Date.now() - started).toBeLessThan(3000);
    for (const res of down) {
      expect(res.body).toEqual({
        greeting: 'Hello Bob',
        variant: 'hello',
        strategy: 'fallback',
        impression: null,
      });
    }
    // Plain text records nothing, so it needs no store: the bandit picks from what it last knew.
    expect(['Hello Bob', 'Howdy Bob']).toContain(
      (await request(greetings.app).get('/greeting/Bob')).text,
    );

    // A Like is refused with a 503 that says so; stats and the dependency report say so too.
    const like = await request(greetings.app)
      .post('/like_greeting')
      .send({ impression })
      .expect(503);
    expect(like.body).toMatchObject({ reason: 'unavailable' });
    expect(like.body.error).toMatch(/store is unavailable/);
    await request(greetings.app).get('/stats').expect(503);
    const deps = await request(greetings.app).get('/health/dependencies').expect(200);
    expect(deps.body).toEqual({
      status: 'degraded',
      dependencies: [
        {
          name: 'redis',
          state: 'down',
          checkMs: expect.any(Number),
          checkedAt: expect.any(String),
          error: expect.any(String),
        },
      ],
    });
    // Still ready: it answers (with fallback greetings), so it stays in its Service.
    await request(greetings.app).get('/readyz').expect(200, { status: 'ready' });

    // Back, with no restart of the service. (This Redis keeps nothing on disk,
    // so the impression from before is gone: unknown, not a lost Like.)
    await redis.restart();
    await eventually(async () => {
      const res = await request(greetings.app)
        .get('/greeting/Bob')
        .set('Accept', 'application/json');
      expect(res.body.strategy).not.toBe('fallback');
    });
    await eventually(async () => {
      const back = await request(greetings.app).get('/health/dependencies').expect(200);
      expect(back.body.status).toBe('ok');
    });
    await request(greetings.app).post('/like_greeting').send({ impression }).expect(404);
  });
});

describe('when Redis is unreachable from the start', () => {
  let greetings: ReturnType<typeof greetingsApp>;
  beforeAll(async () => {
    greetings = greetingsApp({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
  });
  afterAll(() => greetings.close());

  it('then greetings is ready, serves fallback greetings, and /health/dependencies says Redis is down', async () => {
    await request(greetings.app).get('/readyz').expect(200, { status: 'ready' });
    const res = await request(greetings.app)
      .get('/greeting/Bob')
      .set('Accept', 'application/json')
      .expect(200);
    expect(res.body).toEqual({
      greeting: 'Hello Bob',
      variant: 'hello',
      strategy: 'fallback',
      impression: null,
    });
    const deps = await request(greetings.app).get('/health/dependencies').expect(200);
    expect(deps.body).toMatchObject({
      status: 'degraded',
      dependencies: [{ name: 'redis', state: 'down' }],
    });
    expect(deps.body.dependencies[0].error).toEqual(expect.any(String));
  });
});
