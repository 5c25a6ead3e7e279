import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  currentTrace,
  healthRoutes,
  requestLogger,
  stylesheet,
  traceContext,
  type Logger,
  type Metrics,
  type Readiness,
} from '@friendly-calculator/common';
import { openApiHandler } from '@friendly-calculator/common/openapi';
import ejs from 'ejs';
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { GreetingsClient } from './clients/greetings';
import type { MathsClient } from './clients/maths';
import { awesomeAppDocument } from './http/openapi';
import type { Outcome } from './outcome';
import { htmlErrorHandler, htmlNotFound } from './routes/errors';
import { calculateHandler, homeHandler, pageHandler } from './routes/pages';
import { joinHandler, likeForwardHandler, presentHandler } from './routes/present';

export interface AppDeps {
  greetings: GreetingsClient;
  maths: MathsClient;
  logger: Logger;
  metrics: Metrics;
  /** Where the browser posts Likes (`GREETINGS_PUBLIC_URL`). */
  greetingsPublicUrl: string;
  /** `GRAFANA_URL`, `GRAPHITE_URL`: linked from the page when set; unset: no link (no dead ends). */
  grafanaUrl?: string | undefined;
  graphiteUrl?: string | undefined;
  /** `TRACES_URL`: where a trace can be seen, `{traceId}` standing for its id; unset: no link. */
  tracesUrl?: string | undefined;
  /** `/health/dependencies` waits this long for each upstream's `/healthz`. */
  dependencyTimeoutMs?: number;
  /** Draining state shared with `serve()` (`/readyz` answers 503 once it drains). */
  readiness?: Readiness;
  /** Presenter mode (/present, /join, /present/events, the Like through this address); absent: none of it. */
  present?: PresentDeps;
}

export interface PresentDeps {
  /** PUBLIC_URL, when set: then the page's Like posts here and is passed on to greetings. */
  publicUrl: string | undefined;
  /** Where the projector says to go when PUBLIC_URL is unset. */
  localUrl: string;
  /** `/present/events` (live/relay.ts). */
  live: RequestHandler;
  /** GREETINGS_URL, for the Likes passed on. */
  greetingsUrl: string;
  timeoutMs: number;
}

// Both sit next to `src/` and `dist/`, so the sources (tests) and the build find them alike.
const VIEWS = join(__dirname, '..', 'views');
const PUBLIC = join(__dirname, '..', 'public');

/**
 * How the views are compiled (once: `cache`). Measured per render of the
 * result page: 30 µs with EJS's defaults, 15 µs with these.
 * - Includes are written from the views root (`include('/partials/head')`),
 *   so EJS resolves them without an existsSync per include per render.
 * - No `with (locals)` block, which keeps V8 from optimising the template:
 *   the variables the views use are declared up front instead. A view that
 *   uses a new variable must add it here (the tests render every view).
 */
const TEMPLATE_OPTIONS: ejs.Options = {
  root: VIEWS,
  cache: true,
  _with: false,
  destructuredLocals: [
    // page
    'greeting',
    'likeAction',
    'mathsNotice',
    'roundingHint',
    'rows',
    'experiment',
    'grafanaUrl',
    'graphiteUrl',
    'path',
    'x',
    'y',
    // home and its form
    'problems',
    'values',
    'name',
    // error
    'message',
    // partials
    'title',
    'styleHref',
    'like',
    // presenter mode
    'qrSvg',
    'joinUrl',
    'publicUrlSet',
    // footer
    'traceId',
    'traceUrl',
  ],
};

/**
 * The page's template as a function, compiled once when the app is made.
 * The page is the one view on the hot path: rendering it straight from its
 * compiled function skips what `res.render` adds around the same function
 * (Express merges app.locals, res.locals and the page into a new object and
 * looks the view up, EJS's renderFile copies that object again and checks its
 * cache, and the answer waits for a nextTick). Same options, same HTML.
 */
function compilePage(): ejs.TemplateFunction {
  const filename = join(VIEWS, 'page.ejs');
  return ejs.compile(readFileSync(filename, 'utf8'), {
    ...TEMPLATE_OPTIONS,
    filename,
    async: false,
    client: false,
  });
}

/** Presenter mode's routes (docs/presenting.md). */
function presentRoutes(app: Express, present: PresentDeps): void {
  const joinUrl = `${present.publicUrl ?? present.localUrl}/join`;
  app.get('/present', presentHandler(joinUrl, present.publicUrl !== undefined));
  app.get('/present/events', present.live);
  app.get('/join', joinHandler);
  app.post(
    '/like_greeting',
    express.raw({ type: ['application/x-www-form-urlencoded', 'application/json'], limit: '1kb' }),
    likeForwardHandler(present.greetingsUrl, present.timeoutMs),
  );
}

/** The page as a value: no listening, no environment, no clients built here. */
export function createApp(deps: AppDeps): Express {
  const { greetings, maths, logger, metrics } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Pages are never cached (each carries a fresh impression): hashing them for an ETag is wasted work.
  app.set('etag', false);
  app.set('views', VIEWS);
  app.set('view engine', 'ejs');
  // Express caches compiled templates only when NODE_ENV=production; always do.
  app.set('view cache', true);
  app.engine('ejs', (file, data, done) => {
    ejs.renderFile(file, data as ejs.Data, TEMPLATE_OPTIONS, done);
  });

  // First: every log line of the request, the response and both upstream calls carry its trace id.
  app.use(traceContext());
  // Before the routes, so every answer carries its headers, 404s, errors and the
  // stylesheet too; among them `X-Content-Type-Options: nosniff` (what
  // common's `noSniff` gives maths and greetings).
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          // Nothing runs and nothing loads unless listed: no script at all.
          defaultSrc: ["'none'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'"],
          // The Like button posts to greetings, another origin.
          formAction: ["'self'", new URL(deps.greetingsPublicUrl).origin],
          baseUri: ["'none'"],
          frameAncestors: ["'none'"],
          // No upgrade-insecure-requests: the demo runs on plain http://localhost.
        },
      },
      // The browser's own default, said out loud: other origins (greetings,
      // Grafana) learn which site a visitor came from, never the page (and name).
      referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    }),
  );
  app.use(requestLogger(logger, metrics));
  // Every page (error pages too) shows the trace id in its footer, for a visitor to quote.
  app.use((_req, res, next) => {
    const traceId = currentTrace()?.traceId;
    res.locals.traceId = traceId;
    res.locals.traceUrl =
      traceId && deps.tracesUrl ? deps.tracesUrl.replace('{traceId}', traceId) : undefined;
    next();
  });
  // The page first: no other route has three segments, and a page request
  // then skips the health router behind it.
  app.get('/:name/:x/:y', pageHandler({ greetings, maths, logger, template: compilePage() }));

  // Ready means this process can answer: never greetings' or maths' state, since
  // the page renders without them (with a notice); /health/dependencies shows that.
  const answers = (ping: () => Promise<Outcome<true>>) => async () => {
    const outcome = await ping();
    if (!outcome.ok) throw new Error(outcome.message);
  };
  app.use(
    healthRoutes({
      dependencies: {
        greetings: answers(() => greetings.ping()),
        maths: answers(() => maths.ping()),
      },
      readiness: deps.readiness,
      timeoutMs: deps.dependencyTimeoutMs ?? 1500,
    }),
  );

  // The project's one stylesheet (common's, shared with greetings' admin page).
  const style = stylesheet();
  Object.assign(app.locals, {
    styleHref: style.href,
    // With PUBLIC_URL (presenter mode) a phone reaches the Like through this same address.
    likeAction: deps.present?.publicUrl
      ? '/like_greeting'
      : `${deps.greetingsPublicUrl}/like_greeting`,
    grafanaUrl: deps.grafanaUrl,
    graphiteUrl: deps.graphiteUrl,
  });
  app.get('/style.css', style.handler);
  app.get('/openapi.json', openApiHandler(awesomeAppDocument()));
  app.get('/', homeHandler(greetings));
  app.get('/calculate', calculateHandler);
  if (deps.present) presentRoutes(app, deps.present);
  // After the routes: a page request never costs a file-system lookup.
  app.use(express.static(PUBLIC, { index: false, maxAge: '7d' }));

  app.use(htmlNotFound);
  app.use(htmlErrorHandler(logger));
  return app;
}
