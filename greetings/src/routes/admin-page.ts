import { randomBytes } from 'node:crypto';
import type { Logger } from '@friendly-calculator/common';
import type { Request, Response } from 'express';
import type { Admin } from '../experiment/admin';
import { StoreUnavailable, type ExperimentStore } from '../experiment/store';
import type { Greeter } from '../greeter';
import { SIGN_IN_HEADERS } from '../http/sign-in';
import { ADMIN_PAGE_CSP, adminPage, type AdminPageData, type Notice } from '../views/admin-page';

/** Earlier phases and audit entries the page shows; older ones are a link away. */
export const PAGE_PHASES = 3;
export const PAGE_AUDIT = 10;
/** How long an outcome waits for the page that shows it (post/redirect/get). */
const NOTICE_SECONDS = 60;

/**
 * Sentences the page can show without the store (a redirect's `?outcome=`),
 * when the store cannot keep the notice itself.
 */
export const FIXED_OUTCOMES: Record<string, Notice> = {
  uncertain: {
    kind: 'sorry',
    message:
      'The greetings store did not answer in time: the action may or may not have happened. Look at the phase below before acting again.',
  },
  unavailable: {
    kind: 'sorry',
    message: 'The greetings store is unavailable: nothing was changed.',
  },
  lost: {
    kind: 'sorry',
    message: 'The outcome of your last action could not be kept: look at the phase below.',
  },
};

const whole = (value: unknown) =>
  typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : undefined;

export interface AdminPageDeps {
  admin: Admin;
  greeter: Greeter;
  store: ExperimentStore;
  styleHref: string;
  /** AWESOME_APP_URL: where the page's link back goes. */
  pageUrl: string;
  logger: Logger;
}

/** What the page shows: the current phase, a few earlier ones, the newest audit entries. */
async function pageData(
  { admin, greeter, styleHref, pageUrl }: AdminPageDeps,
  req: Request,
  signedIn: boolean,
): Promise<Omit<AdminPageData, 'notice'>> {
  const before = whole(req.query.before);
  const auditBefore = whole(req.query.audit_before);
  const current = await greeter.current();
  const page = { limit: PAGE_PHASES, before: before ?? current.phase };
  const { experiments: earlier, older } = await greeter.experiments(page);
  const auditPage = { limit: PAGE_AUDIT, before: auditBefore };
  const audit = signedIn ? await admin.audit(auditPage) : undefined;
  const lastAudit = audit?.[audit.length - 1];
  return {
    styleHref,
    pageUrl,
    actor: req.session?.actor ?? '',
    current,
    earlier,
    earlierNext: older === null ? null : `/admin?before=${older}`,
    audit,
    auditNext:
      lastAudit && lastAudit.id > 1 && audit.length === PAGE_AUDIT
        ? `/admin?audit_before=${lastAudit.id}`
        : null,
  };
}

/** Renders `/admin` and keeps the outcome of a form post for the page it redirects to. */
export function createAdminPage(deps: AdminPageDeps) {
  const { store, styleHref, pageUrl, logger } = deps;
  /** The notice named by `?notice=<id>` (kept by `redirect`) or `?outcome=<code>`. */
  async function noticeOf(req: Request): Promise<Notice | undefined> {
    const { notice, outcome } = req.query;
    if (typeof outcome === 'string') return FIXED_OUTCOMES[outcome];
    if (typeof notice !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(notice)) return undefined;
    const kept = await store.getNotice(notice);
    return kept
      ? (JSON.parse(kept) as Notice)
      : { kind: 'sorry', message: 'That outcome has expired (they are kept a minute).' };
  }

  async function render(
    req: Request,
    res: Response,
    status: number,
    options: {
      notice?: Notice | undefined;
      signedIn?: boolean;
    } = {},
  ): Promise<void> {
    let notice = options.notice;
    let page: Omit<AdminPageData, 'notice'>;
    try {
      notice ??= await noticeOf(req);
      page = await pageData(deps, req, options.signedIn ?? false);
    } catch (error) {
      if (!(error instanceof StoreUnavailable)) throw error;
      notice = {
        kind: 'sorry',
        message: `The greetings store is unavailable: ${error.message}. Nothing can be shown or changed right now.`,
      };
      page = {
        styleHref,
        pageUrl,
        actor: req.session?.actor ?? '',
        current: undefined,
        earlier: [],
        earlierNext: null,
        audit: undefined,
        auditNext: null,
      };
      status = 503;
    }
    const html = await adminPage({ ...page, notice });
    res
      .status(status)
      .set({
        'Content-Security-Policy': ADMIN_PAGE_CSP,
        ...SIGN_IN_HEADERS,
      })
      .type('html')
      .send(html);
  }

  /**
   * Post/redirect/get: a form post's outcome, whatever it is, is kept a
   * minute and the browser is sent back to `/admin` (303), which shows it; a
   * refresh then repeats nothing. When the store cannot keep it, a fixed
   * sentence goes in the address instead.
   */
  async function redirect(res: Response, notice: Notice, fallback: keyof typeof FIXED_OUTCOMES) {
    const id = randomBytes(16).toString('base64url');
    let location = `/admin?notice=${id}`;
    try {
      await store.putNotice(id, JSON.stringify(notice), NOTICE_SECONDS);
    } catch (error) {
      if (!(error instanceof StoreUnavailable)) throw error;
      logger.warn({ err: error.message }, 'admin: the outcome notice could not be kept');
      location = `/admin?outcome=${fallback}`;
    }
    res.set('Cache-Control', 'no-store').redirect(303, location);
  }

  return { render, redirect };
}

export type AdminPage = ReturnType<typeof createAdminPage>;
