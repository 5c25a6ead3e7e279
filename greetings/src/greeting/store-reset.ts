import type { Logger, Metrics } from '@friendly-calculator/common';
import {
  summary,
  type AuditEntry,
  type PhaseDefinition,
  type PhaseRecord,
} from '../experiment/phase';
import { NoPhase, type ExperimentStore } from '../experiment/store';

export interface StoreResetDeps {
  store: ExperimentStore;
  /** Phase 1, written to the store the first time it has no phase (by whichever replica is first). */
  initial: () => PhaseDefinition;
  logger: Logger;
  metrics: Metrics;
}

/**
 * Reads the current phase, creating phase 1 when the store has none. A store
 * that had phases and lost them (Redis restarted empty, flushed) must not be
 * mistaken for a new one: this replica remembers the newest phase it has
 * seen, and when the store has none, or an older one, it says so loudly (an
 * error log line and `store.reset` in StatsD, which the dashboard alerts on),
 * and phase 1's first audit entry is `reinitialize`, naming the phase that
 * was lost, instead of a quiet `initialize`.
 */
export function createPhaseReader({ store, initial, logger, metrics }: StoreResetDeps) {
  let lastSeen: PhaseRecord | undefined;
  let reported = 0;

  const report = (lost: PhaseRecord, found: number | null) => {
    // Once per lost phase: every later read would otherwise log again.
    if (reported === lost.phase) return;
    reported = lost.phase;
    metrics.increment('store.reset');
    logger.error(
      { lastSeenPhase: lost.phase, foundPhase: found },
      `the experiment store lost its history: phase ${lost.phase} was seen, the store now has ${found === null ? 'no phase' : `phase ${found}`}`,
    );
  };

  const initialize = async (): Promise<void> => {
    const definition = initial();
    const after = summary({ ...definition, state: 'running', shipped: null });
    const entry: AuditEntry = lastSeen
      ? {
          at: definition.startedAt,
          action: 'reinitialize',
          actor: 'configuration',
          before: summary(lastSeen),
          after,
          lastSeenPhase: lastSeen.phase,
        }
      : {
          at: definition.startedAt,
          action: 'initialize',
          actor: 'configuration',
          before: null,
          after,
        };
    if (lastSeen) report(lastSeen, null);
    await store.initialize(definition, entry);
  };

  return async function readCurrent(): Promise<PhaseRecord> {
    let record: PhaseRecord;
    try {
      record = await store.current();
    } catch (error) {
      if (!(error instanceof NoPhase)) throw error;
      await initialize();
      record = await store.current();
    }
    // Another replica may have re-created phase 1 first: still a loss to report.
    if (lastSeen && record.phase < lastSeen.phase) report(lastSeen, record.phase);
    lastSeen = record;
    return record;
  };
}
