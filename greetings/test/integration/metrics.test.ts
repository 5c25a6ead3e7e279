import type { Metrics } from '@friendly-calculator/common';
import {
  startStatsdPair,
  type StatsdPair,
  type StatsdReceiver,
} from '@friendly-calculator/common/testing';
import request from 'supertest';
import { seededRandom } from '../../src/bandit/random';
import { greetingsApp } from './harness';

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
