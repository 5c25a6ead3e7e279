import type { AuditEntry, PhaseRecord } from '../experiment/phase';
import {
  IDEMPOTENCY_SECONDS,
  NoPhase,
  USED_MEMORY_SECONDS,
  type ExperimentChange,
  type ExperimentStore,
  type ImpressionStatus,
  type Claim,
  type KeptOutcome,
  type LikeOutcome,
  type NumberedAuditEntry,
  type TransitionResult,
} from '../experiment/store';

interface Impression {
  phase: number;
  variant: string;
  liked: boolean;
  expiresAt: number;
}

/** Pending impressions kept at most; past it the oldest go first (counts never). */
export const MEMORY_MAX_IMPRESSIONS = 100_000;

/**
 * The experiment in this process's memory: fine for a demo on one machine,
 * lost on exit, and wrong for several replicas (each would count on its own).
 * Bounded: at most MEMORY_MAX_IMPRESSIONS impressions are remembered.
 */
export function createMemoryStore(
  now: () => number = Date.now,
  maxImpressions = MEMORY_MAX_IMPRESSIONS,
): ExperimentStore {
  const phases: PhaseRecord[] = [];
  const audit: string[] = [];
  // Insertion order is (nearly) expiry order, so the oldest are at the front.
  const impressions = new Map<string, Impression>();
  // Idempotency keys and the admin page's notes, each with its expiry (ms).
  const kept = new Map<string, { outcome: KeptOutcome; expiresAt: number }>();
  /** Idempotency keys a request is acting on right now. */
  const held = new Map<string, { fingerprint: string; expiresAt: number }>();
  const notices = new Map<string, { text: string; expiresAt: number }>();
  // subscribe()'s listeners: in one process, announce() reaches them all.
  const listeners = new Set<(change: ExperimentChange) => void>();
  const unexpired = <T extends { expiresAt: number }>(map: Map<string, T>, key: string) => {
    for (const [k, v] of map) if (v.expiresAt <= now()) map.delete(k);
    return map.get(key);
  };

  const live = (id: string): Impression | undefined => {
    const entry = impressions.get(id);
    if (entry && entry.expiresAt <= now()) {
      impressions.delete(id);
      return undefined;
    }
    return entry;
  };
  const remember = (id: string, entry: Impression) => {
    impressions.delete(id);
    impressions.set(id, entry);
    for (const [key, value] of impressions) {
      if (impressions.size <= maxImpressions && value.expiresAt > now()) break;
      impressions.delete(key);
    }
  };
  const current = () => {
    const phase = phases[phases.length - 1];
    if (!phase) throw new NoPhase('the experiment has no phase yet');
    return phase;
  };
  const copy = (p: PhaseRecord): PhaseRecord => structuredClone(p);

  return {
    kind: 'memory',
    initialize(first, entry) {
      if (phases.length === 0) {
        phases.push({
          ...structuredClone(first),
          state: 'running',
          shipped: null,
          endedAt: null,
          counts: first.variants.map(() => ({ shown: 0, liked: 0 })),
        });
        audit.push(JSON.stringify(entry));
      }
      return Promise.resolve();
    },
    current: () => Promise.resolve(copy(current())),
    phases({ limit, before }) {
      const end = Math.min(phases.length, (before ?? Infinity) - 1);
      return Promise.resolve(
        phases
          .slice(Math.max(0, end - limit), Math.max(0, end))
          .map(copy)
          .reverse(),
      );
    },
    recordImpression(phase, _variants, variant, impression, ttlSeconds) {
      if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1)
        return Promise.reject(new Error('impression TTL must be a whole number of seconds'));
      const p = current();
      const index = p.variants.findIndex((v) => v.name === variant);
      if (p.phase !== phase || p.state !== 'running' || index < 0) return Promise.resolve('stale');
      remember(impression, { phase, variant, liked: false, expiresAt: now() + ttlSeconds * 1000 });
      p.counts[index]!.shown++;
      return Promise.resolve(p.counts.map((c) => ({ ...c })));
    },
    like(impression, phase): Promise<LikeOutcome | 'stale'> {
      const entry = live(impression);
      if (!entry) return Promise.resolve({ status: 'unknown' });
      const about = { phase: entry.phase, variant: entry.variant };
      if (entry.liked) return Promise.resolve({ status: 'used', ...about });
      const p = current();
      if (entry.phase !== p.phase) return Promise.resolve({ status: 'ended', ...about });
      if (phase !== p.phase) return Promise.resolve('stale');
      if (p.state !== 'running') return Promise.resolve({ status: p.state, ...about });
      const index = p.variants.findIndex((v) => v.name === entry.variant);
      remember(impression, {
        ...entry,
        liked: true,
        expiresAt: now() + USED_MEMORY_SECONDS * 1000,
      });
      p.counts[index]!.liked++;
      return Promise.resolve({ status: 'liked', ...about });
    },
    impressionStatus(impression): Promise<ImpressionStatus> {
      const entry = live(impression);
      if (!entry) return Promise.resolve({ status: 'unknown' });
      return Promise.resolve({
        status: entry.liked ? 'liked' : 'pending',
        phase: entry.phase,
        variant: entry.variant,
      });
    },
    transition(expected, change, entry, remember): Promise<TransitionResult> {
      // All checks, then all writes, with no await between: atomic in one process.
      const previous = remember && unexpired(kept, remember.key);
      if (previous) return Promise.resolve({ kind: 'replay', outcome: previous.outcome });
      const keep = (outcome: KeptOutcome | undefined) => {
        if (!remember || !outcome) return;
        kept.set(remember.key, { outcome, expiresAt: now() + IDEMPOTENCY_SECONDS * 1000 });
        held.delete(remember.key);
      };
      const p = current();
      if (p.phase !== expected.phase || p.state !== expected.state) {
        keep(remember?.stale);
        return Promise.resolve({ kind: 'stale' });
      }
      if (change.kind === 'start') {
        p.endedAt = change.endedAt;
        phases.push({
          ...structuredClone(change.definition),
          state: 'running',
          shipped: null,
          endedAt: null,
          counts: change.definition.variants.map(() => ({ shown: 0, liked: 0 })),
        });
      } else {
        p.state = change.state;
        p.shipped = change.shipped;
      }
      audit.push(JSON.stringify(entry));
      keep(remember?.done);
      return Promise.resolve({ kind: 'done' });
    },
    claim(key, fingerprint, holdSeconds): Promise<Claim> {
      const previous = unexpired(kept, key);
      if (previous) return Promise.resolve({ kind: 'kept', outcome: previous.outcome });
      const holder = unexpired(held, key);
      if (holder) return Promise.resolve({ kind: 'in_progress', fingerprint: holder.fingerprint });
      held.set(key, { fingerprint, expiresAt: now() + holdSeconds * 1000 });
      return Promise.resolve({ kind: 'claimed' });
    },
    keep(key, outcome) {
      if (!unexpired(kept, key))
        kept.set(key, { outcome, expiresAt: now() + IDEMPOTENCY_SECONDS * 1000 });
      held.delete(key);
      return Promise.resolve();
    },
    release(key) {
      held.delete(key);
      return Promise.resolve();
    },
    audit({ limit, before }) {
      const end = Math.min(audit.length, (before ?? Infinity) - 1);
      const start = Math.max(0, end - limit);
      const page: NumberedAuditEntry[] = [];
      for (let i = end - 1; i >= start; i--)
        page.push({ ...(JSON.parse(audit[i]!) as AuditEntry), id: i + 1 });
      return Promise.resolve(page);
    },
    putNotice(id, text, ttlSeconds) {
      notices.set(id, { text, expiresAt: now() + ttlSeconds * 1000 });
      return Promise.resolve();
    },
    getNotice: (id) => Promise.resolve(unexpired(notices, id)?.text ?? null),
    announce(change) {
      // Later, like a message from another replica: never inside the caller's write.
      queueMicrotask(() => {
        for (const listener of listeners) listener(change);
      });
    },
    subscribe(listener) {
      const own = (change: ExperimentChange) => listener(change);
      listeners.add(own);
      return () => listeners.delete(own);
    },
    ping: () => Promise.resolve(),
    close: () => {
      listeners.clear();
      return Promise.resolve();
    },
  };
}
