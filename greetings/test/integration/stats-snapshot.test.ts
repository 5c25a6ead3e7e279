import { createNullMetrics, silentLogger } from '@friendly-calculator/common';
import request from './checked-request';
import { seededRandom } from '../../src/bandit/random';
import { buildGreetings } from '../../src/compose';
import { loadGreetingsConfig } from '../../src/config';
import { phaseStatistics } from '../../src/experiment/statistics';

interface Shown {
  experiment: {
    variants: { shown: number; liked: number; interval: [number, number]; pBest: number }[];
  };
}

/** greetings whose clock stands still, with this EPSILON and random seed. */
const standingStill = (epsilon: string, seed: number) =>
  buildGreetings(
    loadGreetingsConfig({ AWESOME_APP_URL: 'http://localhost:5000', EPSILON: epsilon }),
    {
      logger: silentLogger(),
      metrics: createNullMetrics(),
      random: seededRandom(seed),
      now: () => Date.parse('2026-11-26T12:00:00Z'),
    },
  );

describe('the experiment shown beside a greeting', () => {
  it('when greetings come faster than the statistics are worked out, then its counts and statistics are still one snapshot', async () => {
    // The clock stands still: every greeting after the first is within the throttle.
    const greetings = standingStill('1', 7);
    await greetings.warmUp();
    for (let i = 0; i < 5; i++) {
      const res = await request(greetings.app)
        .get('/greeting/Bob')
        .set('Accept', 'application/json')
        .expect(200);
      const { variants } = (res.body as Shown).experiment;
      const stats = phaseStatistics(variants.map((v) => ({ shown: v.shown, liked: v.liked })));
      variants.forEach((v, j) => {
        expect(v.interval[0]).toBeCloseTo(stats[j]!.interval[0], 5);
        expect(v.interval[1]).toBeCloseTo(stats[j]!.interval[1], 5);
        expect(v.pBest).toBeCloseTo(stats[j]!.pBest, 5);
      });
    }
    // A Like is shown at once, statistics and all.
    const shown = await request(greetings.app)
      .get('/greeting/Ann')
      .set('Accept', 'application/json');
    const { impression } = shown.body as { impression: string };
    await request(greetings.app).post('/like_greeting').send({ impression }).expect(200);
    const stats = await request(greetings.app).get('/stats').expect(200);
    const liked = (stats.body as Shown['experiment']).variants;
    expect(liked.reduce((sum, v) => sum + v.liked, 0)).toBe(1);
    const expected = phaseStatistics(liked.map((v) => ({ shown: v.shown, liked: v.liked })));
    liked.forEach((v, j) => expect(v.pBest).toBeCloseTo(expected[j]!.pBest, 5));
    await greetings.close();
  });

  it('when a greeting is shown for the first time, then the experiment beside it counts that showing, and an even start is called a tie', async () => {
    // The clock stands still, so only the first-showing rule can refresh the statistics.
    const greetings = standingStill('0', 3);
    await greetings.warmUp();
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await request(greetings.app)
        .get('/greeting/Bob')
        .set('Accept', 'application/json')
        .expect(200);
      const body = res.body as Shown & { variant: string; strategy: string; tie?: boolean };
      seen.add(body.variant);
      const mine = body.experiment.variants.find(
        (v) => (v as unknown as { name: string }).name === body.variant,
      );
      expect(mine?.shown).toBeGreaterThanOrEqual(1);
      // No Likes: every like rate stays 0, so every choice is a tie broken at random.
      expect(body).toMatchObject({ strategy: 'exploit', tie: true });
    }
    // Both variants were shown, so both first showings were checked.
    expect([...seen].sort()).toEqual(['hello', 'howdy']);
    await greetings.close();
  });
});
