import type { EventSink, Scenarios } from '@friendly-calculator/common';
import { markSpan } from '@friendly-calculator/common/tracing';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from './experiment/admin';
import { StoreUnavailable, type ExperimentStore } from './experiment/store';
import type { PhaseView } from './experiment/view';

/** The scenario flags greetings acts on (flags/scenarios.flagd.json, docs/scenarios.md). */
export const GREETINGS_FLAGS = ['greetingsStoreSlow', 'greetingsLikeErrors'] as const;

/**
 * The store, with `greetingsStoreSlow` in front of every call: each waits
 * the variant's milliseconds before going out. A wait longer than the
 * store's own timeout ends as a real slow store would, at the timeout, with
 * StoreUnavailable (the command never went out, so nothing happened), and
 * the greeting falls back. `greetingsLikeErrors` fails that share of Likes
 * in the store (nothing counted, 503: the visitor's Like notice says so),
 * while greetings themselves go on. Only wrapped when scenarios are read at all.
 *
 * A Proxy rather than one wrapper per method: every method the store has,
 * now or later, is delayed alike.
 */
export function withStoreScenario(
  store: ExperimentStore,
  scenarios: Scenarios,
  timeoutMs: number,
  random: () => number = Math.random,
): ExperimentStore {
  const wait = async (): Promise<void> => {
    const slow = scenarios.on('greetingsStoreSlow');
    if (!slow) return;
    markSpan('scenario greetingsStoreSlow', {
      'scenario.name': slow.flag,
      'scenario.variant': slow.variant,
      'scenario.delay_ms': slow.value,
    });
    await sleep(Math.min(slow.value, timeoutMs));
    if (slow.value > timeoutMs)
      throw new StoreUnavailable(
        `the store did not answer within ${timeoutMs} ms (scenario greetingsStoreSlow ${slow.variant} is on)`,
      );
  };
  const likeFails = (): void => {
    const errors = scenarios.on('greetingsLikeErrors');
    if (!errors || random() >= errors.value) return;
    markSpan('scenario greetingsLikeErrors', {
      'scenario.name': errors.flag,
      'scenario.variant': errors.variant,
    });
    throw new StoreUnavailable(
      `the store refused this Like (scenario greetingsLikeErrors ${errors.variant} is on)`,
    );
  };
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      // Closing, and telling or hearing of changes (presenter mode), are no store calls to slow down.
      if (typeof value !== 'function' || UNWRAPPED.has(property)) return value;
      return async (...args: unknown[]): Promise<unknown> => {
        await wait();
        if (property === 'like') likeFails();
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
}

const UNWRAPPED = new Set<string | symbol>(['close', 'announce', 'subscribe']);

const DONE = { start: 'started', pause: 'paused', resume: 'resumed', ship: 'shipped' } as const;

/**
 * The admin actions, each posting a Graphite event once it succeeded ("phase
 * 3 started", tags `experiment` and the action), which the dashboard draws on
 * the experiment panels. Posted in the background: the action never waits
 * for Graphite or fails because of it.
 */
export function withPhaseEvents(admin: Admin, events: EventSink): Admin {
  return {
    ...admin,
    async act(action, raw, idempotencyKey) {
      const outcome = await admin.act(action, raw, idempotencyKey);
      // Only what happened now: a refusal, or a repeat answered from an
      // Idempotency-Key, changed nothing and posts nothing.
      if (outcome.status >= 300 || outcome.replayed) return outcome;
      const phase = outcome.body as PhaseView;
      const shipped = action === 'ship' && phase.shipped ? ` ${phase.shipped}` : '';
      void events({
        what: `phase ${phase.phase} ${DONE[action]}${shipped}`,
        tags: ['experiment', action],
        data: `${phase.policy}, variants ${phase.variants.map((v) => v.name).join(', ')}`,
      });
      return outcome;
    },
  };
}
