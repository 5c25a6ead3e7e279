import { POLICY_NAMES, type PolicyName } from '../bandit/policy';
import type { Counts } from './statistics';
import { invisibleCharacterProblem } from './text-rules';
import { variantsProblems, type VariantSpec } from './variants';

/**
 * The experiment runs in numbered phases. A phase has its variants and its
 * policy, and a state: `running` (the bandit chooses, impressions and Likes
 * count), `paused` (everyone sees the first variant, the control; nothing
 * counts) or `shipped` (everyone sees the shipped variant; counts frozen).
 * Starting a new phase ends the current one, which keeps its final counts:
 * nothing is ever deleted. These are the pure rules; the store applies them
 * atomically.
 */
export type PhaseState = 'running' | 'paused' | 'shipped';

export interface PhaseDefinition {
  phase: number;
  policy: PolicyName;
  epsilon: number;
  variants: VariantSpec[];
  /** ISO 8601. */
  startedAt: string;
}

export interface PhaseRecord extends PhaseDefinition {
  state: PhaseState;
  shipped: string | null;
  /** When a newer phase replaced it; null for the current phase. */
  endedAt: string | null;
  /** Aligned with `variants`. */
  counts: Counts[];
}

/** What the audit log keeps of a phase before and after an action. */
export interface PhaseSummary {
  phase: number;
  state: PhaseState;
  shipped: string | null;
  policy: PolicyName;
  epsilon: number;
  variants: VariantSpec[];
}

export type AdminAction = 'initialize' | 'reinitialize' | 'start' | 'pause' | 'resume' | 'ship';

export interface AuditEntry {
  /** ISO 8601. */
  at: string;
  action: AdminAction;
  actor: string;
  before: PhaseSummary | null;
  after: PhaseSummary;
  /** A ship of a variant the stopping rule had not named best. */
  force?: true;
  /** `reinitialize`: the newest phase greetings had seen before the store lost its phases. */
  lastSeenPhase?: number;
}

export type PhaseChange =
  | { kind: 'state'; state: PhaseState; shipped: string | null }
  | { kind: 'start'; definition: PhaseDefinition; endedAt: string };

export const summary = (
  p: PhaseDefinition & { state: PhaseState; shipped: string | null },
): PhaseSummary => ({
  phase: p.phase,
  state: p.state,
  shipped: p.shipped,
  policy: p.policy,
  epsilon: p.epsilon,
  variants: p.variants,
});

/** A refused action: the HTTP status and a sentence that says why. */
export class ActionRefused extends Error {
  override readonly name = 'ActionRefused';
  constructor(
    readonly status: 400 | 409 | 422 | 428,
    message: string,
    /** The machine-readable why (http/schemas.ts REASONS), for JSON answers. */
    readonly reason = status === 400 ? 'bad_request' : 'conflict',
  ) {
    super(message);
  }
}

export const MAX_ACTOR_LENGTH = 64;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The `actor` label a caller sends (who did it, for the audit log); `anonymous` when absent. */
export function parseActor(value: unknown): string {
  if (value === undefined || value === null || value === '') return 'anonymous';
  if (
    typeof value !== 'string' ||
    value.trim() === '' ||
    [...value].length > MAX_ACTOR_LENGTH ||
    CONTROL.test(value)
  )
    throw new ActionRefused(
      400,
      `actor: expected a label of 1 to ${MAX_ACTOR_LENGTH} characters without control characters`,
    );
  const invisible = invisibleCharacterProblem(value);
  if (invisible) throw new ActionRefused(400, `actor: ${invisible}`);
  return value.trim();
}

function refuseUnknownFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0)
    throw new ActionRefused(
      400,
      `Unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}: expected ${allowed.join(', ')}`,
    );
}

const asBody = (body: unknown): Record<string, unknown> => {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ActionRefused(400, 'Expected a JSON object');
  return body as Record<string, unknown>;
};

export interface StartRequest {
  variants: VariantSpec[];
  policy: PolicyName;
  epsilon: number;
  actor: string;
}

/** Checks a new phase's request, naming every problem in one 400. */
export function parseStartRequest(raw: unknown, defaultEpsilon: number): StartRequest {
  const body = asBody(raw);
  refuseUnknownFields(body, ['variants', 'policy', 'epsilon', 'actor', 'token']);
  const problems = variantsProblems(body.variants);
  const policy = body.policy ?? 'epsilon-greedy';
  if (typeof policy !== 'string' || !(POLICY_NAMES as readonly string[]).includes(policy))
    problems.push(
      `policy: expected one of ${POLICY_NAMES.join(', ')} (got ${JSON.stringify(policy)})`,
    );
  // A number, not a text that looks like one (the admin form converts its field itself).
  const epsilon = body.epsilon ?? defaultEpsilon;
  if (typeof epsilon !== 'number' || !(epsilon >= 0 && epsilon <= 1))
    problems.push(`epsilon: expected a number from 0 to 1 (got ${JSON.stringify(body.epsilon)})`);
  let actor = 'anonymous';
  try {
    actor = parseActor(body.actor);
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (problems.length > 0) throw new ActionRefused(400, `Bad request: ${problems.join('; ')}`);
  return {
    variants: (body.variants as VariantSpec[]).map(({ name, template }) => ({ name, template })),
    policy: policy as PolicyName,
    epsilon: epsilon as number,
    actor,
  };
}

/** `pause`, `resume` or `ship`: the state the current phase moves to, or why it cannot. */
export function planStateChange(
  current: PhaseRecord,
  action: 'pause' | 'resume' | 'ship',
  raw: unknown,
): { change: Extract<PhaseChange, { kind: 'state' }>; actor: string } {
  const body = raw === undefined ? {} : asBody(raw);
  refuseUnknownFields(body, action === 'ship' ? ['variant', 'actor', 'token'] : ['actor', 'token']);
  const actor = parseActor(body.actor);
  const where = `Phase ${current.phase}`;
  if (current.state === 'shipped')
    throw new ActionRefused(
      409,
      `${where} has shipped "${current.shipped}": its counts are frozen. Start a new phase to experiment again.`,
    );
  switch (action) {
    case 'pause':
      if (current.state === 'paused') throw new ActionRefused(409, `${where} is paused already`);
      return { change: { kind: 'state', state: 'paused', shipped: null }, actor };
    case 'resume':
      if (current.state === 'running') throw new ActionRefused(409, `${where} is running already`);
      return { change: { kind: 'state', state: 'running', shipped: null }, actor };
    case 'ship': {
      const names = current.variants.map((v) => v.name);
      if (typeof body.variant !== 'string' || !names.includes(body.variant))
        throw new ActionRefused(
          400,
          `variant: expected one of ${names.join(', ')} (got ${JSON.stringify(body.variant)})`,
        );
      return { change: { kind: 'state', state: 'shipped', shipped: body.variant }, actor };
    }
  }
}
