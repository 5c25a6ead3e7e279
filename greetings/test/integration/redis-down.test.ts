import { startRedisServer, type RedisServer } from '@friendly-calculator/common/testing';
import request from 'supertest';
import { eventually, greetingsApp } from './harness';

describe('when Redis goes away', () => {
  let redis: RedisServer;
  let greetings: ReturnType<typeof greetingsApp>;

  beforeAll(async () => {
    redis = await startRedisServer();
    greetings = greetingsApp({ REDIS_URL: redis.url });
    await eventually(() => request(greetings.app).get('/readyz').expect(200).then());
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

    // A Like is refused with a 503 that says so; readiness and stats say so too.
    const like = await request(greetings.app)
      .post('/like_greeting')
      .send({ impression })
      .expect(503);
    expect(like.body).toMatchObject({ reason: 'unavailable' });
    expect(like.body.error).toMatch(/store is unavailable/);
    const ready = await request(greetings.app).get('/readyz').expect(503);
    expect(ready.body.status).toBe('not ready');
    await request(greetings.app).get('/stats').expect(503);

    // Back, with no restart of the service. (This Redis keeps nothing on disk,
    // so the impression from before is gone: unknown, not a lost Like.)
    await redis.restart();
    await eventually(async () => {
      const res = await request(greetings.app)
        .get('/greeting/Bob')
        .set('Accept', 'application/json');
      expect(res.body.strategy).not.toBe('fallback');
    });
    await request(greetings.app).get('/readyz').expect(200);
    await request(greetings.app).post('/like_greeting').send({ impression }).expect(404);
  });
});
