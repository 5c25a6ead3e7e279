import { pick, type Random } from './random';

/**
 * The bandit policies: pure functions of the counts and a random source, so
 * tests and the simulation (`npm run bench:bandit`) are deterministic.
 */
export interface ArmCounts<V extends string = string> {
  variant: V;
  impressions: number;
  likes: number;
}

export type Strategy = 'explore' | 'exploit';

export interface Decision<V extends string = string> {
  variant: V;
  strategy: Strategy;
  /**
   * Exploit only: several arms shared the best like rate (at the start, all
   * of them at 0), so this one was picked at random among them.
   */
  tie?: boolean;
}

export interface Policy {
  readonly name: PolicyName | 'count-rule';
  choose<V extends string>(arms: readonly ArmCounts<V>[], random: Random): Decision<V>;
}

export const POLICY_NAMES = ['epsilon-greedy', 'thompson'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export const likeRate = (arm: ArmCounts): number =>
  arm.impressions > 0 ? arm.likes / arm.impressions : 0;

/** Every arm whose `score` is the highest (ties kept, so they can be broken at random). */
function argmaxAll<T>(items: readonly T[], score: (item: T) => number): T[] {
  let best = -Infinity;
  let winners: T[] = [];
  for (const item of items) {
    const s = score(item);
    if (s > best) {
      best = s;
      winners = [item];
    } else if (s === best) {
      winners.push(item);
    }
  }
  return winners;
}

/**
 * Epsilon-greedy by like rate: with probability `epsilon` a uniformly random
 * arm (explore), otherwise an arm with the best likes / impressions (exploit),
 * ties (including the all-zero start) broken at random.
 */
export function epsilonGreedy(epsilon: number): Policy {
  return {
    name: 'epsilon-greedy',
    choose(arms, random) {
      if (random() < epsilon) return { variant: pick(arms, random).variant, strategy: 'explore' };
      const best = argmaxAll(arms, likeRate);
      return {
        variant: pick(best, random).variant,
        strategy: 'exploit',
        ...(best.length > 1 ? { tie: true } : {}),
      };
    },
  };
}

/**
 * The original demo's rule, kept only for the simulation: epsilon-greedy on
 * raw like counts. An arm shown more often collects more likes, so the rule
 * can settle on the worse greeting and stay there.
 */
export function countRule(epsilon: number): Policy {
  return {
    name: 'count-rule',
    choose(arms, random) {
      if (random() < epsilon) return { variant: pick(arms, random).variant, strategy: 'explore' };
      return {
        variant: pick(
          argmaxAll(arms, (a) => a.likes),
          random,
        ).variant,
        strategy: 'exploit',
      };
    },
  };
}

/**
 * Thompson sampling with Beta(1, 1) priors: draw a like rate for each arm
 * from Beta(likes + 1, misses + 1) and show the arm with the highest draw.
 * The decision is reported as `exploit` when that arm is also the one with
 * the best observed like rate, `explore` otherwise.
 */
export function thompson(): Policy {
  return {
    name: 'thompson',
    choose(arms, random) {
      const drawn = pick(
        argmaxAll(arms, (a) =>
          sampleBeta(a.likes + 1, Math.max(0, a.impressions - a.likes) + 1, random),
        ),
        random,
      );
      const greedy = argmaxAll(arms, likeRate);
      if (!greedy.includes(drawn)) return { variant: drawn.variant, strategy: 'explore' };
      return {
        variant: drawn.variant,
        strategy: 'exploit',
        ...(greedy.length > 1 ? { tie: true } : {}),
      };
    },
  };
}

/** Standard normal by Box–Muller. */
function sampleNormal(random: Random): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Gamma(shape, 1) by Marsaglia and Tsang (2000). */
function sampleGamma(shape: number, random: Random): number {
  if (shape < 1) return sampleGamma(shape + 1, random) * Math.pow(1 - random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = sampleNormal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function sampleBeta(alpha: number, beta: number, random: Random): number {
  const x = sampleGamma(alpha, random);
  const y = sampleGamma(beta, random);
  return x / (x + y);
}

export function createPolicy(name: PolicyName, epsilon: number): Policy {
  return name === 'thompson' ? thompson() : epsilonGreedy(epsilon);
}
