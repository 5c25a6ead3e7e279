import {
  countRule,
  epsilonGreedy,
  likeRate,
  sampleBeta,
  thompson,
  type ArmCounts,
} from '../../src/bandit/policy';
import { seededRandom } from '../../src/bandit/random';

/** A random source that returns the given values in turn. */
const scripted = (...values: number[]) => {
  let i = 0;
  return () => {
    const v = values[i++];
    if (v === undefined) throw new Error('scripted random ran out');
    return v;
  };
};

const arms = (...spec: [string, number, number][]): ArmCounts[] =>
  spec.map(([variant, impressions, likes]) => ({ variant, impressions, likes }));

describe('epsilon-greedy by like rate', () => {
  // hello: 10 likes of 100 shows (10 %); howdy: 3 of 10 (30 %), fewer likes but the better rate.
  const counts = arms(['hello', 100, 10], ['howdy', 10, 3]);

  it('when the coin says exploit, then it shows the best like rate, not the most likes', () => {
    expect(epsilonGreedy(0.1).choose(counts, scripted(0.5, 0))).toEqual({
      variant: 'howdy',
      strategy: 'exploit',
    });
  });

  it('when the coin says explore, then it picks uniformly at random', () => {
    expect(epsilonGreedy(0.1).choose(counts, scripted(0.05, 0.1))).toEqual({
      variant: 'hello',
      strategy: 'explore',
    });
    expect(epsilonGreedy(0.1).choose(counts, scripted(0.05, 0.9))).toEqual({
      variant: 'howdy',
      strategy: 'explore',
    });
  });

  it('when all arms tie (the all-zero start), then the tie is broken at random, and says it was a tie', () => {
    const start = arms(['hello', 0, 0], ['howdy', 0, 0]);
    expect(epsilonGreedy(0.1).choose(start, scripted(0.5, 0.2))).toEqual({
      variant: 'hello',
      strategy: 'exploit',
      tie: true,
    });
    expect(epsilonGreedy(0.1).choose(start, scripted(0.5, 0.7)).variant).toBe('howdy');
  });

  it('when one arm leads, then exploiting it is no tie; exploring never says tie', () => {
    expect(epsilonGreedy(0.1).choose(counts, scripted(0.5, 0))).not.toHaveProperty('tie');
    const start = arms(['hello', 0, 0], ['howdy', 0, 0]);
    expect(epsilonGreedy(0.1).choose(start, scripted(0.05, 0.7))).toEqual({
      variant: 'howdy',
      strategy: 'explore',
    });
  });

  it('when epsilon is 0 or 1, then it always exploits or always explores', () => {
    const random = seededRandom(1);
    for (let i = 0; i < 200; i++) {
      expect(epsilonGreedy(0).choose(counts, random).strategy).toBe('exploit');
      expect(epsilonGreedy(1).choose(counts, random).strategy).toBe('explore');
    }
  });

  it('explores about epsilon of the time', () => {
    const random = seededRandom(42);
    let explored = 0;
    for (let i = 0; i < 20_000; i++) {
      if (epsilonGreedy(0.1).choose(counts, random).strategy === 'explore') explored++;
    }
    expect(explored / 20_000).toBeGreaterThan(0.09);
    expect(explored / 20_000).toBeLessThan(0.11);
  });
});

describe("the seed's count rule (kept for the simulation)", () => {
  it('when exploiting, then it follows raw like counts', () => {
    const counts = arms(['hello', 100, 10], ['howdy', 10, 3]);
    expect(countRule(0.1).choose(counts, scripted(0.5, 0)).variant).toBe('hello');
  });
});

describe('Thompson sampling', () => {
  it('when one arm is clearly better, then it is shown almost always', () => {
    const counts = arms(['hello', 1000, 50], ['howdy', 1000, 150]);
    const random = seededRandom(7);
    let howdy = 0;
    for (let i = 0; i < 1000; i++)
      if (thompson().choose(counts, random).variant === 'howdy') howdy++;
    expect(howdy).toBeGreaterThan(990);
  });

  it('when nothing is known, then both arms are shown about equally', () => {
    const counts = arms(['hello', 0, 0], ['howdy', 0, 0]);
    const random = seededRandom(3);
    let hello = 0;
    for (let i = 0; i < 4000; i++)
      if (thompson().choose(counts, random).variant === 'hello') hello++;
    expect(hello / 4000).toBeGreaterThan(0.45);
    expect(hello / 4000).toBeLessThan(0.55);
  });

  it('labels a draw of the greedy arm exploit and any other explore', () => {
    const counts = arms(['hello', 10, 1], ['howdy', 10, 5]);
    const random = seededRandom(11);
    for (let i = 0; i < 200; i++) {
      const d = thompson().choose(counts, random);
      expect(d.strategy).toBe(d.variant === 'howdy' ? 'exploit' : 'explore');
    }
  });
});

describe('sampleBeta', () => {
  it('has the mean alpha / (alpha + beta)', () => {
    const random = seededRandom(5);
    for (const [a, b] of [
      [1, 1],
      [2, 8],
      [0.5, 0.5],
      [30, 10],
    ] as const) {
      let sum = 0;
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < 100_000; i++) {
        const x = sampleBeta(a, b, random);
        sum += x;
        min = Math.min(min, x);
        max = Math.max(max, x);
      }
      expect(min).toBeGreaterThanOrEqual(0);
      expect(max).toBeLessThanOrEqual(1);
      expect(sum / 100_000).toBeCloseTo(a / (a + b), 2);
    }
  });
});

describe('likeRate', () => {
  it('is 0 for an arm never shown, else likes / impressions', () => {
    expect(likeRate({ variant: 'hello', impressions: 0, likes: 0 })).toBe(0);
    expect(likeRate({ variant: 'howdy', impressions: 10, likes: 3 })).toBe(0.3);
  });
});
