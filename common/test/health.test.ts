import express from 'express';
import request from 'supertest';
import { errorHandler, notFoundHandler } from '../src/express';
import { createReadiness, healthRoutes, type HealthOptions } from '../src/health';
import { silentLogger } from '../src/logger';

function appWith(options: HealthOptions) {
  const app = express();
  app.use(healthRoutes(options));
  app.use(notFoundHandler);
  app.use(errorHandler(silentLogger()));
  return app;
}

/** A dependency check that counts its calls and fails, hangs or answers as told. */
function dependency(behaviour: 'up' | 'refused' | 'hangs') {
  const calls = { count: 0 };
  const check = async () => {
    calls.count++;
    if (behaviour === 'refused') throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
    if (behaviour === 'hangs') await new Promise(() => undefined);
    return 'PONG';
  };
  return { calls, check };
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('/readyz: ready to answer, degraded or not', () => {
  it('when every dependency is down or hangs, then it is 200 ready, without asking any of them', async () => {
    const refused = dependency('refused');
    const hangs = dependency('hangs');
    const app = appWith({
      dependencies: { redis: refused.check, greetings: hangs.check },
      readiness: createReadiness(),
      timeoutMs: 100,
    });
    await request(app).get('/readyz').expect(200, { status: 'ready' });
    await request(app).get('/healthz').expect(200, { status: 'ok' });
    expect(refused.calls.count + hangs.calls.count).toBe(0);
  });

  it('when the service drains, then it is 503 at once, and still alive', async () => {
    const readiness = createReadiness();
    const app = appWith({ readiness });
    await request(app).get('/readyz').expect(200);
    readiness.drain();
    expect(readiness.draining).toBe(true);
    await request(app).get('/readyz').expect(503, { status: 'draining' });
    await request(app).get('/healthz').expect(200, { status: 'ok' });
  });

  it('when no readiness is given (no drain to follow), then it is ready', async () => {
    await request(appWith({})).get('/readyz').expect(200, { status: 'ready' });
  });
});

describe('/health/dependencies: what is away, always 200', () => {
  it('when one dependency is refused, one hangs and one answers, then each says so, promptly', async () => {
    const app = appWith({
      dependencies: {
        redis: dependency('refused').check,
        maths: dependency('hangs').check,
        greetings: dependency('up').check,
      },
      timeoutMs: 150,
    });
    const started = performance.now();
    const res = await request(app).get('/health/dependencies').expect(200);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      status: 'degraded',
      dependencies: [
        {
          name: 'redis',
          state: 'down',
          checkMs: expect.any(Number),
          checkedAt: expect.stringMatching(ISO),
          error: 'connect ECONNREFUSED 127.0.0.1:6379',
        },
        {
          name: 'maths',
          state: 'down',
          checkMs: expect.any(Number),
          checkedAt: expect.stringMatching(ISO),
          error: 'maths did not answer within 150 ms',
        },
        {
          name: 'greetings',
          state: 'up',
          checkMs: expect.any(Number),
          checkedAt: expect.stringMatching(ISO),
        },
      ],
    });
    const [, hung] = res.body.dependencies as { checkMs: number }[];
    expect(hung!.checkMs).toBeGreaterThanOrEqual(140);
    expect(hung!.checkMs).toBeLessThan(900);
  });

  it('when every dependency answers, or there is none, then the status is ok', async () => {
    const up = await request(appWith({ dependencies: { redis: dependency('up').check } }))
      .get('/health/dependencies')
      .expect(200);
    expect(up.body).toMatchObject({ status: 'ok', dependencies: [{ name: 'redis', state: 'up' }] });
    await request(appWith({}))
      .get('/health/dependencies')
      .expect(200, { status: 'ok', dependencies: [] });
  });

  it('when the service drains, then the report is still given', async () => {
    const readiness = createReadiness();
    readiness.drain();
    const app = appWith({ readiness, dependencies: { redis: dependency('up').check } });
    await request(app).get('/health/dependencies').expect(200);
  });

  it('when asked many times at once and again within cacheMs, then each dependency is checked once', async () => {
    const redis = dependency('refused');
    const app = appWith({ dependencies: { redis: redis.check }, cacheMs: 400 });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => request(app).get('/health/dependencies').expect(200)),
    );
    await request(app).get('/health/dependencies').expect(200);
    expect(redis.calls.count).toBe(1);
    // One round, one report: the same check time for everybody.
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
    await new Promise((r) => setTimeout(r, 450));
    await request(app).get('/health/dependencies').expect(200);
    expect(redis.calls.count).toBe(2);
  });

  it('when a check is still running, then later callers wait for it rather than start another', async () => {
    const slow = { count: 0 };
    const app = appWith({
      dependencies: {
        redis: async () => {
          slow.count++;
          await new Promise((r) => setTimeout(r, 200));
        },
      },
      cacheMs: 0,
    });
    const first = request(app)
      .get('/health/dependencies')
      .expect(200)
      .then(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    await Promise.all([first, request(app).get('/health/dependencies').expect(200)]);
    expect(slow.count).toBe(1);
  });
});
