import {
  answerHeaders,
  buildOpenApiDocument,
  jsonAnswer,
  liveStreamAnswers,
  RETRY_AFTER,
  z,
  type OpenAPIRegistry,
  type OpenApiDocument,
  type ResponseConfig,
} from '@friendly-calculator/common/openapi';
import { MAX_NAME_LENGTH } from '@friendly-calculator/common';
import { ANONYMOUS_PAGE_LIMIT, MAX_PAGE_LIMIT } from './pagination';
import {
  AuditPage,
  ExperimentsPage,
  Greeting,
  ImpressionStatus,
  LikeRequest,
  Liked,
  Phase,
  REASONS,
  ShipRequest,
  StartRequest,
  StateRequest,
  type Reason,
} from './schemas';

/**
 * greetings' OpenAPI document, built from http/schemas.ts (the shapes the
 * routes and tests share) and its REASONS: one source for what a client may
 * send, what it gets back and why a request was refused.
 */

// Named once in the document (components), so each shape is described where it is defined.
const C = {
  Greeting: Greeting.openapi('Greeting'),
  Phase: Phase.openapi('Phase'),
  ExperimentsPage: ExperimentsPage.openapi('ExperimentsPage'),
  AuditPage: AuditPage.openapi('AuditPage'),
  Liked: Liked.openapi('Liked'),
  ImpressionStatus: ImpressionStatus.openapi('ImpressionStatus'),
  LikeRequest: LikeRequest.openapi('LikeRequest'),
  StartRequest: StartRequest.openapi('StartRequest'),
  StateRequest: StateRequest.openapi('StateRequest'),
  ShipRequest: ShipRequest.openapi('ShipRequest'),
};

type Retry = 'required' | 'optional' | undefined;

interface RefusalOptions {
  /** Some answers of this status carry no `reason` (a name or id refused by common's rules). */
  reasonOptional?: boolean;
  /** `Retry-After`: always there (429, a store away) or only on some causes. */
  retryAfter?: Retry;
  /** The sign-in page answers a browser's refusal as HTML. */
  html?: boolean;
  /** Headers besides traceresponse and Retry-After. */
  headers?: z.ZodRawShape;
}

const retryHeader = (retry: Retry): z.ZodRawShape =>
  retry === 'required'
    ? { 'Retry-After': RETRY_AFTER }
    : retry === 'optional'
      ? { 'Retry-After': RETRY_AFTER.optional() }
      : {};

/** A refusal: JSON with its `reason` values (each explained), or the message as text. */
function refusal(
  description: string,
  reasons: [Reason, ...Reason[]],
  options: RefusalOptions = {},
): ResponseConfig {
  const reason = z.enum(reasons).openapi({
    description: reasons.map((r) => `\`${r}\`: ${REASONS[r]}`).join('; '),
  });
  const body = z.object({
    error: z.string().openapi({ description: 'What went wrong, for a person to read.' }),
    status: z.number().int().min(400).max(599),
    reason: options.reasonOptional ? reason.optional() : reason,
    retryAfter: z.number().int().min(1).optional().openapi({ description: 'Seconds to wait.' }),
  });
  return {
    description: `${description} Reasons: ${reasons.map((r) => `\`${r}\``).join(', ')}.`,
    headers: answerHeaders({ ...retryHeader(options.retryAfter), ...options.headers }),
    content: {
      'application/json': { schema: body },
      'text/plain': { schema: z.string().openapi({ description: 'The message and a newline.' }) },
      ...(options.html ? { 'text/html': { schema: z.string() } } : {}),
    },
  };
}

/** A 303 to where the answer can be seen. */
const seeOther = (description: string, extra: z.ZodRawShape = {}): ResponseConfig => ({
  description,
  headers: answerHeaders({ Location: z.string(), ...extra }),
  content: { 'text/plain': { schema: z.string() }, 'text/html': { schema: z.string() } },
});

const htmlPage = (description: string, headers: z.ZodRawShape = {}): ResponseConfig => ({
  description,
  headers: answerHeaders({
    'Content-Security-Policy': z
      .string()
      .openapi({ description: 'This page’s own scripts and styles only.' }),
    ...headers,
  }),
  content: { 'text/html': { schema: z.string() } },
});

const storeDown = (retry: Retry = undefined) =>
  refusal('The greetings store is unavailable.', ['unavailable', 'uncertain'], {
    reasonOptional: true,
    retryAfter: retry,
  });

const SERVER_FAULT: ResponseConfig = {
  description: 'An unexpected fault (logged with the trace id); the body says nothing more.',
  headers: answerHeaders(),
  content: {
    'application/json': { schema: z.object({ error: z.string(), status: z.literal(500) }) },
    'text/plain': { schema: z.string() },
  },
};

const BAD_PATH = (more: string) =>
  refusal(`${more} Or undecodable percent-encoding in the path.`, ['malformed_path'], {
    reasonOptional: true,
  });

const Page = z.object({
  limit: z
    .string()
    .regex(/^\d+$/)
    .optional()
    .openapi({ description: `How many, 1 to ${MAX_PAGE_LIMIT}.` }),
  before: z
    .string()
    .regex(/^\d+$/)
    .optional()
    .openapi({ description: 'Only older than this (from the previous page’s `next`).' }),
});
const BAD_PAGE = refusal('`limit` or `before` is not a whole number in range.', ['bad_request']);

function registerVisitorRoutes(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/greeting/{name}',
    tags: ['greetings'],
    summary: 'A greeting for a name (an impression of the experiment)',
    description:
      'Plain text by default (curl, and a browser: never HTML); JSON on `Accept: application/json`, which records an impression that can be liked once. Without the store: a fallback greeting (`strategy: fallback`, no impression).',
    request: {
      params: z.object({
        name: z.string().openapi({
          description: `1 to ${MAX_NAME_LENGTH} characters after trimming, no control characters, not just dots.`,
          example: 'Bob',
        }),
      }),
    },
    responses: {
      200: {
        description: 'The greeting.',
        headers: answerHeaders(),
        content: {
          'text/plain': { schema: z.string().openapi({ example: 'Hello Bob' }) },
          'application/json': { schema: C.Greeting },
        },
      },
      400: BAD_PATH('The name breaks the rule above.'),
      500: SERVER_FAULT,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/impressions/{id}',
    tags: ['greetings'],
    summary: 'What became of a shown greeting: pending, liked or unknown',
    request: { params: z.object({ id: LikeRequest.shape.impression }) },
    responses: {
      200: jsonAnswer('The impression’s state.', C.ImpressionStatus),
      400: BAD_PATH('Not an impression id.'),
      500: SERVER_FAULT,
      503: storeDown(),
    },
  });
  for (const path of ['/stats', '/experiments/current']) {
    registry.registerPath({
      method: 'get',
      path,
      tags: ['experiment'],
      summary: 'The current phase: its variants, counts, intervals and the best so far',
      responses: {
        200: jsonAnswer('The current phase.', C.Phase),
        500: SERVER_FAULT,
        503: storeDown(),
      },
    });
  }
  registerLive(registry);
  registerViewers(registry);
  registry.registerPath({
    method: 'get',
    path: '/experiments',
    tags: ['experiment'],
    summary: 'Every phase, newest first, a page at a time',
    description: `Anonymous: at most ${ANONYMOUS_PAGE_LIMIT} phases a page (a larger \`limit\`, up to ${MAX_PAGE_LIMIT}, is answered with ${ANONYMOUS_PAGE_LIMIT}, and \`next\` says so); signed-in clients read up to ${MAX_PAGE_LIMIT} at \`GET /admin/experiments\`. Pages are served a few at a time and at a bounded rate, so history can never slow the greetings and Likes: when too many wait, this route (only this one) answers 503 \`busy\` with \`Retry-After\`.`,
    request: { query: Page },
    responses: {
      200: jsonAnswer(
        `One page of phases (10 by default, at most ${ANONYMOUS_PAGE_LIMIT}); \`next\` links to older ones.`,
        C.ExperimentsPage,
      ),
      400: BAD_PAGE,
      500: SERVER_FAULT,
      503: refusal(
        'Too many history requests at once (`busy`), or the greetings store is unavailable.',
        ['busy', 'unavailable', 'uncertain'],
        { reasonOptional: true, retryAfter: 'required' },
      ),
    },
  });
}

function registerLive(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/experiments/current/events',
    tags: ['experiment'],
    summary: 'The current phase, live (Server-Sent Events), for presenter mode',
    description:
      'A `text/event-stream`: at once on connect, then whenever any replica counts a showing, a Like or a phase action, or an awesome-app reports its viewers (at most 4 a second), an event `experiment` whose data is the whole current phase as JSON (the shape of `/experiments/current`, plus `decisions`: the latest showings, newest first, and `viewers`: each awesome-app process’s latest viewer count, by its name). A comment line every 15 s. The awesome-app relays it to the room as `/present/events`.',
    responses: liveStreamAnswers(
      'The stream; it ends when greetings drains (reconnect: `retry: 1000`).',
    ),
  });
}

function registerViewers(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'put',
    path: '/experiments/current/viewers/{source}',
    tags: ['experiment'],
    summary: 'How many watch the room through one awesome-app process (presenter mode)',
    description:
      'awesome-app says how many `/present/events` streams it has open, on every change and every 10 s. The report goes to every replica (the store’s pub/sub; nothing is stored), and the live stream’s `viewers` carries each process’s latest report younger than 30 s (at most 100 processes), so every projector shows the whole room.',
    request: {
      params: z.object({
        source: z
          .string()
          .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
          .openapi({ description: 'The reporting process’s name.' }),
      }),
      body: {
        content: {
          'application/json': {
            schema: z.object({ count: z.number().int().min(0).max(1_000_000) }),
          },
        },
      },
    },
    responses: {
      204: { description: 'Passed on to every replica.', headers: answerHeaders() },
      400: refusal('A bad source name, or a body that is not `{"count": n}`.', ['bad_request'], {
        reasonOptional: true,
      }),
      500: SERVER_FAULT,
    },
  });
}

function registerLike(registry: OpenAPIRegistry): void {
  const ReturnTo = z.string().optional().openapi({
    description: 'The page’s path to come back to (only within the awesome-app’s origin).',
  });
  registry.registerPath({
    method: 'post',
    path: '/like_greeting',
    tags: ['greetings'],
    summary: 'Like a shown greeting (once per impression)',
    description:
      'JSON gets JSON. A browser’s form always goes back to the page with a 303 to `?like=<impression>` (`&already=1`, `&limited=1` only change the wording): the page asks `GET /impressions/{id}` what happened. A JSON refusal always has a `reason`.',
    request: {
      body: {
        content: {
          'application/json': { schema: C.LikeRequest },
          'application/x-www-form-urlencoded': {
            schema: LikeRequest.extend({ return_to: ReturnTo }),
          },
        },
      },
    },
    responses: {
      200: jsonAnswer('Counted.', C.Liked),
      303: seeOther('A form post: back to the page, whatever happened.', {
        'Retry-After': RETRY_AFTER.optional(),
      }),
      400: refusal('No impression, or not one; or a body that is not JSON.', [
        'missing',
        'malformed',
      ]),
      404: refusal('Never shown, or expired.', ['unknown']),
      409: refusal('Liked already, or the experiment is paused or shipped.', [
        'used',
        'paused',
        'shipped',
      ]),
      410: refusal('The impression’s phase is over.', ['ended']),
      413: refusal('The body is over 1 kB.', ['too-large']),
      415: refusal('Neither a form nor JSON.', ['unsupported']),
      429: refusal(
        'Too many Likes from this address this minute: nothing counted.',
        ['rate_limited'],
        {
          retryAfter: 'required',
        },
      ),
      500: SERVER_FAULT,
      503: refusal(
        'The store is away (`unavailable`: nothing counted) or did not confirm in time (`uncertain`: retrying is safe, a Like never counts twice).',
        ['unavailable', 'uncertain'],
        { retryAfter: 'required' },
      ),
    },
  });
}

const Bearer = z.object({
  Authorization: z.string().optional().openapi({
    description:
      '`Bearer <ADMIN_TOKEN>` (an API client), or the sign-in session cookie (the page).',
  }),
});

/** What every /admin route may refuse before it runs. */
const adminGate = (): Record<number, ResponseConfig> => ({
  401: refusal('No token and not signed in.', ['unauthorized'], {
    headers: { 'WWW-Authenticate': z.string() },
  }),
  404: refusal('The admin routes are off (no ADMIN_TOKEN), or no such admin route or method.', [
    'disabled',
    'not_found',
  ]),
  429: refusal('Too many wrong tokens from this address this minute.', ['throttled'], {
    retryAfter: 'required',
  }),
  500: SERVER_FAULT,
  503: refusal('The sign-in or experiment store is unavailable.', ['unavailable', 'uncertain'], {
    retryAfter: 'required',
  }),
});

function registerAdminPages(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/admin',
    tags: ['admin'],
    summary: 'The admin page (signed in)',
    description: 'A browser not signed in is sent to `/admin/sign-in` (303).',
    request: {
      headers: Bearer,
      query: z.object({
        notice: z
          .string()
          .optional()
          .openapi({ description: 'The outcome of the form just posted.' }),
        outcome: z
          .string()
          .optional()
          .openapi({ description: 'A fixed outcome, when the store could not keep one.' }),
      }),
    },
    responses: {
      200: htmlPage('The page.'),
      303: seeOther('Not signed in: to the sign-in page.'),
      403: refusal('A wrong token.', ['forbidden'], {
        headers: { 'WWW-Authenticate': z.string() },
      }),
      ...adminGate(),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/admin/experiments',
    tags: ['admin'],
    summary: 'Every phase, newest first, a page at a time, for a signed-in client',
    description: `The same pages as \`GET /experiments\`, up to ${MAX_PAGE_LIMIT} phases each; \`next\` links stay under /admin.`,
    request: { headers: Bearer, query: Page },
    responses: {
      200: jsonAnswer('One page of phases (10 by default).', C.ExperimentsPage),
      303: seeOther('A browser not signed in: to the sign-in page.'),
      400: BAD_PAGE,
      403: refusal('A wrong token.', ['forbidden'], {
        headers: { 'WWW-Authenticate': z.string() },
      }),
      ...adminGate(),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/admin/audit',
    tags: ['admin'],
    summary: 'Who did what to the experiment, newest first, a page at a time',
    request: { headers: Bearer, query: Page },
    responses: {
      200: jsonAnswer('One page of entries (20 by default).', C.AuditPage),
      303: seeOther('A browser not signed in: to the sign-in page.'),
      400: BAD_PAGE,
      403: refusal('A wrong token.', ['forbidden'], {
        headers: { 'WWW-Authenticate': z.string() },
      }),
      ...adminGate(),
    },
  });
}

function registerSignIn(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/admin/sign-in',
    tags: ['admin'],
    summary: 'The sign-in page; with `?token=` (the link npm start prints) it signs in',
    request: {
      query: z.object({
        token: z.string().optional(),
        refused: z.enum(['wrong', 'throttled']).optional().openapi({
          description: 'Where a refused sign-in link lands: the form says why.',
        }),
      }),
    },
    responses: {
      200: htmlPage('The sign-in form.'),
      303: seeOther(
        'Signed in (a session cookie is set) or already: to `/admin`. A refused link (a wrong token, or too many from this address: `Retry-After`) goes to `/admin/sign-in?refused=wrong|throttled`, which says so: the token leaves the address bar whatever the answer.',
        { 'Set-Cookie': z.string().optional(), 'Retry-After': RETRY_AFTER.optional() },
      ),
      ...adminGate(),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/admin/sign-in',
    tags: ['admin'],
    summary: 'Sign in with the admin token (the form; its Origin must be greetings’ public origin)',
    request: {
      body: {
        content: {
          'application/x-www-form-urlencoded': { schema: z.object({ token: z.string() }) },
        },
      },
    },
    responses: {
      303: seeOther('Signed in (a session cookie is set): to `/admin`.', {
        'Set-Cookie': z.string(),
      }),
      403: {
        ...htmlPage('A wrong token: the form again, saying so.'),
        content: {
          'text/html': { schema: z.string() },
          ...refusal('The form’s Origin is not greetings’ public origin.', ['bad_origin']).content,
        },
      },
      415: refusal('A body that is not a form.', ['unsupported']),
      ...adminGate(),
      429: htmlPage('Too many wrong tokens from this address this minute.', {
        'Retry-After': RETRY_AFTER,
      }),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/admin/sign-out',
    tags: ['admin'],
    summary: 'Sign out (the form; its Origin must be greetings’ public origin)',
    responses: {
      200: htmlPage('Signed out: the sign-in page.'),
      403: refusal('The form’s Origin is not greetings’ public origin.', ['bad_origin']),
      415: refusal('A body that is not a form.', ['unsupported']),
      ...adminGate(),
    },
  });
}

const ACTIONS = [
  ['/admin/experiments', 'Start a new phase (every count from zero)', C.StartRequest, 201],
  ['/admin/experiments/current/pause', 'Pause the current phase', C.StateRequest, 200],
  ['/admin/experiments/current/resume', 'Resume the current phase', C.StateRequest, 200],
  ['/admin/experiments/current/ship', 'Ship a variant to everyone', C.ShipRequest, 200],
] as const;

const REPLAYED = {
  'Idempotent-Replayed': z.literal('true').optional().openapi({
    description: 'This is the kept answer of an earlier request with the same Idempotency-Key.',
  }),
};

function registerAdminActions(registry: OpenAPIRegistry): void {
  for (const [path, summary, schema, done] of ACTIONS) {
    registry.registerPath({
      method: 'post',
      path,
      tags: ['admin'],
      summary,
      description:
        '`ifPhase` names the phase the action is meant for: required (428 `precondition_required` without), else 409 `stale`, nothing done. The body is JSON or a form, nothing else (415), at most 16 kB and 32 levels deep. `Idempotency-Key` makes a retry safe: every outcome, done or refused, is kept under it, and the same key and body get it again (`Idempotent-Replayed: true`); the same key with another body is 422 `key_reused`; a repeat while the first is still being handled (on any replica) waits for its answer, or is 409 `in_progress` with `Retry-After`. The page posts the same fields as a form and is sent back to `/admin` (303).',
      request: {
        headers: Bearer.extend({
          'Idempotency-Key': z
            .string()
            .min(1)
            .max(255)
            .optional()
            .openapi({ description: '1 to 255 visible ASCII characters, a UUID say.' }),
        }),
        body: {
          content: {
            'application/json': { schema },
            'application/x-www-form-urlencoded': { schema: z.object({}).catchall(z.string()) },
          },
        },
      },
      responses: {
        [done]: {
          ...jsonAnswer('Done: the phase as it is now.', C.Phase),
          headers: answerHeaders(REPLAYED),
        },
        303: seeOther('The page’s form: back to `/admin`, which says what happened.'),
        400: refusal(
          'A field or body that is not allowed (JSON deeper than 32 levels too), or a bad Idempotency-Key.',
          ['bad_request'],
        ),
        403: refusal(
          'A wrong token, or a signed-in form from elsewhere.',
          ['forbidden', 'bad_origin'],
          {
            headers: { 'WWW-Authenticate': z.string().optional() },
          },
        ),
        409: refusal(
          'Not now: the phase’s state does not allow it, `ifPhase` is not current, the variant is not the best (send `force: true`), or a request with this Idempotency-Key is still being handled (`Retry-After`).',
          ['conflict', 'stale', 'not_best', 'in_progress'],
          { headers: REPLAYED, retryAfter: 'optional' },
        ),
        413: refusal('The body is over 16 kB.', ['too-large']),
        415: refusal('A body that is neither JSON nor a form.', ['unsupported']),
        422: refusal('This Idempotency-Key was used for another request.', ['key_reused']),
        428: refusal('No `ifPhase`: nothing was done.', ['precondition_required'], {
          headers: REPLAYED,
        }),
        ...adminGate(),
      },
    });
  }
}

function registerStyle(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/style.css',
    tags: ['documentation'],
    summary: 'The pages’ stylesheet',
    responses: {
      200: {
        description: 'CSS.',
        headers: answerHeaders(),
        content: { 'text/css': { schema: z.string() } },
      },
    },
  });
}

/** Built once at start-up (and by `npm run openapi`). */
export function greetingsDocument(
  dependencies: string[] = ['redis', 'scenarios'],
): OpenApiDocument {
  return buildOpenApiDocument(
    {
      title: 'greetings',
      description:
        'Greetings chosen by a multi-armed bandit experiment, Likes that count once, and the admin routes that run the experiment. A refusal as JSON has a `reason` a program can branch on (listed per answer).',
      port: 5002,
      swaggerUi: true,
    },
    dependencies,
    (registry) => {
      registerVisitorRoutes(registry);
      registerLike(registry);
      registerAdminPages(registry);
      registerSignIn(registry);
      registerAdminActions(registry);
      registerStyle(registry);
    },
  );
}
