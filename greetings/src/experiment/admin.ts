import { createHash } from 'node:crypto';
import type { Logger, Metrics } from '@friendly-calculator/common';
import type { Greeter } from '../greeter';
import {
  ActionRefused,
  parseStartRequest,
  planStateChange,
  summary,
  type AuditEntry,
  type PhaseChange,
  type PhaseRecord,
} from './phase';
import type { StoppingRule } from './statistics';
import { StoreUnavailable, type ExperimentStore, type KeptOutcome, type Page } from './store';
import { phaseView } from './view';

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

export type Action = 'start' | 'pause' | 'resume' | 'ship';

/** What an action answers: done (the phase), or refused with a reason; `replayed` when an idempotency key answered it again. */
export interface Outcome {
  status: number;
  body: unknown;
  replayed: boolean;
}

/** The store did not answer the action in time: it may or may not have happened. */
export class Uncertain extends Error {
  override readonly name = 'Uncertain';
}

const DONE_STATUS: Record<Action, number> = { start: 201, pause: 200, resume: 200, ship: 200 };
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** How a refused ship says it can be forced: in the API's words; the page says it in its own. */
export const SHIP_ANYWAY = {
  api: 'To ship it anyway, send "force": true.',
  page: 'To ship it anyway, tick “ship anyway” and press “Ship it” again.',
};

const refusal = (status: number, reason: string, error: string) => ({
  status,
  body: { error, status, reason },
});
const STALE = (current: number, asked: number) =>
  refusal(
    409,
    'stale',
    `This action was meant for phase ${asked}, but phase ${current} is current: nothing was changed. Look at the page again and act on phase ${current}.`,
  );

/** `ifPhase` (a phase number) and `force` (a boolean), and the body without them. */
function splitGuards(raw: unknown): { body: unknown; ifPhase?: number; force: boolean } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { body: raw, force: false };
  const { ifPhase, force, ...body } = raw as Record<string, unknown>;
  if (ifPhase !== undefined && !(Number.isSafeInteger(ifPhase) && (ifPhase as number) >= 1))
    throw new ActionRefused(
      400,
      `ifPhase: expected a phase number (got ${JSON.stringify(ifPhase)})`,
    );
  if (force !== undefined && typeof force !== 'boolean')
    throw new ActionRefused(400, `force: expected true or false (got ${JSON.stringify(force)})`);
  return {
    body,
    force: force === true,
    ...(ifPhase === undefined ? {} : { ifPhase: ifPhase as number }),
  };
}

/** The request as the idempotency key must find it again: the action and its body (key order ignored). */
function fingerprint(action: Action, body: unknown): string {
  const canonical = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .filter((k) => k !== 'token')
            .sort()
            .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
        )
      : Array.isArray(v)
        ? v.map(canonical)
        : v;
  return createHash('sha256')
    .update(JSON.stringify([action, canonical(body)]))
    .digest('base64url');
}

/** The change, its audit entry and the phase as it will be: the pure part of an action. */
function plan(
  deps: AdminDeps,
  at: string,
  action: Action,
  current: PhaseRecord,
  body: unknown,
  force: boolean,
) {
  let change: PhaseChange;
  let actor: string;
  let after: PhaseRecord;
  if (action === 'start') {
    const request = parseStartRequest(body, deps.defaultEpsilon);
    const definition = { phase: current.phase + 1, ...request, startedAt: at };
    delete (definition as { actor?: string }).actor;
    change = { kind: 'start', definition, endedAt: at };
    actor = request.actor;
    after = {
      ...definition,
      state: 'running',
      shipped: null,
      endedAt: null,
      counts: definition.variants.map(() => ({ shown: 0, liked: 0 })),
    };
  } else {
    const planned = planStateChange(current, action, body);
    change = planned.change;
    actor = planned.actor;
    after = { ...current, state: planned.change.state, shipped: planned.change.shipped };
    if (action === 'ship') shipGuard(deps.stoppingRule, current, after.shipped!, force);
  }
  const entry: AuditEntry = {
    at,
    action,
    actor,
    before: summary(current),
    after: summary(after),
  };
  if (action === 'ship' && force) entry.force = true;
  return { change, entry, after };
}

function shipGuard(rule: StoppingRule, current: PhaseRecord, variant: string, force: boolean) {
  const best = phaseView(current, rule).best;
  if (force || best === variant) return;
  throw new ActionRefused(
    409,
    best === null
      ? `The stopping rule has not named a best variant yet: shipping "${variant}" now would be a guess. Nothing was changed. ${SHIP_ANYWAY.api}`
      : `"${best}" is the best variant, not "${variant}": nothing was changed. ${SHIP_ANYWAY.api}`,
    'not_best',
  );
}

function replay(kept: KeptOutcome, print: string): Outcome {
  if (kept.fingerprint !== print)
    throw new ActionRefused(
      422,
      'This Idempotency-Key was used for another request: nothing was changed. Use a new key for a new request.',
      'key_reused',
    );
  return { status: kept.status, body: kept.body, replayed: true };
}

/**
 * The presenter's actions: start a phase, pause, resume, ship. Each happens
 * once: it names the phase it is meant for (`ifPhase`; otherwise the one
 * just read), the store applies it and its one audit entry in one atomic
 * step only if that phase is still current (else 409 `stale`), and with an
 * idempotency key the outcome is kept in that same step, so a retry answers
 * it again instead of acting twice. A timeout of that step is `Uncertain`:
 * the action may have happened, and only a retry with the key can tell.
 */
export function createAdmin(deps: AdminDeps) {
  const { store, greeter, logger, metrics } = deps;
  const now = deps.now ?? (() => new Date());

  async function act(action: Action, raw: unknown, idempotencyKey?: string): Promise<Outcome> {
    const { body, ifPhase, force } = splitGuards(raw);
    const print = fingerprint(action, raw);
    const key =
      idempotencyKey === undefined
        ? undefined
        : createHash('sha256').update(idempotencyKey).digest('hex');
    let current: PhaseRecord;
    try {
      if (key !== undefined) {
        const kept = await store.remembered(key);
        if (kept) return replay(kept, print);
      }
      // Through the greeter, which creates phase 1 first if the store has none.
      current = await greeter.currentRecord();
    } catch (error) {
      // Only reads so far: whatever the store did, nothing was changed.
      if (error instanceof StoreUnavailable) throw new StoreUnavailable(error.message, false);
      throw error;
    }
    if (ifPhase !== undefined && ifPhase !== current.phase)
      return { ...STALE(current.phase, ifPhase), replayed: false };
    const { change, entry, after } = plan(deps, now().toISOString(), action, current, body, force);
    const done = { status: DONE_STATUS[action], body: phaseView(after, deps.stoppingRule) };
    const stale = refusal(
      409,
      'stale',
      `Phase ${current.phase} changed while this action was being applied: nothing was changed. Look at the page again.`,
    );
    let result;
    try {
      result = await store.transition(
        current,
        change,
        entry,
        key === undefined
          ? undefined
          : { key, done: { ...done, fingerprint: print }, stale: { ...stale, fingerprint: print } },
      );
    } catch (error) {
      if (error instanceof StoreUnavailable && error.uncertain) throw new Uncertain(error.message);
      throw error;
    }
    if (result.kind === 'replay') return replay(result.outcome, print);
    if (result.kind === 'stale') return { ...stale, replayed: false };
    greeter.invalidate();
    store.announce({ kind: 'phase', phase: after.phase, at: now().toISOString() });
    metrics.increment(`admin.actions.${action}`);
    logger.info(
      { action, actor: entry.actor, force: entry.force, before: entry.before, after: entry.after },
      'experiment changed',
    );
    return { ...done, replayed: false };
  }

  return {
    act,
    audit: (page: Page) => store.audit(page),
  };
}

export type Admin = ReturnType<typeof createAdmin>;
