import type { PolicyName } from '../bandit/policy';
import type { PhaseRecord, PhaseState } from './phase';
import { bestThreshold, phaseStatistics, winner, type StoppingRule } from './statistics';

/** A phase as the API, the page and the admin page show it (the contract's shape). */
export interface PhaseView {
  phase: number;
  state: PhaseState;
  policy: PolicyName;
  epsilon: number;
  shipped: string | null;
  startedAt: string;
  endedAt: string | null;
  variants: {
    name: string;
    template: string;
    shown: number;
    liked: number;
    likeRate: number;
    interval: [number, number];
    pBest: number;
  }[];
  /** Null ("still learning") until the stopping rule names a winner. */
  best: string | null;
  /** The stopping rule `best` follows: every variant shown this often, and the leader's P(best) at least `bestThreshold`. */
  minShownForBest: number;
  bestThreshold: number;
}

export function phaseView(record: PhaseRecord, rule: StoppingRule): PhaseView {
  const stats = phaseStatistics(record.counts);
  const best = winner(record.counts, stats, rule);
  return {
    phase: record.phase,
    state: record.state,
    policy: record.policy,
    epsilon: record.epsilon,
    shipped: record.shipped,
    startedAt: record.startedAt,
    endedAt: record.endedAt,
    variants: record.variants.map((v, i) => ({
      name: v.name,
      template: v.template,
      shown: record.counts[i]!.shown,
      liked: record.counts[i]!.liked,
      likeRate: round(stats[i]!.likeRate),
      interval: stats[i]!.interval,
      pBest: round(stats[i]!.pBest),
    })),
    best: best === null ? null : record.variants[best]!.name,
    minShownForBest: rule.minShown,
    bestThreshold: bestThreshold(Math.min(...record.counts.map((c) => c.shown)), rule),
  };
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
