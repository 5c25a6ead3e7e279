import { createHash } from 'node:crypto';
import { HttpError, type Logger, type Metrics } from '@friendly-calculator/common';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import {
  MAX_IDEMPOTENCY_KEY_LENGTH,
  SHIP_ANYWAY,
  Uncertain,
  type Action,
  type Admin,
} from '../experiment/admin';
import { ActionRefused, parseActor } from '../experiment/phase';
import { StoreUnavailable, type ExperimentStore } from '../experiment/store';
import type { Greeter } from '../greeter';
import { adminBodies } from '../http/admin-bodies';
import { adminErrors } from '../http/admin-errors';
import { formEpsilon, formVariants } from '../http/form-fields';
import type { GuardStores } from '../http/guard-stores';
import { nextLink, pageOf } from '../http/pagination';
import { signIn, type AdminAuth } from '../http/sign-in';
import { createAdminPage, type AdminPage } from './admin-page';

export interface AdminRouteDeps {
  admin: Admin;
  greeter: Greeter;
  store: ExperimentStore;
  /** ADMIN_TOKEN; undefined = admin disabled. */
  token: string | undefined;
  /** Sessions and the failed-sign-in counter (http/guard-stores.ts). */
  guards: Pick<GuardStores, 'sessions' | 'signInFailures'>;
  /** Greetings' public origins (GREETINGS_PUBLIC_URL): where the page's forms come from. */
  publicOrigins: readonly string[];
  /** The shared stylesheet's address (`/style.css?v=…`). */
  styleHref: string;
  /** AWESOME_APP_URL: the admin page links back to the calculator page. */
  pageUrl: string;
  logger: Logger;
  metrics: Metrics;
}

/** Where this request came from: a browser's form (HTML answers) or an API client (JSON). */
const fromForm = (req: Request) =>
  req.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded' ||
  (req.method === 'GET' && req.accepts(['application/json', 'text/html']) === 'text/html');

const ACTIONS: Record<Action, { path: string; done: (n: number) => string }> = {
  start: {
    path: '/admin/experiments',
    done: (n) => `Phase ${n} started: every count begins at zero.`,
  },
  pause: {
    path: '/admin/experiments/current/pause',
    done: (n) => `Phase ${n} paused: everyone sees the control (variant 1), nothing is counted.`,
  },
  resume: {
    path: '/admin/experiments/current/resume',
    done: (n) => `Phase ${n} running again.`,
  },
  ship: {
    path: '/admin/experiments/current/ship',
    done: (n) => `Phase ${n} shipped: everyone sees the chosen variant, counts are frozen.`,
  },
};

/** Seconds a client should wait before retrying when the store did not answer. */
const RETRY_AFTER_SECONDS = 5;

/**
 * `/admin`: the presenter's API (JSON, `Authorization: Bearer <token>`) and
 * page (HTML forms, signed in once with a session cookie: http/sign-in.ts).
 */
export function adminRoutes(deps: AdminRouteDeps): Router {
  const { admin, token, logger, metrics } = deps;
  const page = createAdminPage(deps);
  const router = express.Router();
  // JSON or a form only, within size and depth limits (http/admin-bodies.ts).
  router.use('/admin', ...adminBodies());

  // Every /admin route: disabled without ADMIN_TOKEN, else signed in (http/sign-in.ts) or nothing.
  router.use('/admin', (_req: Request, _res: Response, next: NextFunction) => {
    if (token !== undefined) {
      next();
      return;
    }
    throw new HttpError(
      404,
      'The admin routes are disabled: set ADMIN_TOKEN (16 or more characters) on greetings to enable them.',
      { reason: 'disabled' },
    );
  });
  if (token !== undefined) {
    const { router: signInRouter, guard } = signIn({
      token,
      sessions: deps.guards.sessions,
      failures: deps.guards.signInFailures,
      publicOrigins: deps.publicOrigins,
      logger,
      metrics,
    });
    router.use(signInRouter);
    router.use('/admin', guard);
  }

  router.get('/admin', (req, res) => page.render(req, res, 200, { signedIn: true }));
  router.get('/admin/audit', async (req, res) => {
    const range = pageOf(req, 20);
    const entries = await admin.audit(range);
    const last = entries[entries.length - 1];
    const older = last && last.id > 1 && entries.length === range.limit ? last.id : null;
    res
      .set('Cache-Control', 'no-store')
      .json({ entries, next: nextLink('/admin/audit', range, older) });
  });

  for (const [action, { path }] of Object.entries(ACTIONS) as [Action, (typeof ACTIONS)[Action]][])
    router.post(path, actionHandler(action, admin, page));
  router.use('/admin', adminErrors);
  return router;
}

/** What an action answers, refused or not, as status, JSON body and headers. */
interface Answer {
  status: number;
  body: { error?: string; reason?: string; phase?: number } & Record<string, unknown>;
  headers: Record<string, string>;
}

const refusedAnswer = (status: number, reason: string, error: string, headers = {}): Answer => ({
  status,
  body: { error, status, reason },
  headers,
});

function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get('idempotency-key');
  if (key === undefined) return undefined;
  if (key.length < 1 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key))
    throw new ActionRefused(
      400,
      `Idempotency-Key: expected 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters (a UUID, say)`,
    );
  return key;
}

/** Who acted, when the request does not say: the session's name or label, or the token's. */
function defaultActor(req: Request, auth: AdminAuth): string | undefined {
  if (auth === 'bearer') return 'API (ADMIN_TOKEN)';
  if (auth !== 'session') return undefined;
  // A short tag of the session id tells two presenters apart and gives nothing away.
  const tag = createHash('sha256').update(req.sessionID).digest('hex').slice(0, 6);
  return req.session.actor ?? `admin page (session ${tag})`;
}

/** The body with its `actor` filled in when absent (JSON or form alike). */
function withActor(body: unknown, actor: string | undefined): unknown {
  if (actor === undefined || typeof body !== 'object' || body === null || Array.isArray(body))
    return body;
  const given = (body as Record<string, unknown>).actor;
  return given === undefined || given === null || given === ''
    ? { ...(body as Record<string, unknown>), actor }
    : body;
}

async function answer(
  action: Action,
  admin: Admin,
  req: Request,
  res: Response,
  form: boolean,
): Promise<Answer> {
  try {
    const raw: unknown = form ? formBody(action, req.body as Record<string, unknown>) : req.body;
    const body = withActor(raw, defaultActor(req, res.locals.adminAuth as AdminAuth));
    const outcome = await admin.act(action, body, idempotencyKeyOf(req));
    return {
      status: outcome.status,
      body: outcome.body as Answer['body'],
      headers: outcome.replayed ? { 'Idempotent-Replayed': 'true' } : {},
    };
  } catch (error) {
    if (error instanceof ActionRefused)
      return refusedAnswer(
        error.status,
        error.reason,
        error.message,
        // Another request holds the key: its answer is ready in a moment.
        error.reason === 'in_progress' ? { 'Retry-After': '1' } : {},
      );
    const retry = { 'Retry-After': String(RETRY_AFTER_SECONDS) };
    if (error instanceof Uncertain)
      return refusedAnswer(
        503,
        'uncertain',
        `The greetings store did not answer in time (${error.message}): the action may or may not have happened. Retrying with the same Idempotency-Key is safe: it acts only if the first attempt did not.`,
        retry,
      );
    if (error instanceof StoreUnavailable)
      return refusedAnswer(
        503,
        'unavailable',
        `The greetings store is unavailable: ${error.message}. Nothing was changed.`,
        retry,
      );
    throw error;
  }
}

/** One action: JSON in, JSON out; or the page's form in, a 303 back to the page out. */
function actionHandler(action: Action, admin: Admin, page: AdminPage) {
  return async (req: Request, res: Response): Promise<void> => {
    const form = fromForm(req);
    const { status, body, headers } = await answer(action, admin, req, res, form);
    if (!form) {
      res.status(status).set(headers).json(body);
      return;
    }
    rememberActor(req);
    const done = status < 300;
    // The page's words, not the API's ("tick ship anyway", not 'send "force": true').
    const message = done
      ? ACTIONS[action].done(body.phase!)
      : body.error!.replace(SHIP_ANYWAY.api, SHIP_ANYWAY.page);
    const fallback =
      body.reason === 'uncertain' || body.reason === 'unavailable' ? body.reason : 'lost';
    await page.redirect(res, { kind: done ? 'thanks' : 'sorry', message }, fallback);
  };
}

/** The name typed on the page, kept for the session: the form is prefilled with it after every action. */
function rememberActor(req: Request): void {
  const typed = (req.body as Record<string, unknown> | undefined)?.actor;
  if (!req.session || typeof typed !== 'string') return;
  const name = typed.trim();
  // Only a name the audit log would take (parseActor's rule: 1 to 64 characters, nothing hidden).
  try {
    if (name !== '' && parseActor(name) === name) req.session.actor = name;
  } catch {
    // refused with the action itself; nothing to remember
  }
}

/** The page's form fields, as the JSON API takes them. */
function formBody(action: Action, form: Record<string, unknown>): Record<string, unknown> {
  const text = (key: string) => {
    const value = form[key];
    return typeof value === 'string' ? value : '';
  };
  const actor = text('actor').trim() === '' ? undefined : text('actor');
  // The hidden field's digits as the number JSON sends; anything else stays text (a 400).
  const ifPhase =
    text('ifPhase') === ''
      ? undefined
      : /^\d{1,15}$/.test(text('ifPhase'))
        ? Number(text('ifPhase'))
        : text('ifPhase');
  if (action === 'ship')
    return { variant: text('variant'), actor, ifPhase, force: text('force') === 'true' };
  if (action !== 'start') return { actor, ifPhase };
  return {
    variants: formVariants(form),
    policy: text('policy') || undefined,
    epsilon: formEpsilon(text('epsilon')),
    actor,
    ifPhase,
  };
}
