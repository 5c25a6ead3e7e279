/**
 * `npm run bench:bandit`: a seeded simulation of the pure bandit policies
 * against visitors who like each greeting with a fixed, known probability.
 * Deterministic: the same seed prints the same table.
 *
 *   npm run bench:bandit                 # the policies' table (under a minute)
 *   npm run bench:bandit -- --runs 100   # quicker
 *   npm run bench:bandit -- --stopping   # + the stopping rule in A/A runs (false winners; minutes)
 *   npm run bench:bandit -- --power      # + how often and how soon a real difference wins (minutes)
 *
 * docs/services.md and docs/experiment.md quote these tables and say how
 * long each took.
 */
import { parseArgs } from 'node:util';
import { countRule, epsilonGreedy, thompson, type ArmCounts, type Policy } from '../bandit/policy';
import { seededRandom, type Random } from '../bandit/random';
import {
  DEFAULT_STOPPING_RULE,
  phaseStatistics,
  winner,
  type StoppingRule,
} from '../experiment/statistics';

const EPSILON = 0.1;
const WINDOW = 1000;

interface Setup {
  name: string;
  rates: number[];
  horizon: number;
  runs: number;
}

interface Row {
  setup: string;
  policy: string;
  bestShare: number;
  meanRegret: number;
  stuck: number;
  theory: number | null;
}

export function simulate(
  policy: Policy,
  rates: readonly number[],
  horizon: number,
  random: Random,
) {
  const arms: ArmCounts[] = rates.map((_, i) => ({ variant: String(i), impressions: 0, likes: 0 }));
  const best = rates.indexOf(Math.max(...rates));
  const window = Math.min(WINDOW, horizon);
  const shownInWindow = new Array<number>(rates.length).fill(0);
  let regret = 0;
  for (let t = 0; t < horizon; t++) {
    const arm = Number(policy.choose(arms, random).variant);
    const counts = arms[arm]!;
    const rate = rates[arm]!;
    counts.impressions++;
    if (random() < rate) counts.likes++;
    regret += rates[best]! - rate;
    if (t >= horizon - window) shownInWindow[arm]!++;
  }
  const mostShown = shownInWindow.indexOf(Math.max(...shownInWindow));
  return {
    bestShare: shownInWindow[best]! / window,
    regret,
    // Stuck: in the final window, a worse arm was shown most.
    stuck: rates[mostShown]! < rates[best]!,
  };
}

export function run(setups: readonly Setup[], seed: number): Row[] {
  const policies: [string, () => Policy, (k: number) => number | null][] = [
    [
      "seed's rule: most likes (ε = 0.1)",
      () => countRule(EPSILON),
      (k) => 1 - EPSILON + EPSILON / k,
    ],
    [
      'epsilon-greedy by like rate (ε = 0.1)',
      () => epsilonGreedy(EPSILON),
      (k) => 1 - EPSILON + EPSILON / k,
    ],
    ['Thompson sampling', () => thompson(), () => null],
  ];
  const rows: Row[] = [];
  for (const setup of setups) {
    for (const [label, make, theory] of policies) {
      const random = seededRandom(seed);
      let share = 0;
      let regret = 0;
      let stuck = 0;
      for (let r = 0; r < setup.runs; r++) {
        const result = simulate(make(), setup.rates, setup.horizon, random);
        share += result.bestShare;
        regret += result.regret;
        if (result.stuck) stuck++;
      }
      rows.push({
        setup: setup.name,
        policy: label,
        bestShare: share / setup.runs,
        meanRegret: regret / setup.runs,
        stuck: stuck / setup.runs,
        theory: theory(setup.rates.length),
      });
    }
  }
  return rows;
}

export function toMarkdown(rows: readonly Row[]): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return [
    '| setup | policy | best-arm share, last 1,000 | theory (1 − ε) + ε/K | mean regret | runs stuck on a worse arm |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.setup} | ${r.policy} | ${pct(r.bestShare)} | ${r.theory === null ? '–' : pct(r.theory)} | ${r.meanRegret.toFixed(1)} | ${pct(r.stuck)} |`,
    ),
  ].join('\n');
}

/** How often the stopping rule is consulted in the simulation (the service does it at most every 250 ms). */
const LOOK_EVERY = 100;

interface StopRow {
  setup: string;
  policy: string;
  declared: number;
  right: number;
  wrong: number;
  meanShows: number | null;
}

/**
 * The stopping rule, simulated: run the bandit, consult the rule every
 * LOOK_EVERY shows, and record the first winner it names (if any) before
 * the horizon. With equal true rates (A/A) every winner is a false one.
 */
export function stoppingRun(
  rule: StoppingRule,
  setups: readonly Setup[],
  seed: number,
  lookEvery = LOOK_EVERY,
): StopRow[] {
  const policies: [string, () => Policy][] = [
    ['epsilon-greedy by like rate (ε = 0.1)', () => epsilonGreedy(EPSILON)],
    ['Thompson sampling', () => thompson()],
  ];
  const rows: StopRow[] = [];
  for (const setup of setups) {
    const best = setup.rates.indexOf(Math.max(...setup.rates));
    const allEqual = setup.rates.every((r) => r === setup.rates[0]);
    for (const [label, make] of policies) {
      const random = seededRandom(seed);
      let right = 0;
      let wrong = 0;
      let shows = 0;
      for (let r = 0; r < setup.runs; r++) {
        const policy = make();
        const arms: ArmCounts[] = setup.rates.map((_, i) => ({
          variant: String(i),
          impressions: 0,
          likes: 0,
        }));
        for (let t = 1; t <= setup.horizon; t++) {
          const arm = Number(policy.choose(arms, random).variant);
          arms[arm]!.impressions++;
          if (random() < setup.rates[arm]!) arms[arm]!.likes++;
          if (t % lookEvery !== 0) continue;
          const counts = arms.map((a) => ({ shown: a.impressions, liked: a.likes }));
          const named = winner(counts, phaseStatistics(counts), rule);
          if (named === null) continue;
          if (!allEqual && named === best) right++;
          else wrong++;
          shows += t;
          break;
        }
      }
      const declared = right + wrong;
      rows.push({
        setup: setup.name,
        policy: label,
        declared: declared / setup.runs,
        right: right / setup.runs,
        wrong: wrong / setup.runs,
        meanShows: declared > 0 ? shows / declared : null,
      });
    }
  }
  return rows;
}

export function stoppingMarkdown(rows: readonly StopRow[]): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return [
    '| setup | policy | a winner named before the horizon | the true best | a false winner | mean shows until named |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.setup} | ${r.policy} | ${pct(r.declared)} | ${r.setup.includes('A/A') ? '–' : pct(r.right)} | ${pct(r.wrong)} | ${r.meanShows === null ? '–' : Math.round(r.meanShows).toLocaleString('en')} |`,
    ),
  ].join('\n');
}

/** The stopping rule's A/A setups: every winner named is a false one. */
function aaSetups(runs: number): Setup[] {
  return [
    { name: 'A/A: rates [0.10, 0.10], 10,000 shows', rates: [0.1, 0.1], horizon: 10_000, runs },
    { name: 'A/A: rates [0.05, 0.05], 10,000 shows', rates: [0.05, 0.05], horizon: 10_000, runs },
    {
      name: 'A/A/A: rates [0.10, 0.10, 0.10], 10,000 shows',
      rates: [0.1, 0.1, 0.1],
      horizon: 10_000,
      runs,
    },
  ];
}

/** The stopping rule's power: a real difference, how often and how soon it is named. */
function powerSetups(runs: number): Setup[] {
  return [
    { name: 'rates [0.05, 0.10], 10,000 shows', rates: [0.05, 0.1], horizon: 10_000, runs },
    { name: 'rates [0.10, 0.12], 10,000 shows', rates: [0.1, 0.12], horizon: 10_000, runs },
  ];
}

function printStopping(title: string, setups: Setup[], seed: number): void {
  const started = Date.now();
  const table = stoppingMarkdown(stoppingRun(DEFAULT_STOPPING_RULE, setups, seed));
  process.stdout.write(
    `\n${title} (every variant shown ${DEFAULT_STOPPING_RULE.minShown} times; the leader's P(best) at least 1 − ${DEFAULT_STOPPING_RULE.alpha}, halved at each doubling), consulted every ${LOOK_EVERY} shows:\n\n${table}\n\n${setups[0]!.runs} runs per setup; seed ${seed}; ${((Date.now() - started) / 1000).toFixed(1)} s.\n`,
  );
}

function main(): void {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '1000' },
      seed: { type: 'string', default: '2018' },
      stopping: { type: 'boolean', default: false },
      power: { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  const seed = Number(values.seed);
  const setups: Setup[] = [
    { name: 'rates [0.05, 0.10], 10,000 shows', rates: [0.05, 0.1], horizon: 10_000, runs },
    { name: 'rates [0.10, 0.05], 10,000 shows', rates: [0.1, 0.05], horizon: 10_000, runs },
    {
      name: 'rates [0.1, 0.1, 0.1, 0.1, 0.9], 250 shows (all 250)',
      rates: [0.1, 0.1, 0.1, 0.1, 0.9],
      horizon: 250,
      runs: runs * 5,
    },
  ];
  const started = Date.now();
  const table = toMarkdown(run(setups, seed));
  process.stdout.write(
    `${table}\n\n${runs} runs per two-arm setup, ${runs * 5} for the five-arm one; seed ${seed}; ${((Date.now() - started) / 1000).toFixed(1)} s.\n`,
  );
  const stopRuns = Math.max(1, Math.round(runs / 2));
  if (values.stopping) printStopping('The stopping rule in A/A runs', aaSetups(stopRuns), seed);
  if (values.power)
    printStopping('The stopping rule on a real difference', powerSetups(stopRuns), seed);
  if (!values.stopping && !values.power) {
    process.stdout.write(
      "\nThe stopping rule's tables take minutes: add --stopping (false winners in A/A runs) or --power (a real difference).\n",
    );
  }
}

if (require.main === module) main();
