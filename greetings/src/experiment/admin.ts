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
import {
  StoreUnavailable,
  type ExperimentStore,
  type KeptOutcome,
  type Page,
  type TransitionResult,
} from './store';
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
/** How long a request holds its key while it acts (longer than any store timeout), should it never finish. */
const HOLD_SECONDS = 5;
/** How long a repeat waits for the first request's outcome before 409 `in_progress`. */
const IN_PROGRESS_WAIT_MS = 3000;
const IN_PROGRESS_POLL_MS = 25;

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

const keyReused = () =>
  new ActionRefused(
    422,
    'This Idempotency-Key was used for another request: nothing was changed. Use a new key for a new request.',
    'key_reused',
  );

function replay(kept: KeptOutcome, print: string): Outcome {
  if (kept.fingerprint !== print) throw keyReused();
  return { status: kept.status, body: kept.body, replayed: true };
}

/** Keeps an outcome; the store away then costs the key its memory, not the answer. */
async function keep(
  { store, logger }: Pick<AdminDeps, 'store' | 'logger'>,
  key: string,
  outcome: KeptOutcome,
): Promise<void> {
  try {
    await store.keep(key, {
      fingerprint: outcome.fingerprint,
      status: outcome.status,
      body: outcome.body,
    });
  } catch (error) {
    logger.warn({ err: (error as Error).message }, 'admin: an outcome was not kept under its key');
  }
}

/**
 * Holds the key for this request, or answers the outcome kept under it. A
 * repeat that arrives while another request (on any replica) acts on the
 * key waits for that outcome, up to IN_PROGRESS_WAIT_MS, then is refused
 * 409 `in_progress` (IETF Idempotency-Key draft): never another action's refusal.
 */
async function claim(
  store: ExperimentStore,
  key: string,
  print: string,
): Promise<Outcome | undefined> {
  const deadline = Date.now() + IN_PROGRESS_WAIT_MS;
  for (;;) {
    let found;
    try {
      found = await store.claim(key, print, HOLD_SECONDS);
    } catch (error) {
      // Nothing of the experiment was written: whatever the store did, nothing was changed.
      if (error instanceof StoreUnavailable) throw new StoreUnavailable(error.message, false);
      throw error;
    }
    if (found.kind === 'claimed') return undefined;
    if (found.kind === 'kept') return replay(found.outcome, print);
    if (found.fingerprint !== print) throw keyReused();
    if (Date.now() >= deadline)
      throw new ActionRefused(
        409,
        'A request with this Idempotency-Key is still being handled: nothing more was done. Ask again in a moment for its answer.',
        'in_progress',
      );
    await new Promise((resolve) => setTimeout(resolve, IN_PROGRESS_POLL_MS));
  }
}

const CHANGED_MEANWHILE = (phase: number) =>
  refusal(
    409,
    'stale',
    `Phase ${phase} changed while this action was being applied: nothing was changed. Look at the page again.`,
  );

/** The store's one atomic step; a timeout of it is `Uncertain` (it may have happened). */
async function transition(
  store: ExperimentStore,
  ...args: Parameters<ExperimentStore['transition']>
): Promise<TransitionResult> {
  try {
    return await store.transition(...args);
  } catch (error) {
    if (error instanceof StoreUnavailable && error.uncertain) throw new Uncertain(error.message);
    throw error;
  }
}

/**
 * The presenter's actions: start a phase, pause, resume, ship. Each happens
 * once: it names the phase it is meant for (`ifPhase`, required: 428
 * without), the store applies it and its one audit entry in one atomic step
 * only if that phase is still current (else 409 `stale`). With an
 * idempotency key the request first holds the key (one request at a time,
 * across replicas); its outcome, done or refused, is kept under it, so a
 * retry answers it again instead of acting twice. A timeout of the step is
 * `Uncertain`: the action may have happened, and only a retry with the key
 * can tell.
 */
export function createAdmin(deps: AdminDeps) {
  const { store, greeter, logger, metrics } = deps;
  const now = deps.now ?? (() => new Date());

  async function act(action: Action, raw: unknown, idempotencyKey?: string): Promise<Outcome> {
    const { body, ifPhase, force } = splitGuards(raw);
    if (ifPhase === undefined)
      throw new ActionRefused(
        428,
        'ifPhase is needed: send "ifPhase": N, the phase this action is meant for (GET /experiments/current says which is current). Nothing was changed.',
        'precondition_required',
      );
    const print = fingerprint(action, raw);
    if (idempotencyKey === undefined)
      return (await perform(action, body, ifPhase, force, undefined)).outcome;
    const key = createHash('sha256').update(idempotencyKey).digest('hex');
    const kept = await claim(store, key, print);
    if (kept) return kept;
    let result: { outcome: Outcome; kept: boolean };
    try {
      result = await perform(action, body, ifPhase, force, { key, print });
    } catch (error) {
      if (error instanceof ActionRefused && error.status !== 400) {
        // Every outcome of the action is kept, refusals included: a repeat gets it again.
        await keep(deps, key, {
          fingerprint: print,
          ...refusal(error.status, error.reason, error.message),
        });
      } else {
        // A body the rules refuse (the same body is refused again) or a store
        // that did not answer (a retry must be able to act): nothing kept.
        await store.release(key).catch(() => undefined);
      }
      throw error;
    }
    if (!result.kept) await keep(deps, key, { fingerprint: print, ...result.outcome });
    return result.outcome;
  }

  async function perform(
    action: Action,
    body: unknown,
    ifPhase: number,
    force: boolean,
    idempotency: { key: string; print: string } | undefined,
  ): Promise<{ outcome: Outcome; kept: boolean }> {
    let current: PhaseRecord;
    try {
      // Through the greeter, which creates phase 1 first if the store has none.
      current = await greeter.currentRecord();
    } catch (error) {
      // Only reads so far: whatever the store did, nothing was changed.
      if (error instanceof StoreUnavailable) throw new StoreUnavailable(error.message, false);
      throw error;
    }
    if (ifPhase !== current.phase)
      return { outcome: { ...STALE(current.phase, ifPhase), replayed: false }, kept: false };
    const { change, entry, after } = plan(deps, now().toISOString(), action, current, body, force);
    const done = { status: DONE_STATUS[action], body: phaseView(after, deps.stoppingRule) };
    const stale = CHANGED_MEANWHILE(current.phase);
    const print = idempotency?.print ?? '';
    const result = await transition(
      store,
      current,
      change,
      entry,
      idempotency && {
        key: idempotency.key,
        done: { ...done, fingerprint: print },
        stale: { ...stale, fingerprint: print },
      },
    );
    if (result.kind === 'replay') return { outcome: replay(result.outcome, print), kept: true };
    if (result.kind === 'stale') return { outcome: { ...stale, replayed: false }, kept: true };
    greeter.changed(after.phase);
    metrics.increment(`admin.actions.${action}`);
    logger.info(
      { action, actor: entry.actor, force: entry.force, before: entry.before, after: entry.after },
      'experiment changed',
    );
    return { outcome: { ...done, replayed: false }, kept: true };
  }

  return {
    act,
    audit: (page: Page) => store.audit(page),
  };
}

export type Admin = ReturnType<typeof createAdmin>;
