import { startRedisServer, type RedisServer } from '@friendly-calculator/common/testing';
import request from 'supertest';
import { eventually, greetingsApp } from './harness';

// Two greetings instances on one Redis, as two replicas behind a load balancer.
describe('two replicas on one Redis', () => {
  let redis: RedisServer;
  let a: ReturnType<typeof greetingsApp>;
  let b: ReturnType<typeof greetingsApp>;

  beforeAll(async () => {
    redis = await startRedisServer();
    a = greetingsApp({ REDIS_URL: redis.url });
    b = greetingsApp({ REDIS_URL: redis.url });
    await eventually(async () => {
      await request(a.app).get('/readyz').expect(200);
      await request(b.app).get('/readyz').expect(200);
    });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await redis.stop();
  });

  it('when hundreds of greetings and likes go through both at once, then the totals are exact', async () => {
    const N = 400;
    const shown = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        request((i % 2 ? a : b).app)
          .get(`/greeting/visitor${i}`)
          .set('Accept', 'application/json')
          .expect(200)
          .then((res) => res.body as { variant: string; impression: string; strategy: string }),
      ),
    );
    expect(shown.every((s) => s.strategy !== 'fallback')).toBe(true);

    // Like 3 of every 4 impressions; each one posted to BOTH replicas at the same time.
    const liked = shown.filter((_, i) => i % 4 !== 0);
    const answers = await Promise.all(
      liked.flatMap((s) =>
        [a, b].map((replica) =>
          request(replica.app).post('/like_greeting').send({ impression: s.impression }),
        ),
      ),
    );
    expect(answers.filter((r) => r.status === 200)).toHaveLength(liked.length);
    expect(answers.filter((r) => r.status === 409)).toHaveLength(liked.length);

    const expected = (variant: string, list: typeof shown) =>
      list.filter((s) => s.variant === variant).length;
    for (const replica of [a, b]) {
      const stats = await request(replica.app).get('/stats').expect(200);
      for (const row of stats.body.variants as {
        variant: string;
        impressions: number;
        likes: number;
      }[]) {
        expect(row.impressions).toBe(expected(row.variant, shown));
        expect(row.likes).toBe(expected(row.variant, liked));
      }
    }
  });
});
