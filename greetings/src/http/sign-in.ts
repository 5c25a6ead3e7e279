import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { HttpError, type Logger, type Metrics } from '@friendly-calculator/common';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import session from 'express-session';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ADMIN_PAGE_CSP } from '../views/admin-page';
import { signInPage, type SignInNotice } from '../views/sign-in-page';
import { clientAddress } from './client-address';
import { sameOrigin } from './public-origins';

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
  /** Greetings' public origins (GREETINGS_PUBLIC_URL): the only `Origin` a signed-in form may have. */
  publicOrigins: readonly string[];
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
  const fromThisPage = sameOrigin(deps.publicOrigins);

  /**
   * Counts first, then checks: each comparison of a presented token holds one
   * of the address' 10 checks a minute before it happens (a right token gives
   * its check back), so no burst, however concurrent, gets more than 10
   * answers about wrong tokens, nor a right one past them.
   */
  const check = async (req: Request, presented: string): Promise<boolean> => {
    const address = clientAddress(req);
    await holdACheck(deps.failures, address, metrics);
    if (sameToken(presented, token)) {
      await deps.failures.reward(address, 1).catch(() => undefined);
      return true;
    }
    metrics.increment('admin.auth_failures');
    logger.warn({ method: req.method, path: req.path, client: address }, 'admin: wrong token');
    return false;
  };

  /** Signs in with `presented`; refused, `refused` answers (the form again, or the link's redirect). */
  const signInWith = async (
    req: Request,
    res: Response,
    presented: string,
    refused: (status: 403 | 429, notice: SignInNotice) => void,
  ) => {
    let ok: boolean;
    try {
      ok = await check(req, presented);
    } catch (error) {
      if (!(error instanceof HttpError) || error.status !== 429) throw error;
      res.set('Retry-After', String(Number(error.details.retryAfter ?? 60)));
      refused(429, { kind: 'sorry', message: error.message });
      return;
    }
    if (!ok) {
      refused(403, { kind: 'sorry', message: WRONG_TOKEN });
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
    // The link `npm start` prints: signs in once, then leaves the token's URL
    // (303). Refused too, the token leaves the address bar: a 303 to the plain
    // form, which says why (`?refused=`).
    const fromLink = req.query.token;
    if (typeof fromLink === 'string' && fromLink !== '') {
      await signInWith(req, res, fromLink, (status) =>
        res
          .set(SIGN_IN_HEADERS)
          .redirect(303, `/admin/sign-in?refused=${status === 429 ? 'throttled' : 'wrong'}`),
      );
      return;
    }
    if (req.session.admin) res.redirect(303, '/admin');
    else {
      const refused = req.query.refused;
      sendSignInPage(res, 200, typeof refused === 'string' ? LINK_REFUSED.get(refused) : undefined);
    }
  });
  router.post('/admin/sign-in', fromThisPage, async (req: Request, res: Response) => {
    const field = (req.body as Record<string, unknown> | undefined)?.token;
    await signInWith(req, res, typeof field === 'string' ? field : '', (status, notice) =>
      sendSignInPage(res, status, notice),
    );
  });
  router.post('/admin/sign-out', fromThisPage, async (req: Request, res: Response) => {
    await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
    res.clearCookie(SESSION_COOKIE, { path: '/admin' });
    sendSignInPage(res, 200, { kind: 'thanks', message: 'Signed out.' });
  });

  return { router, guard: adminGuard(check, fromThisPage) };
}

const WRONG_TOKEN = 'That is not the admin token. Check it and try again.';

/** What the form says after a refused sign-in link: fixed words, nothing from the request echoed. */
const LINK_REFUSED = new Map<string, SignInNotice>([
  [
    'wrong',
    {
      kind: 'sorry',
      message: 'That sign-in link’s token is not the admin token. Check it and try again.',
    },
  ],
  [
    'throttled',
    {
      kind: 'sorry',
      message:
        'That sign-in link was refused: too many wrong admin tokens from your address this minute. Try again in a minute.',
    },
  ],
]);

type TokenCheck = (req: Request, presented: string) => Promise<boolean>;

/** Every other /admin route: a Bearer token or a session (its form posts from this origin), else refused. */
function adminGuard(
  check: TokenCheck,
  fromThisPage: express.RequestHandler,
): express.RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const auth = await authenticate(req, check);
    // The routes name who acted when the body does not (routes/admin.ts).
    res.locals.adminAuth = auth;
    if (auth === 'session' && req.method !== 'GET' && req.method !== 'HEAD')
      fromThisPage(req, res, next);
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

/** Waits before looking again for a free check (ms, before jitter): the same for any token. */
const CHECK_RETRIES_MS = [50, 100, 200];

/**
 * Takes one of the address' checks (rate-limiter-flexible's consume, atomic
 * in Redis, shared by replicas), or refuses 429. A refused attempt gives its
 * point back (it checked nothing) and looks again a few times: the address
 * may only be over the limit for the moment its right tokens are compared
 * (the page's API client sending a few requests at once). The token is not
 * looked at before a check is held, so the wait tells nothing about it.
 */
async function holdACheck(
  failures: RateLimiterAbstract,
  address: string,
  metrics: Metrics,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    let refused: RateLimiterRes;
    try {
      await failures.consume(address);
      return;
    } catch (refusal) {
      // The counter unreadable (and no insurance answer): the token check still applies.
      if (!(refusal instanceof RateLimiterRes)) return;
      refused = refusal;
    }
    await failures.reward(address, 1).catch(() => undefined);
    const wait = CHECK_RETRIES_MS[attempt];
    if (wait === undefined) {
      metrics.increment('admin.auth_throttled');
      const retryAfter = Math.max(1, Math.ceil(refused.msBeforeNext / 1000));
      throw new HttpError(
        429,
        `Too many wrong admin tokens from your address: try again in ${retryAfter} s.`,
        { reason: 'throttled', retryAfter },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, wait + Math.random() * wait));
  }
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
