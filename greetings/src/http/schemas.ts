import { z } from 'zod';
import { POLICY_NAMES } from '../bandit/policy';

/**
 * The shapes of greetings' request bodies and answers, in one place: the
 * OpenAPI document is generated from these, and tests check real answers
 * against them. The routes' own checks (experiment/phase.ts, variants.ts)
 * name each problem in words; these say what a client may send and expect.
 */

/** Every `reason` a refusal carries, with the status it comes with. Add a new one here. */
export const REASONS = {
  // Likes (POST /like_greeting), admin POSTs
  unsupported: 'Neither a form nor JSON (415)',
  missing: 'No impression id (400)',
  malformed: 'Not an impression id, or a body that is not JSON (400)',
  'too-large': 'A body over the limit (413)',
  unknown: 'An impression never shown, or expired (404)',
  used: 'This impression was liked already (409)',
  ended: 'The impression’s phase is over (410)',
  paused: 'The experiment is paused (409)',
  shipped: 'The experiment has shipped (409)',
  // Every route
  malformed_path: 'Percent-encoding in the path that cannot be decoded (400)',
  bad_request: 'A field, body or query value that is not allowed (400)',
  rate_limited: 'More Likes from one client address in a minute than allowed (429)',
  // Admin (authentication)
  disabled: 'The admin routes are off: ADMIN_TOKEN is not set (404)',
  unauthorized: 'Not signed in, no Bearer token (401)',
  forbidden: 'A wrong admin token (403)',
  bad_origin:
    'A signed-in form post whose Origin is not greetings’ public origin (GREETINGS_PUBLIC_URL) (403)',
  throttled: 'Too many failed sign-ins from one client address in a minute (429)',
  not_found: 'No such admin route (404)',
  // Admin actions
  precondition_required: 'A state-changing action without ifPhase: nothing happened (428)',
  in_progress:
    'A request with this Idempotency-Key is still being handled (on any replica): ask again after Retry-After (409)',
  conflict: 'The phase’s state does not allow this action (409)',
  stale: 'The action names a phase (ifPhase) that is no longer current: nothing happened (409)',
  not_best: 'Shipping a variant the stopping rule has not named best, without force (409)',
  key_reused: 'An Idempotency-Key used before for another request (422)',
  // The store
  uncertain:
    'The store did not answer in time: the action may have happened; retry with the same Idempotency-Key (503)',
  unavailable: 'The store cannot be reached: nothing was changed (503)',
} as const;

export type Reason = keyof typeof REASONS;
const reasonNames = Object.keys(REASONS) as [Reason, ...Reason[]];

export const Refusal = z.object({
  error: z.string(),
  status: z.number().int(),
  reason: z.enum(reasonNames),
});

// --- requests ---------------------------------------------------------------

export const Variant = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/),
  template: z.string().min(1).max(80),
});

/** Which phase the action is meant for: required (428 without), anything else is 409 `stale`. */
const ifPhase = z.number().int().min(1);
const actor = z.string().min(1).max(64).optional();

export const StartRequest = z.strictObject({
  variants: z.array(Variant).min(2).max(8),
  policy: z.enum(POLICY_NAMES).optional(),
  epsilon: z.number().min(0).max(1).optional(),
  actor,
  ifPhase,
});

export const StateRequest = z.strictObject({ actor, ifPhase });

export const ShipRequest = z.strictObject({
  variant: z.string(),
  actor,
  ifPhase,
  /** Ship though the stopping rule has not named this variant best (the audit entry says so). */
  force: z.boolean().optional(),
});

export const LikeRequest = z.object({ impression: z.string().regex(/^[A-Za-z0-9_-]{22}$/) });

// --- answers ----------------------------------------------------------------

const PhaseState = z.enum(['running', 'paused', 'shipped']);

export const Phase = z.object({
  phase: z.number().int().min(1),
  state: PhaseState,
  policy: z.enum(POLICY_NAMES),
  epsilon: z.number(),
  shipped: z.string().nullable(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  variants: z.array(
    z.object({
      name: z.string(),
      template: z.string(),
      shown: z.number().int(),
      liked: z.number().int(),
      likeRate: z.number(),
      interval: z.tuple([z.number(), z.number()]),
      pBest: z.number(),
    }),
  ),
  best: z.string().nullable(),
  minShownForBest: z.number().int(),
  bestThreshold: z.number(),
});

export const Greeting = z.object({
  greeting: z.string(),
  variant: z.string(),
  strategy: z.enum(['explore', 'exploit', 'paused', 'shipped', 'fallback']),
  tie: z
    .literal(true)
    .optional()
    .describe(
      'Only with `exploit`: several variants shared the best like rate, and this one was picked at random among them.',
    ),
  impression: z.string().nullable(),
  experiment: Phase.optional(),
});

/** A page of a newest-first list: `next` is the path of the older page, null on the last. */
const next = z.string().nullable();

export const ExperimentsPage = z.object({ experiments: z.array(Phase), next });

const PhaseSummary = z.object({
  phase: z.number().int(),
  state: PhaseState,
  shipped: z.string().nullable(),
  policy: z.enum(POLICY_NAMES),
  epsilon: z.number(),
  variants: z.array(z.object({ name: z.string(), template: z.string() })),
});

export const AuditEntry = z.object({
  /** Its place in the log (1 = first): `before` of the next page. */
  id: z.number().int().min(1),
  at: z.string(),
  action: z.enum(['initialize', 'reinitialize', 'start', 'pause', 'resume', 'ship']),
  actor: z.string(),
  before: PhaseSummary.nullable(),
  after: PhaseSummary,
  force: z.literal(true).optional(),
  lastSeenPhase: z.number().int().optional(),
});

export const AuditPage = z.object({ entries: z.array(AuditEntry), next });

export const Liked = z.object({
  liked: z.literal(true),
  phase: z.number().int(),
  variant: z.string(),
});

export const ImpressionStatus = z.union([
  z.object({
    impression: z.string(),
    status: z.enum(['pending', 'liked']),
    phase: z.number().int(),
    variant: z.string(),
  }),
  z.object({ impression: z.string(), status: z.literal('unknown') }),
]);
