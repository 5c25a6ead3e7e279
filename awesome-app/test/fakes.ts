import type { GreetingsClient } from '../src/clients/greetings';
import {
  PAGE_OPERATIONS,
  type MathsClient,
  type PageOperation,
  type Results,
} from '../src/clients/maths';
import type { Outcome } from '../src/outcome';
import type { ExperimentData, GreetingData, LikeCheck } from '../src/page';

/** Stand-ins for the two services: plain objects that satisfy the clients' interfaces. */
export const unavailable = (message: string) =>
  ({ ok: false, kind: 'unavailable', message }) as const;

export const STATS: ExperimentData = {
  phase: 2,
  state: 'running',
  epsilon: 0.1,
  policy: 'epsilon-greedy',
  shipped: null,
  best: null,
  minShownForBest: 100,
  bestThreshold: 0.995,
  variants: [
    { name: 'hello', shown: 10, liked: 2, likeRate: 0.2, interval: [0.057, 0.51], pBest: 0.19 },
    { name: 'howdy', shown: 20, liked: 8, likeRate: 0.4, interval: [0.217, 0.613], pBest: 0.81 },
  ],
};

export function fakeGreetings(overrides: Partial<GreetingsClient> = {}): GreetingsClient & {
  names: string[];
} {
  const names: string[] = [];
  return {
    names,
    greet: async (name): Promise<Outcome<GreetingData>> => {
      names.push(name);
      return {
        ok: true,
        value: {
          greeting: `Hello ${name}`,
          variant: 'hello',
          strategy: 'exploit',
          impression: 'imp-1',
          experiment: STATS,
        },
      };
    },
    checkImpression: async (): Promise<Outcome<LikeCheck>> => ({
      ok: true,
      value: { status: 'unknown' },
    }),
    ping: async () => ({ ok: true, value: true }),
    ...overrides,
  };
}

const OPS: Record<PageOperation, (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  subtract: (x, y) => x - y,
  multiply: (x, y) => x * y,
  divide: (x, y) => x / y,
};

const calculate = (op: PageOperation, x: number, y: number): Outcome<number> =>
  op === 'divide' && y === 0
    ? {
        ok: false,
        kind: 'rejected',
        status: 422,
        message: 'Division by zero: y must not be 0 when dividing',
      }
    : { ok: true, value: OPS[op](x, y) };

/** Every operation with the same outcome (e.g. maths down). */
export const allOps = (outcome: Outcome<number>): Results =>
  Object.fromEntries(PAGE_OPERATIONS.map((op) => [op, outcome])) as Results;

export function fakeMaths(overrides: Partial<MathsClient> = {}): MathsClient {
  return {
    calculateAll: async (x, y): Promise<Results> =>
      Object.fromEntries(PAGE_OPERATIONS.map((op) => [op, calculate(op, x, y)])) as Results,
    ping: async () => ({ ok: true, value: true }),
    ...overrides,
  };
}
