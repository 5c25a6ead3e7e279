import { seededRandom } from '../../src/bandit/random';
import { sampleBeta } from '../../src/bandit/policy';
import { stoppingRun } from '../../src/bench/bandit';
import {
  bestThreshold,
  DEFAULT_STOPPING_RULE,
  phaseStatistics,
  winner,
  type Counts,
} from '../../src/experiment/statistics';

/** ln Γ(x), Lanczos (g = 7, n = 9): for the closed form below. */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}
const lnBeta = (a: number, b: number) => lnGamma(a) + lnGamma(b) - lnGamma(a + b);

/** P(X_B > X_A) for Beta posteriors, exactly (Evan Miller's sum; b's first parameter a whole number). */
function probBBeatsA(A: Counts, B: Counts): number {
  const [aA, bA] = [1 + A.liked, 1 + A.shown - A.liked];
  const [aB, bB] = [1 + B.liked, 1 + B.shown - B.liked];
  let total = 0;
  for (let i = 0; i < aB; i++)
    total += Math.exp(
      lnBeta(aA + i, bA + bB) - Math.log(bB + i) - lnBeta(1 + i, bB) - lnBeta(aA, bA),
    );
  return total;
}

/** P(best) by plain seeded sampling, for checking the integration with 3+ variants. */
function monteCarlo(counts: Counts[], draws: number): number[] {
  const random = seededRandom(42);
  const wins = counts.map(() => 0);
  for (let d = 0; d < draws; d++) {
    let best = -1;
    let bestValue = -1;
    counts.forEach((c, i) => {
      const x = sampleBeta(1 + c.liked, 1 + c.shown - c.liked, random);
      if (x > bestValue) [best, bestValue] = [i, x];
    });
    wins[best]!++;
  }
  return wins.map((w) => w / draws);
}

describe('phaseStatistics', () => {
  it('when nothing was shown, then the interval is the uniform prior’s and P(best) is shared equally', () => {
    const stats = phaseStatistics([
      { shown: 0, liked: 0 },
      { shown: 0, liked: 0 },
    ]);
    for (const s of stats) {
      expect(s.likeRate).toBe(0);
      expect(s.interval[0]).toBeCloseTo(0.025, 4);
      expect(s.interval[1]).toBeCloseTo(0.975, 4);
      expect(s.pBest).toBeCloseTo(0.5, 6);
    }
  });

  it('when the posterior has a closed-form distribution, then the interval is its quantiles', () => {
    // Beta(2, 1): F(x) = x², so the quantiles are √0.025 and √0.975.
    const [liked] = phaseStatistics([{ shown: 1, liked: 1 }]);
    expect(liked!.interval[0]).toBeCloseTo(Math.sqrt(0.025), 4);
    expect(liked!.interval[1]).toBeCloseTo(Math.sqrt(0.975), 4);
    // Beta(1, 21): F(x) = 1 − (1 − x)^21.
    const [missed] = phaseStatistics([{ shown: 20, liked: 0 }]);
    expect(missed!.interval[0]).toBeCloseTo(1 - 0.975 ** (1 / 21), 5);
    expect(missed!.interval[1]).toBeCloseTo(1 - 0.025 ** (1 / 21), 5);
  });

  it.each([
    [
      { shown: 10, liked: 1 },
      { shown: 10, liked: 3 },
    ],
    [
      { shown: 100, liked: 5 },
      { shown: 120, liked: 12 },
    ],
    [
      { shown: 5000, liked: 250 },
      { shown: 300, liked: 30 },
    ],
    [
      { shown: 20000, liked: 2000 },
      { shown: 20000, liked: 2100 },
    ],
    [
      { shown: 0, liked: 0 },
      { shown: 50000, liked: 5000 },
    ],
  ])('when two variants are %j and %j, then P(best) matches the exact sum to 0.001', (a, b) => {
    const [sa, sb] = phaseStatistics([a, b]);
    const exact = probBBeatsA(a, b);
    expect(Math.abs(sb!.pBest - exact)).toBeLessThan(0.001);
    expect(sa!.pBest + sb!.pBest).toBeCloseTo(1, 9);
  });

  it('when there are four variants, then P(best) matches 250,000 seeded draws to 0.005 and sums to 1', () => {
    const counts = [
      { shown: 200, liked: 20 },
      { shown: 180, liked: 22 },
      { shown: 40, liked: 3 },
      { shown: 1000, liked: 95 },
    ];
    const stats = phaseStatistics(counts);
    const sampled = monteCarlo(counts, 250_000);
    stats.forEach((s, i) => expect(Math.abs(s.pBest - sampled[i]!)).toBeLessThan(0.005));
    expect(stats.reduce((sum, s) => sum + s.pBest, 0)).toBeCloseTo(1, 9);
  });

  it('holds the like rate inside its interval, and narrows the interval as evidence grows', () => {
    const [small, large] = phaseStatistics([
      { shown: 50, liked: 5 },
      { shown: 5000, liked: 500 },
    ]);
    for (const s of [small!, large!]) {
      expect(s.interval[0]).toBeLessThan(s.likeRate);
      expect(s.interval[1]).toBeGreaterThan(s.likeRate);
    }
    expect(large!.interval[1] - large!.interval[0]).toBeLessThan(
      small!.interval[1] - small!.interval[0],
    );
  });
});

describe('the stopping rule', () => {
  const rule = DEFAULT_STOPPING_RULE;
  const decide = (counts: Counts[]) => winner(counts, phaseStatistics(counts), rule);

  it('when any variant has been shown fewer than minShown times, then there is no winner, however clear', () => {
    expect(
      decide([
        { shown: 99, liked: 0 },
        { shown: 5000, liked: 4000 },
      ]),
    ).toBeNull();
  });

  it('when nothing at all was shown, then there is no winner (no "best" at 0 to 0)', () => {
    expect(
      decide([
        { shown: 0, liked: 0 },
        { shown: 0, liked: 0 },
      ]),
    ).toBeNull();
  });

  it('when the leader is clearly better and both were shown enough, then it wins', () => {
    expect(
      decide([
        { shown: 1000, liked: 50 },
        { shown: 1000, liked: 120 },
      ]),
    ).toBe(1);
  });

  it('when the leader is ahead but P(best) is below the bar, then still learning', () => {
    const counts = [
      { shown: 150, liked: 10 },
      { shown: 150, liked: 18 },
    ];
    const stats = phaseStatistics(counts);
    expect(stats[1]!.pBest).toBeGreaterThan(0.9);
    expect(stats[1]!.pBest).toBeLessThan(bestThreshold(150, rule));
    expect(winner(counts, stats, rule)).toBeNull();
  });

  it('raises the bar by halving alpha at each doubling of the least-shown count, never below 0.95', () => {
    expect(bestThreshold(100, rule)).toBeCloseTo(0.9975, 9);
    expect(bestThreshold(199, rule)).toBeCloseTo(0.9975, 9);
    expect(bestThreshold(200, rule)).toBeCloseTo(0.99875, 9);
    expect(bestThreshold(800, rule)).toBeCloseTo(1 - 0.0025 / 8, 9);
    expect(bestThreshold(10, { minShown: 100, alpha: 0.2 })).toBe(0.95);
  });
});

describe('the stopping rule, simulated (npm run bench:bandit)', () => {
  const setups = [
    { name: 'A/A', rates: [0.1, 0.1], horizon: 4000, runs: 30 },
    { name: 'clear', rates: [0.05, 0.15], horizon: 4000, runs: 30 },
  ];

  it('when the rule is too lax, then the simulation sees false winners in A/A', () => {
    const [eg] = stoppingRun({ minShown: 20, alpha: 0.3 }, setups.slice(0, 1), 7, 50);
    expect(eg!.wrong).toBeGreaterThan(0.1);
  });

  it('when the difference is clear, then the default rule names the true best in some runs and a wrong one in none', () => {
    const rows = stoppingRun(DEFAULT_STOPPING_RULE, setups.slice(1), 7, 100);
    for (const row of rows) {
      expect(row.right).toBeGreaterThan(0.1);
      expect(row.wrong).toBe(0);
    }
  });
});
