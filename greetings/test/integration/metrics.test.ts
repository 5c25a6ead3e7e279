import type { Metrics } from '@friendly-calculator/common';
import {
  startRedisServer,
  startStatsdPair,
  type StatsdPair,
  type StatsdReceiver,
} from '@friendly-calculator/common/testing';
import request from './checked-request';
import { seededRandom } from '../../src/bandit/random';
import { eventually, greetingsApp } from './harness';

describe('greetings metrics over StatsD (real UDP)', () => {
  let statsd: StatsdPair;
  let receiver: StatsdReceiver;
  let metrics: Metrics;
  beforeAll(async () => {
    statsd = await startStatsdPair('greetings');
    ({ receiver, metrics } = statsd);
  });
  afterAll(() => statsd.close());

  it('when a greeting is shown and liked, then impressions, strategy and likes are counted per variant', async () => {
    // EPSILON=1: always explore, so the strategy is known.
    const greetings = greetingsApp({ EPSILON: '1' }, { metrics, random: seededRandom(1) });
    const shown = await request(greetings.app)
      .get('/greeting/Bob')
      .set('Accept', 'application/json');
    const { variant, impression } = shown.body as { variant: string; impression: string };
    await request(greetings.app).post('/like_greeting').send({ impression }).expect(200);
    await receiver.waitFor((lines) => lines.includes(`greetings.likes.${variant}:1|c`));

    expect(receiver.lines).toContain(`greetings.impressions.${variant}:1|c`);
    expect(receiver.lines).toContain('greetings.strategy.explore:1|c');
    expect(receiver.lines).toContain(`greetings.likes.${variant}:1|c`);
    expect(receiver.lines).toContain('greetings.http.requests:1|c');
    expect(receiver.lines.some((l) => /^greetings\.http\.latency:[\d.]+\|ms$/.test(l))).toBe(true);
    await greetings.close();
  });

  it('when a path cannot be decoded, then 400, counted as a 4xx, never as a 5xx', async () => {
    const greetings = greetingsApp({}, { metrics });
    receiver.clear();
    for (const path of ['/greeting/%ZZ', '/impressions/%ZZ', '/greeting/%ED%A0%80'])
      await request(greetings.app).get(path).set('Accept', 'application/json').expect(400);
    await receiver.waitFor(
      (lines) => lines.filter((l) => l.startsWith('greetings.http.latency:')).length === 3,
    );
    expect(receiver.lines.filter((l) => l === 'greetings.http.status.4xx:1|c')).toHaveLength(3);
    expect(receiver.lines).not.toContainEqual(expect.stringMatching(/5xx/));
    await greetings.close();
  });

  it("when the current phase is reported, then each variant's shown, liked, like rate and P(best) are gauges, and the phase number", async () => {
    // The same store for two replicas: the one that saw nothing reports the other's Like too.
    const redis = await startRedisServer();
    const env = { REDIS_URL: redis.url, GREETING_VARIANTS: 'hello,hi' };
    const one = greetingsApp(env, { metrics, random: seededRandom(3) });
    const two = greetingsApp(env, { metrics });
    try {
      await eventually(() => one.store.ping());
      const shown = await request(one.app).get('/greeting/Bob').set('Accept', 'application/json');
      const { variant, impression } = shown.body as { variant: string; impression: string };
      const other = variant === 'hello' ? 'hi' : 'hello';
      await request(one.app).post('/like_greeting').send({ impression }).expect(200);
      receiver.clear();
      await two.report();
      const gauges = [
        'greetings.experiment.phase:1|g',
        `greetings.experiment.current.${variant}.shown:1|g`,
        `greetings.experiment.current.${variant}.liked:1|g`,
        `greetings.experiment.current.${variant}.like_rate:1|g`,
        `greetings.experiment.current.${other}.shown:0|g`,
        `greetings.experiment.current.${other}.liked:0|g`,
        `greetings.experiment.current.${other}.like_rate:0|g`,
      ];
      await receiver.waitFor((lines) => gauges.every((g) => lines.includes(g)));
      const pBest = (name: string) =>
        Number(
          receiver.lines
            .find((l) => l.startsWith(`greetings.experiment.current.${name}.p_best:`))
            ?.slice(`greetings.experiment.current.${name}.p_best:`.length)
            .replace('|g', ''),
        );
      await receiver.waitFor((lines) => lines.filter((l) => l.includes('.p_best:')).length === 2);
      // One Like in one showing against nothing: the liked variant leads, and the two sum to 1.
      expect(pBest(variant)).toBeGreaterThan(0.5);
      expect(pBest(variant) + pBest(other)).toBeCloseTo(1, 5);

      // Store away: nothing is reported (StatsD then forgets the gauges: no data, not old numbers).
      await redis.kill();
      receiver.clear();
      await two.report();
      await one.report();
      await new Promise((r) => setTimeout(r, 200));
      expect(receiver.lines.filter((l) => l.includes('experiment.'))).toEqual([]);
      // Back: reported again (and both replicas can close their connections cleanly).
      await redis.restart();
      await eventually(async () => {
        await two.report();
        expect(receiver.lines).toContain('greetings.experiment.phase:1|g');
      });
    } finally {
      await one.close();
      await two.close();
      await redis.stop();
    }
  });

  it('when the admin token is wrong, then the failure is counted (and the phase gauge is sent)', async () => {
    const greetings = greetingsApp({ ADMIN_TOKEN: 'the-right-token-0123' }, { metrics });
    await request(greetings.app).get('/greeting/Ann').set('Accept', 'application/json').expect(200);
    await request(greetings.app)
      .post('/admin/experiments/current/pause')
      .set('Authorization', 'Bearer the-wrong-token-0123')
      .expect(403);
    await receiver.waitFor((lines) => lines.includes('greetings.admin.auth_failures:1|c'));
    expect(receiver.lines).toContain('greetings.experiment.phase:1|g');
    await greetings.close();
  });
});
