import type { Counts } from './statistics';
import type { AuditEntry, PhaseChange, PhaseDefinition, PhaseRecord, PhaseState } from './phase';

/**
 * Where the experiment lives: its phases with their counts, the single-use
 * impressions, and the append-only audit log. Implementations: Redis (shared
 * by every replica) and in-memory (one process, lost on exit); both pass one
 * contract test. Every write is one atomic step that checks before it
 * writes, so a refused or failed write changes nothing.
 */
export interface ExperimentStore {
  readonly kind: 'redis' | 'memory';
  /** Creates phase 1 from `first` (and its audit entry) unless a phase exists. */
  initialize(first: PhaseDefinition, audit: AuditEntry): Promise<void>;
  current(): Promise<PhaseRecord>;
  /** At most `limit` phases numbered below `before` (or from the current one), newest first. */
  phases(page: Page): Promise<PhaseRecord[]>;
  /**
   * In one atomic step, if `phase` is still the current phase and running:
   * remember the single-use `impression` of `variant` for `ttlSeconds` and
   * count it. Returns the phase's fresh counts (aligned with `variants`), or
   * `stale` (nothing written) when the phase changed meanwhile.
   */
  recordImpression(
    phase: number,
    variants: readonly string[],
    variant: string,
    impression: string,
    ttlSeconds: number,
  ): Promise<Counts[] | 'stale'>;
  /**
   * In one atomic step: consume `impression` and count a Like for its
   * variant, only if its phase is `phase`, current and running. `stale`
   * (nothing written) when the caller's `phase` is not the current one.
   */
  like(impression: string, phase: number): Promise<LikeOutcome | 'stale'>;
  /** What became of an impression (for the page's notice after a Like). */
  impressionStatus(impression: string): Promise<ImpressionStatus>;
  /**
   * In one atomic step: applies `change` and appends `audit` only if the
   * current phase is still `expected` (`stale`, and nothing changed,
   * otherwise). With `remember`, the outcome (done or stale) is kept under
   * its key for IDEMPOTENCY_SECONDS in that same step; if the key holds an
   * outcome already, nothing is done and that outcome is answered
   * (`replay`), so a retry can never act twice.
   */
  transition(
    expected: { phase: number; state: PhaseState },
    change: PhaseChange,
    audit: AuditEntry,
    remember?: Remember,
  ): Promise<TransitionResult>;
  /**
   * In one atomic step: the outcome kept under an idempotency key, if any;
   * else, if no request holds the key, hold it for `holdSeconds` (`claimed`:
   * this request acts); else `in_progress`, with the holder's fingerprint.
   */
  claim(key: string, fingerprint: string, holdSeconds: number): Promise<Claim>;
  /** Keeps an outcome decided without a transition (a refusal) under its key, and lets the key go. */
  keep(key: string, outcome: KeptOutcome): Promise<void>;
  /** Lets a held key go with nothing kept (the store did not answer: a retry may act). */
  release(key: string): Promise<void>;
  /** At most `limit` audit entries with ids below `before` (or the newest), newest first. */
  audit(page: Page): Promise<NumberedAuditEntry[]>;
  /** Keeps a short note (the admin page's outcome after a redirect) for `ttlSeconds`. */
  putNotice(id: string, notice: string, ttlSeconds: number): Promise<void>;
  /** The note kept under `id`, if it has not expired. */
  getNotice(id: string): Promise<string | null>;
  /**
   * Tells every replica's `subscribe` listeners (this one's too) that the
   * experiment moved. Best effort, never throws: a lost change costs nothing,
   * since whoever listens reads the whole current phase again.
   */
  announce(change: ExperimentChange): void;
  /**
   * Calls `listener` with every change any replica announces from now on
   * (Redis: pub/sub; in memory: this process), and with `resync` when the
   * store is back after being away (changes may have been missed). The
   * function returned stops it.
   */
  subscribe(listener: (change: ExperimentChange) => void): () => void;
  /** Resolves when the store answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What moved in the experiment (presenter mode's live view): a showing, a Like, a phase action. */
export type ExperimentChange =
  | {
      kind: 'shown';
      phase: number;
      variant: string;
      /** How the bandit decided: `explore` or `exploit`. */
      strategy: string;
      /** The visitor's name as they typed it (shown on the projector as text). */
      name: string;
      at: string;
    }
  | { kind: 'liked'; phase: number; variant: string; at: string }
  | { kind: 'phase'; phase: number; at: string }
  /** How many watch the room through one awesome-app process (`source`): the projector shows the sum. */
  | { kind: 'viewers'; source: string; count: number; at: string }
  | { kind: 'resync'; at: string };

/** An awesome-app process's name in a viewers report. */
export const VIEWERS_SOURCE = /^[A-Za-z0-9_.:-]{1,64}$/;
/** The most viewers one report may claim (LIVE_MAX_CONNECTIONS' own upper bound). */
export const MAX_VIEWERS_PER_SOURCE = 1_000_000;

/** A change as it arrives from another replica (pub/sub): anything else is dropped. */
export function parseChange(raw: string): ExperimentChange | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const c = value as Record<string, unknown>;
  const text = (k: string) => typeof c[k] === 'string';
  const phase = Number.isInteger(c.phase);
  if (!text('at')) return null;
  if (c.kind === 'shown' && phase && text('variant') && text('strategy') && text('name'))
    return value as ExperimentChange;
  if (c.kind === 'liked' && phase && text('variant')) return value as ExperimentChange;
  if (c.kind === 'phase' && phase) return value as ExperimentChange;
  if (
    c.kind === 'viewers' &&
    typeof c.source === 'string' &&
    VIEWERS_SOURCE.test(c.source) &&
    Number.isInteger(c.count) &&
    (c.count as number) >= 0 &&
    (c.count as number) <= MAX_VIEWERS_PER_SOURCE
  )
    return value as ExperimentChange;
  return null;
}

/** Which slice of a newest-first list: `before` is exclusive (a phase number, or an audit entry's id). */
export interface Page {
  limit: number;
  before?: number | undefined;
}

/** An audit entry with its place in the log (1 = the first ever written): the cursor of its page. */
export type NumberedAuditEntry = AuditEntry & { id: number };

/** An admin action's answer, kept so a retry with the same idempotency key gets it again. */
export interface KeptOutcome {
  /** Hash of the request (action and body): the same key with another request is refused. */
  fingerprint: string;
  status: number;
  body: unknown;
}

/** What to keep under an idempotency key, for either way the action can go. */
export interface Remember {
  key: string;
  done: KeptOutcome;
  stale: KeptOutcome;
}

/** What an idempotency key holds for a request that arrives with it. */
export type Claim =
  | { kind: 'claimed' }
  | { kind: 'kept'; outcome: KeptOutcome }
  | { kind: 'in_progress'; fingerprint: string };

export type TransitionResult =
  { kind: 'done' } | { kind: 'stale' } | { kind: 'replay'; outcome: KeptOutcome };

/** Idempotency keys keep their outcome this long (Stripe's: 24 h). */
export const IDEMPOTENCY_SECONDS = 24 * 60 * 60;

export type LikeOutcome =
  | { status: 'liked'; phase: number; variant: string }
  | { status: 'used'; phase: number; variant: string }
  | { status: 'unknown' }
  /** The impression's phase is over, or not running now: nothing counted, nothing used up. */
  | { status: 'ended' | 'paused' | 'shipped'; phase: number; variant: string };

export type ImpressionStatus =
  { status: 'pending' | 'liked'; phase: number; variant: string } | { status: 'unknown' };

/** The store could not be reached or did not answer in time. */
export class StoreUnavailable extends Error {
  override readonly name = 'StoreUnavailable';
  constructor(
    message: string,
    /** True when the command may have run (it timed out after being sent). */
    readonly uncertain = false,
  ) {
    super(message);
  }
}

/** The store holds no phase yet (new, or emptied): the caller initializes it. */
export class NoPhase extends Error {
  override readonly name = 'NoPhase';
}

/** How long a liked impression is remembered, so a replay says "already liked". */
export const USED_MEMORY_SECONDS = 24 * 60 * 60;
