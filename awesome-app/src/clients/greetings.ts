import type { Outcome } from '../outcome';
import type { ExperimentData, GreetingData, LikeCheck } from '../page';
import type { Upstream } from './upstream';

export interface GreetingsClient {
  /**
   * The greeting, and with it the experiment's numbers for the chart (one
   * call for both). `record: false` (a HEAD or a prefetch: nobody sees it
   * now) asks greetings not to count an impression.
   */
  greet(name: string, options?: { record?: boolean }): Promise<Outcome<GreetingData>>;
  /** What became of a greeting shown earlier (after a Like, for the page's notice). */
  checkImpression(impression: string): Promise<Outcome<LikeCheck>>;
  /** For `/health/dependencies`. */
  ping(): Promise<Outcome<true>>;
}

// Browsers say so for a page loaded ahead of time; greetings records no impression for it.
const NOT_SHOWN = { 'sec-purpose': 'prefetch' } as const;

/** greetings over HTTP: `GET /greeting/{name}` and `GET /impressions/{id}` as JSON. */
export function createGreetingsClient(upstream: Upstream): GreetingsClient {
  return {
    greet: (name, { record = true } = {}) =>
      upstream.getJson(
        `/greeting/${encodeURIComponent(name)}`,
        readGreeting,
        record ? {} : NOT_SHOWN,
      ),
    checkImpression: (impression) =>
      upstream.getJson(`/impressions/${encodeURIComponent(impression)}`, readCheck),
    ping: () => upstream.getJson('/healthz', () => true as const),
  };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null;
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isRate = (v: unknown): v is number => typeof v === 'number' && v >= 0 && v <= 1;

function readGreeting(json: unknown): GreetingData | undefined {
  if (!isObject(json)) return undefined;
  const { greeting, variant, strategy, impression } = json;
  if (typeof greeting !== 'string' || typeof variant !== 'string') return undefined;
  if (typeof strategy !== 'string') return undefined;
  if (impression !== null && (typeof impression !== 'string' || impression === ''))
    return undefined;
  const experiment = json.experiment === undefined ? undefined : readExperiment(json.experiment);
  return {
    greeting,
    variant,
    strategy,
    ...(json.tie === true ? { tie: true } : {}),
    impression,
    ...(experiment ? { experiment } : {}),
  };
}

const STATES = ['running', 'paused', 'shipped'] as const;

function readExperiment(json: unknown): ExperimentData | undefined {
  if (!isObject(json) || !Array.isArray(json.variants)) return undefined;
  const { phase, state, policy, epsilon, shipped, best, minShownForBest, bestThreshold } = json;
  if (!isCount(phase) || !STATES.includes(state as (typeof STATES)[number])) return undefined;
  if (typeof policy !== 'string' || !isRate(epsilon)) return undefined;
  if (best !== null && typeof best !== 'string') return undefined;
  if (shipped !== null && typeof shipped !== 'string') return undefined;
  if (!isCount(minShownForBest) || !isRate(bestThreshold)) return undefined;
  const variants: ExperimentData['variants'] = [];
  for (const v of json.variants as unknown[]) {
    if (!isObject(v) || typeof v.name !== 'string') return undefined;
    const { shown, liked, likeRate, interval, pBest } = v;
    if (!isCount(shown) || !isCount(liked) || !isRate(likeRate) || !isRate(pBest)) return undefined;
    if (!Array.isArray(interval) || interval.length !== 2 || !interval.every(isRate))
      return undefined;
    variants.push({
      name: v.name,
      shown,
      liked,
      likeRate,
      interval: [interval[0] as number, interval[1] as number],
      pBest,
    });
  }
  return {
    phase,
    state: state as ExperimentData['state'],
    policy,
    epsilon,
    shipped,
    best,
    minShownForBest,
    bestThreshold,
    variants,
  };
}

function readCheck(json: unknown): LikeCheck | undefined {
  if (!isObject(json)) return undefined;
  const { status, phase, variant } = json;
  if (status === 'unknown') return { status };
  if ((status === 'pending' || status === 'liked') && isCount(phase) && typeof variant === 'string')
    return { status, phase, variant };
  return undefined;
}
