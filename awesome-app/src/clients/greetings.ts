import type { Outcome, Upstream } from './upstream';

export interface Greeting {
  /** e.g. `Hello Bob`: text to show (escaped like everything else). */
  greeting: string;
  variant: string;
  /** `explore` or `exploit`; `fallback` when greetings cannot reach its store. */
  strategy: string;
  /** The id a Like posts back; `null` when no Like can be counted (fallback). */
  impression: string | null;
  /** The experiment right after this impression; absent on fallback. */
  experiment?: ExperimentStats;
}

export interface VariantStats {
  variant: string;
  impressions: number;
  likes: number;
  likeRate: number;
}

export interface ExperimentStats {
  epsilon: number;
  policy: string;
  best: string | null;
  variants: VariantStats[];
}

export interface GreetingsClient {
  /** The greeting, and with it the experiment's numbers for the chart (one call for both). */
  greet(name: string): Promise<Outcome<Greeting>>;
  /** For `/readyz`. */
  ping(): Promise<Outcome<true>>;
}

/** greetings over HTTP: `GET /greeting/{name}` as JSON. */
export function createGreetingsClient(upstream: Upstream): GreetingsClient {
  return {
    greet: (name) => upstream.getJson(`/greeting/${encodeURIComponent(name)}`, readGreeting),
    ping: () => upstream.getJson('/healthz', () => true as const),
  };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null;
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function readGreeting(json: unknown): Greeting | undefined {
  if (!isObject(json)) return undefined;
  const { greeting, variant, strategy, impression } = json;
  if (typeof greeting !== 'string' || typeof variant !== 'string') return undefined;
  if (typeof strategy !== 'string') return undefined;
  if (impression !== null && (typeof impression !== 'string' || impression === ''))
    return undefined;
  const experiment = json.experiment === undefined ? undefined : readStats(json.experiment);
  return { greeting, variant, strategy, impression, ...(experiment ? { experiment } : {}) };
}

function readStats(json: unknown): ExperimentStats | undefined {
  if (!isObject(json) || !Array.isArray(json.variants)) return undefined;
  const { epsilon, policy, best } = json;
  if (typeof epsilon !== 'number' || (best !== null && typeof best !== 'string')) return undefined;
  const variants: VariantStats[] = [];
  for (const v of json.variants as unknown[]) {
    if (!isObject(v) || typeof v.variant !== 'string') return undefined;
    if (!isCount(v.impressions) || !isCount(v.likes)) return undefined;
    const likeRate = typeof v.likeRate === 'number' ? v.likeRate : 0;
    variants.push({ variant: v.variant, impressions: v.impressions, likes: v.likes, likeRate });
  }
  return {
    epsilon,
    policy: typeof policy === 'string' ? policy : 'epsilon-greedy',
    best,
    variants,
  };
}
