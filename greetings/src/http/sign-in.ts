import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { HttpError, type Logger, type Metrics } from '@friendly-calculator/common';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import session from 'express-session';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ADMIN_PAGE_CSP } from '../views/admin-page';
import { signInPage, type SignInNotice } from '../views/sign-in-page';
import { clientAddress } from './client-address';

declare module 'express-session' {
  interface SessionData {
    admin?: boolean;
    /** The name the presenter gave for the audit log, kept for the session (the form is prefilled with it). */
    actor?: string;
  }
}

export const SESSION_COOKIE = 'greetings_admin';
/** A signed-in presenter stays signed in for a working day at most. */
export const SESSION_HOURS = 8;

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Equal or not, in time that does not depend on where the two differ (both are hashed first). */
export function sameToken(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

export interface SignInDeps {
  token: string;
  sessions: session.Store;
  failures: RateLimiterAbstract;
  logger: Logger;
  metrics: Metrics;
}

/** How a request is authenticated: a Bearer token (API), a session (the page), or not. */
export type AdminAuth = 'bearer' | 'session' | undefined;

/**
 * The admin page's sign-in: the token is typed once (or arrives once in the
 * link `npm start` prints) and traded for a session cookie that carries a
 * random id, never the token (HttpOnly, SameSite=Strict, Path=/admin,
 * signed with a key derived from the token, so replicas agree and a new
 * token ends every session). Failed attempts (sign-in or Bearer) count per
 * client address, shared by replicas: after 10 in a minute, 429 with
 * Retry-After until the minute passes.
 */
export function signIn(deps: SignInDeps): { router: Router; guard: express.RequestHandler } {
  const { token, logger, metrics } = deps;
  const router = express.Router();
  router.use(sessions(token, deps.sessions));

  /** Refuses a throttled address; else checks `presented`, counting a failure. */
  const check = async (req: Request, presented: string): Promise<boolean> => {
    const address = clientAddress(req);
    await refuseIfThrottled(deps.failures, address, metrics);
    if (sameToken(presented, token)) return true;
    metrics.increment('admin.auth_failures');
    logger.warn({ method: req.method, path: req.path, client: address }, 'admin: wrong token');
    try {
      await deps.failures.consume(address);
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
    }
    return false;
  };

  const signInWith = async (req: Request, res: Response, presented: string) => {
    let ok: boolean;
    try {
      ok = await check(req, presented);
    } catch (error) {
      if (!(error instanceof HttpError) || error.status !== 429) throw error;
      res.set('Retry-After', String(Number(error.details.retryAfter ?? 60)));
      sendSignInPage(res, 429, { kind: 'sorry', message: error.message });
      return;
    }
    if (!ok) {
      sendSignInPage(res, 403, {
        kind: 'sorry',
        message: 'That is not the admin token. Check it and try again.',
      });
      return;
    }
    // A fresh session id on sign-in: an id planted before cannot be promoted (session fixation).
    await new Promise<void>((resolve, reject) =>
      req.session.regenerate((err) => (err ? reject(toUnavailable(err)) : resolve())),
    );
    req.session.admin = true;
    await new Promise<void>((resolve, reject) =>
      req.session.save((err) => (err ? reject(toUnavailable(err)) : resolve())),
    );
    metrics.increment('admin.sign_ins');
    logger.info({ client: clientAddress(req) }, 'admin: signed in');
    res.set(SIGN_IN_HEADERS).redirect(303, '/admin');
  };

  router.get('/admin/sign-in', async (req: Request, res: Response) => {
    // The link `npm start` prints: signs in once, then leaves the token's URL (303).
    const fromLink = req.query.token;
    if (typeof fromLink === 'string' && fromLink !== '') {
      await signInWith(req, res, fromLink);
      return;
    }
    if (req.session.admin) res.redirect(303, '/admin');
    else sendSignInPage(res, 200, undefined);
  });
  router.post('/admin/sign-in', sameOrigin, async (req: Request, res: Response) => {
    const field = (req.body as Record<string, unknown> | undefined)?.token;
    await signInWith(req, res, typeof field === 'string' ? field : '');
  });
  router.post('/admin/sign-out', sameOrigin, async (req: Request, res: Response) => {
    await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
    res.clearCookie(SESSION_COOKIE, { path: '/admin' });
    sendSignInPage(res, 200, { kind: 'thanks', message: 'Signed out.' });
  });

  return { router, guard: adminGuard(check) };
}

type TokenCheck = (req: Request, presented: string) => Promise<boolean>;

/** Every other /admin route: a Bearer token or a session (its form posts from this origin), else refused. */
function adminGuard(check: TokenCheck): express.RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const auth = await authenticate(req, check);
    // The routes name who acted when the body does not (routes/admin.ts).
    res.locals.adminAuth = auth;
    if (auth === 'session' && req.method !== 'GET' && req.method !== 'HEAD')
      sameOrigin(req, res, next);
    else if (auth) next();
    else if (wantsHtml(req)) res.redirect(303, '/admin/sign-in');
    else {
      const header = req.get('authorization') !== undefined;
      res.set('WWW-Authenticate', 'Bearer realm="greetings admin"');
      throw new HttpError(
        header ? 403 : 401,
        header
          ? 'The admin token is wrong: nothing was changed.'
          : 'The admin token is needed: send Authorization: Bearer <token>, or sign in on /admin/sign-in.',
        { reason: header ? 'forbidden' : 'unauthorized' },
      );
    }
  };
}

async function authenticate(req: Request, check: TokenCheck): Promise<AdminAuth> {
  const header = req.get('authorization');
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return (await check(req, match ? match[1]! : '')) ? 'bearer' : undefined;
  }
  return req.session?.admin === true ? 'session' : undefined;
}

async function refuseIfThrottled(
  failures: RateLimiterAbstract,
  address: string,
  metrics: Metrics,
): Promise<void> {
  let seen: RateLimiterRes | null;
  try {
    seen = await failures.get(address);
  } catch {
    return; // the counter unreadable (and no insurance answer): the token check still applies
  }
  if (seen && seen.consumedPoints >= failures.points) {
    metrics.increment('admin.auth_throttled');
    const retryAfter = Math.max(1, Math.ceil(seen.msBeforeNext / 1000));
    throw new HttpError(
      429,
      `Too many wrong admin tokens from your address: try again in ${retryAfter} s.`,
      { reason: 'throttled', retryAfter },
    );
  }
}

/**
 * A form post signed in by cookie must come from this page: its `Origin`
 * must be this host (SameSite=Strict already keeps the cookie off other
 * sites' requests; this is the second lock OWASP asks for).
 */
export function sameOrigin(req: Request, _res: Response, next: NextFunction): void {
  const origin = req.get('origin');
  let host: string | undefined;
  try {
    host = origin ? new URL(origin).host : undefined;
  } catch {
    host = undefined;
  }
  if (host === undefined || host !== req.get('host'))
    throw new HttpError(
      403,
      'This form was not sent from the admin page (its Origin is missing or another site): nothing was changed.',
      { reason: 'bad_origin' },
    );
  next();
}

const wantsHtml = (req: Request) =>
  req.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded' ||
  (req.method === 'GET' && req.accepts(['application/json', 'text/html']) === 'text/html');

function sessions(token: string, store: session.Store): express.RequestHandler {
  const middleware = session({
    name: SESSION_COOKIE,
    // Derived from the token: every replica signs alike, and a new token ends old sessions.
    secret: createHmac('sha256', token).update('greetings admin session cookie').digest('hex'),
    store,
    resave: false,
    saveUninitialized: false,
    unset: 'destroy',
    cookie: {
      httpOnly: true,
      sameSite: 'strict',
      path: '/admin',
      secure: 'auto',
      maxAge: SESSION_HOURS * 60 * 60 * 1000,
    },
  });
  // A session store that is away is a 503 that says so, not a 500.
  return (req, res, next) =>
    middleware(req, res, (err?: unknown) => next(err ? toUnavailable(err) : undefined));
}

const toUnavailable = (err: unknown) =>
  new HttpError(
    503,
    `The sign-in store is unavailable (${err instanceof Error ? err.message : String(err)}): try again shortly.`,
    { reason: 'unavailable' },
  );

export const SIGN_IN_HEADERS = {
  'Cache-Control': 'no-store',
  // same-origin, not no-referrer: a form post must carry its Origin (no-referrer sends "null").
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

function sendSignInPage(res: Response, status: number, notice: SignInNotice | undefined): void {
  res
    .status(status)
    .set({ 'Content-Security-Policy': ADMIN_PAGE_CSP, ...SIGN_IN_HEADERS })
    .type('html')
    .send(signInPage({ notice }));
}
