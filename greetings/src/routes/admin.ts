import { HttpError, type Logger, type Metrics } from '@friendly-calculator/common';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Admin } from '../experiment/admin';
import { ActionRefused } from '../experiment/phase';
import type { Greeter } from '../greeter';
import { StoreUnavailable } from '../store/experiment-store';
import { adminErrors } from '../http/admin-errors';
import { formEpsilon, formVariants } from '../http/form-fields';
import type { GuardStores } from '../http/guard-stores';
import { signIn, SIGN_IN_HEADERS } from '../http/sign-in';
import { adminPage, ADMIN_PAGE_CSP, type Notice } from '../views/admin-page';

export interface AdminRouteDeps {
  admin: Admin;
  greeter: Greeter;
  /** ADMIN_TOKEN; undefined = admin disabled. */
  token: string | undefined;
  /** Sessions and the failed-sign-in counter (http/guard-stores.ts). */
  guards: Pick<GuardStores, 'sessions' | 'signInFailures'>;
  logger: Logger;
  metrics: Metrics;
}

/** Where this request came from: a browser's form (HTML answers) or an API client (JSON). */
const fromForm = (req: Request) =>
  req.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded' ||
  (req.method === 'GET' && req.accepts(['application/json', 'text/html']) === 'text/html');

const ACTIONS = {
  start: {
    path: '/admin/experiments',
    status: 201,
    done: (n: number) => `Phase ${n} started: every count begins at zero.`,
  },
  pause: {
    path: '/admin/experiments/current/pause',
    status: 200,
    done: (n: number) => `Phase ${n} paused: everyone sees the control, nothing is counted.`,
  },
  resume: {
    path: '/admin/experiments/current/resume',
    status: 200,
    done: (n: number) => `Phase ${n} running again.`,
  },
  ship: {
    path: '/admin/experiments/current/ship',
    status: 200,
    done: (n: number) => `Phase ${n} shipped: everyone sees the winner, counts are frozen.`,
  },
} as const;

/**
 * `/admin`: the presenter's API (JSON, `Authorization: Bearer <token>`) and
 * page (HTML forms, signed in once with a session cookie: http/sign-in.ts).
 */
export function adminRoutes({
  admin,
  greeter,
  token,
  guards,
  logger,
  metrics,
}: AdminRouteDeps): Router {
  const router = express.Router();
  router.use(
    '/admin',
    express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 40 }),
    express.json({ limit: '8kb' }),
  );

  const renderPage = async (
    req: Request,
    res: Response,
    status: number,
    notice?: Notice,
    signedIn = false,
  ) => {
    let experiments;
    let audit;
    try {
      experiments = await greeter.experiments();
      audit = signedIn ? await admin.audit() : undefined;
    } catch (error) {
      if (!(error instanceof StoreUnavailable)) throw error;
      notice = {
        kind: 'sorry',
        message: `The greetings store is unavailable: ${error.message}. Nothing can be shown or changed right now.`,
      };
      status = 503;
    }
    res
      .status(status)
      .set({
        'Content-Security-Policy': ADMIN_PAGE_CSP,
        ...SIGN_IN_HEADERS,
      })
      .type('html')
      .send(
        adminPage({
          experiments,
          audit,
          notice,
        }).value,
      );
  };

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
      sessions: guards.sessions,
      failures: guards.signInFailures,
      logger,
      metrics,
    });
    router.use(signInRouter);
    router.use('/admin', guard);
  }

  router.get('/admin', (req, res) => renderPage(req, res, 200, undefined, true));
  // The page's "show the audit log" button: the same page, signed in.
  router.post('/admin', (req, res) => renderPage(req, res, 200, undefined, true));
  router.get('/admin/audit', async (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ entries: await admin.audit() });
  });

  for (const [action, { path, status, done }] of Object.entries(ACTIONS)) {
    router.post(path, async (req: Request, res: Response) => {
      const form = fromForm(req);
      try {
        const body: unknown = form
          ? formBody(action, req.body as Record<string, unknown>)
          : req.body;
        const phase = await admin[action as keyof typeof ACTIONS](body);
        if (form)
          await renderPage(req, res, status, { kind: 'thanks', message: done(phase.phase) }, true);
        else res.status(status).json(phase);
      } catch (error) {
        const refused =
          error instanceof ActionRefused
            ? { status: error.status, message: error.message }
            : error instanceof StoreUnavailable
              ? {
                  status: 503,
                  message: `The greetings store is unavailable: ${error.message}. Nothing was changed.`,
                }
              : undefined;
        if (!refused) throw error;
        if (form)
          await renderPage(
            req,
            res,
            refused.status,
            { kind: 'sorry', message: refused.message },
            true,
          );
        else throw new HttpError(refused.status, refused.message);
      }
    });
  }
  router.use('/admin', adminErrors);
  return router;
}

/** The page's form fields, as the JSON API takes them. */
function formBody(action: string, form: Record<string, unknown>): Record<string, unknown> {
  const text = (key: string) => {
    const value = form[key];
    return typeof value === 'string' ? value : '';
  };
  const actor = text('actor').trim() === '' ? undefined : text('actor');
  if (action === 'ship') return { variant: text('variant'), actor };
  if (action !== 'start') return { actor };
  return {
    variants: formVariants(form),
    policy: text('policy') || undefined,
    epsilon: formEpsilon(text('epsilon')),
    actor,
  };
}
