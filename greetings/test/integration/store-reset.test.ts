import {
  capturingLogger,
  PINO_ERROR,
  startRedisServer,
  startStatsdPair,
  type RedisServer,
  type StatsdPair,
} from '@friendly-calculator/common/testing';
import { Redis } from 'ioredis';
import request from './checked-request';
import { eventually, greetingsApp } from './harness';

// Redis came back empty: greetings must not quietly start phase 1 again.
const TOKEN = 'test-admin-token-0123456789';
const bearer = `Bearer ${TOKEN}`;
const NEW_PHASE = {
  variants: [
    { name: 'hi', template: 'Hi {name}' },
    { name: 'yo', template: 'Yo {name}' },
  ],
};

let redis: RedisServer;
let statsd: StatsdPair;
beforeAll(async () => {
  [redis, statsd] = await Promise.all([startRedisServer(), startStatsdPair('greetings')]);
});
afterAll(async () => {
  await Promise.all([redis.stop(), statsd.close()]);
});

describe('when the store loses every phase after greetings has seen phase 3', () => {
  it('then greetings logs an error, counts greetings.store.reset, and phase 1’s first audit entry is reinitialize naming phase 3', async () => {
    const { lines, logger } = capturingLogger();
    const env = { REDIS_URL: redis.url, ADMIN_TOKEN: TOKEN };
    const one = greetingsApp(env, { logger, metrics: statsd.metrics });
    const other = greetingsApp(env);
    const client = new Redis(redis.url);
    try {
      await eventually(() => one.store.ping());
      await eventually(() => other.store.ping());
      for (const ifPhase of [1, 2])
        await request(one.app)
          .post('/admin/experiments')
          .set('Authorization', bearer)
          .send({ ...NEW_PHASE, ifPhase })
          .expect(201);
      expect((await request(one.app).get('/stats').expect(200)).body.phase).toBe(3);
      expect(lines.filter((l) => (l.level as number) >= PINO_ERROR)).toEqual([]);

      await client.flushall();
      expect((await request(one.app).get('/stats').expect(200)).body.phase).toBe(1);

      const errors = lines.filter((l) => (l.level as number) >= PINO_ERROR);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ lastSeenPhase: 3, foundPhase: null });
      expect(errors[0]!.msg).toMatch(/lost its history: phase 3 was seen/);
      await statsd.receiver.waitFor((l) => l.includes('greetings.store.reset:1|c'));
      const audit = await request(other.app)
        .get('/admin/audit')
        .set('Authorization', bearer)
        .expect(200);
      expect(audit.body.entries).toEqual([
        expect.objectContaining({
          id: 1,
          action: 'reinitialize',
          actor: 'configuration',
          lastSeenPhase: 3,
          before: expect.objectContaining({ phase: 3 }),
          after: expect.objectContaining({ phase: 1, state: 'running' }),
        }),
      ]);
      // Read again: reported once, not at every read.
      await request(one.app).get('/experiments').expect(200);
      expect(lines.filter((l) => (l.level as number) >= PINO_ERROR)).toHaveLength(1);
    } finally {
      await client.quit();
      await Promise.all([one.close(), other.close()]);
    }
  });

  it('then a replica that finds phase 1 re-created by another says so too', async () => {
    const { lines, logger } = capturingLogger();
    const env = { REDIS_URL: redis.url, ADMIN_TOKEN: TOKEN };
    const client = new Redis(redis.url);
    await client.flushall();
    const one = greetingsApp(env, { logger });
    const other = greetingsApp(env);
    try {
      await eventually(() => one.store.ping());
      await eventually(() => other.store.ping());
      await request(one.app)
        .post('/admin/experiments')
        .set('Authorization', bearer)
        .send({ ...NEW_PHASE, ifPhase: 1 })
        .expect(201);
      expect((await request(one.app).get('/stats').expect(200)).body.phase).toBe(2);
      await client.flushall();
      await request(other.app).get('/stats').expect(200); // re-creates phase 1
      expect((await request(one.app).get('/experiments/current').expect(200)).body.phase).toBe(1);
      expect(lines.filter((l) => (l.level as number) >= PINO_ERROR)).toEqual([
        expect.objectContaining({ lastSeenPhase: 2, foundPhase: 1 }),
      ]);
    } finally {
      await client.quit();
      await Promise.all([one.close(), other.close()]);
    }
  });
});
