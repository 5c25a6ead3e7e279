import type { Counts } from '../experiment/statistics';
import type {
  AuditEntry,
  PhaseChange,
  PhaseDefinition,
  PhaseRecord,
  PhaseState,
} from '../experiment/phase';

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
  /** Every phase, newest first. */
  phases(): Promise<PhaseRecord[]>;
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
   * Applies `change` and appends `audit`, atomically, only if the current
   * phase is still `expected` (false, and nothing written, otherwise).
   */
  transition(
    expected: { phase: number; state: PhaseState },
    change: PhaseChange,
    audit: AuditEntry,
  ): Promise<boolean>;
  /** The audit log, newest first. */
  audit(): Promise<AuditEntry[]>;
  /** Resolves when the store answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

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
