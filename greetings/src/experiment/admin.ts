import type { Logger, Metrics } from '@friendly-calculator/common';
import type { ExperimentStore } from '../store/experiment-store';
import type { Greeter } from '../greeter';
import {
  ActionRefused,
  parseStartRequest,
  planStateChange,
  summary,
  type AdminAction,
  type AuditEntry,
  type PhaseDefinition,
} from './phase';
import { phaseView, type PhaseView } from './view';
import type { StoppingRule } from './statistics';

export interface AdminDeps {
  store: ExperimentStore;
  greeter: Greeter;
  /** ε for a new phase that does not say (EPSILON). */
  defaultEpsilon: number;
  stoppingRule: StoppingRule;
  logger: Logger;
  metrics: Metrics;
  now?: () => Date;
}

/**
 * The presenter's actions: start a phase, pause, resume, ship. Each reads
 * the current phase, applies the pure rules (`phase.ts`), and has the store
 * apply the change and its one audit entry atomically, only if nobody
 * changed the phase meanwhile (otherwise a 409, and nothing written).
 */
export function createAdmin(deps: AdminDeps) {
  const { store, greeter, logger, metrics } = deps;
  const now = deps.now ?? (() => new Date());

  async function apply(
    action: Exclude<AdminAction, 'initialize'>,
    body: unknown,
  ): Promise<PhaseView> {
    // Through the greeter, which creates phase 1 first if the store has none.
    const current = await greeter.currentRecord();
    const at = now().toISOString();
    let entry: AuditEntry;
    let ok: boolean;
    if (action === 'start') {
      const request = parseStartRequest(body, deps.defaultEpsilon);
      const definition: PhaseDefinition = {
        phase: current.phase + 1,
        policy: request.policy,
        epsilon: request.epsilon,
        variants: request.variants,
        startedAt: at,
      };
      entry = {
        at,
        action,
        actor: request.actor,
        before: summary(current),
        after: summary({ ...definition, state: 'running', shipped: null }),
      };
      ok = await store.transition(current, { kind: 'start', definition, endedAt: at }, entry);
    } else {
      const { change, actor } = planStateChange(current, action, body);
      entry = {
        at,
        action,
        actor,
        before: summary(current),
        after: summary({ ...current, state: change.state, shipped: change.shipped }),
      };
      ok = await store.transition(current, change, entry);
    }
    if (!ok)
      throw new ActionRefused(
        409,
        'The experiment changed while this action was being applied: nothing was changed. Reload and try again.',
      );
    greeter.invalidate();
    metrics.increment(`admin.actions.${action}`);
    logger.info(
      { action, actor: entry.actor, before: entry.before, after: entry.after },
      'experiment changed',
    );
    const after = await store.current();
    return phaseView(after, deps.stoppingRule);
  }

  return {
    start: (body: unknown) => apply('start', body),
    pause: (body: unknown) => apply('pause', body),
    resume: (body: unknown) => apply('resume', body),
    ship: (body: unknown) => apply('ship', body),
    audit: () => store.audit(),
  };
}

export type Admin = ReturnType<typeof createAdmin>;
