import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError, type Logger, type Metrics } from '@friendly-calculator/common';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Admin } from '../experiment/admin';
import { ActionRefused } from '../experiment/phase';
import type { Greeter } from '../greeter';
import { StoreUnavailable } from '../store/experiment-store';
import { adminPage, ADMIN_PAGE_CSP, type Notice } from '../views/admin-page';

export interface AdminRouteDeps {
  admin: Admin;
  greeter: Greeter;
  /** ADMIN_TOKEN; undefined = admin disabled. */
  token: string | undefined;
  logger: Logger;
  metrics: Metrics;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Equal or not, in time that does not depend on where the two differ (both are hashed first). */
export function sameToken(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Where this request came from: a browser's form (HTML answers) or an API client (JSON). */
const fromForm = (req: Request) =>
  req.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded' ||
  (req.method === 'GET' && req.accepts(['application/json', 'text/html']) === 'text/html');

function presentedToken(req: Request): string | undefined {
  const header = req.get('authorization');
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match ? match[1] : '';
  }
  const field = (req.body as Record<string, unknown> | undefined)?.token;
  return typeof field === 'string' && field !== '' ? field : undefined;
}

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
 * page (HTML forms that carry the token as a field, since a page without
 * script cannot set a header; no cookie, so nothing to forge across sites).
 */
export function adminRoutes({ admin, greeter, token, logger, metrics }: AdminRouteDeps): Router {
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
        'Cache-Control': 'no-store',
        'Referrer-Policy': 'no-referrer',
        'X-Frame-Options': 'DENY',
      })
      .type('html')
      .send(
        adminPage({
          experiments,
          audit,
          notice,
          formToken: signedIn ? presentedToken(req) : undefined,
        }).value,
      );
  };

  // Every /admin route: disabled without ADMIN_TOKEN, else the token or nothing.
  router.use('/admin', async (req: Request, res: Response, next: NextFunction) => {
    if (token === undefined) {
      throw new HttpError(
        404,
        'The admin routes are disabled: set ADMIN_TOKEN (16 or more characters) on greetings to enable them.',
      );
    }
    const presented = presentedToken(req);
    if (presented !== undefined && sameToken(presented, token)) {
      next();
      return;
    }
    const status = presented === undefined ? 401 : 403;
    if (presented !== undefined) {
      metrics.increment('admin.auth_failures');
      logger.warn({ method: req.method, path: req.path, ip: req.ip }, 'admin: wrong token');
    }
    res.set('WWW-Authenticate', 'Bearer realm="greetings admin"');
    const message =
      status === 401
        ? 'The admin token is needed: send Authorization: Bearer <token> (or type it into the page).'
        : 'The admin token is wrong: nothing was changed.';
    if (fromForm(req)) {
      // The page itself is public data: show it, with the reason, so the presenter can type the token.
      await renderPage(
        req,
        res,
        status,
        req.method === 'GET' && status === 401 ? undefined : { kind: 'sorry', message },
      );
      return;
    }
    throw new HttpError(status, message);
  });

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
  const variants = [];
  for (let i = 1; i <= 8; i++) {
    const name = text(`name${i}`).trim();
    const template = text(`template${i}`);
    if (name !== '' || template.trim() !== '') variants.push({ name, template });
  }
  return {
    variants,
    policy: text('policy') || undefined,
    epsilon: text('epsilon').trim() === '' ? undefined : text('epsilon').trim(),
    actor,
  };
}
