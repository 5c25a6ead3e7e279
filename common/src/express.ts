import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { HttpError } from './http-error';
import { queryNames } from './query';
import { elapsedMs, type Metrics } from './metrics';

/**
 * Answers in the representation the client asked for: JSON on
 * `Accept: application/json`, plain text otherwise (curl's default).
 */
export function sendError(res: Response, status: number, message: string, details = {}): void {
  res.status(status).format({
    'text/plain': () => res.send(`${message}\n`),
    'application/json': () => res.json({ error: message, status, ...details }),
    default: () => res.type('text/plain').send(`${message}\n`),
  });
}

/**
 * `X-Content-Type-Options: nosniff` on every response: our text answers echo
 * what the visitor typed (`Hello <b>Bob</b>`, `Not found: GET /<svg ...>`), and
 * without it an old browser may sniff such text as HTML and run it. Mounted
 * first, so 404s, errors and health checks carry it too.
 */
export const noSniff: RequestHandler = (_req, res, next) => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  next();
};

export const notFoundHandler: RequestHandler = (req, res) => {
  sendError(res, 404, `Not found: ${req.method} ${req.path}`);
};

/** Errors that body parsers and friends mark as safe to show (`expose`). */
function isExposedClientError(err: unknown): err is { status: number; message: string } {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { status?: unknown; expose?: unknown };
  return typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.expose === true;
}

export const MALFORMED_PATH_MESSAGE =
  'Malformed percent-encoding in the path: every % must start a valid UTF-8 escape such as %20';

/**
 * Express' router refuses to decode a path parameter such as `%ZZ` or
 * `%ED%A0%80` (a lone surrogate) with a URIError marked 400 but not
 * `expose`: it is the client's mistake, not ours, so it must not become a
 * 500 with a stack trace in the log and a 5xx metric (one such request every
 * 10 s would keep the 5xx alert firing).
 */
export function isMalformedPath(err: unknown): boolean {
  return err instanceof URIError && (err as { status?: unknown }).status === 400;
}

/** The last middleware: logs everything, answers with a safe body. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    if (err instanceof HttpError) {
      if (err.status >= 500) logger.error({ err, path: req.path }, err.message);
      sendError(res, err.status, err.message, err.details);
      return;
    }
    if (isExposedClientError(err)) {
      sendError(res, err.status, err.message);
      return;
    }
    if (isMalformedPath(err)) {
      sendError(res, 400, MALFORMED_PATH_MESSAGE, { reason: 'malformed_path' });
      return;
    }
    logger.error({ err, method: req.method, path: req.path }, 'unhandled error');
    sendError(res, 500, 'Internal server error');
  };
}

/**
 * The Graphite-safe name of the route that answered a request, for per-route
 * metrics: `GET /:name/:x/:y` → `get_name_x_y`, `GET /` → `get_root`; `other`
 * when no route matched (404s, static files). Only `[a-z0-9_]`, so a name is
 * always one path segment in Graphite and StatsD. Routes are named by their
 * full pattern when registered on the app itself, as all of ours are; in a
 * router mounted under a prefix, Express may have reset `baseUrl` by the time
 * the response finishes, and the name is then the pattern within the router.
 */
export function routeName(req: Request): string {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof route !== 'string') return 'other';
  const pattern = `${req.method} ${req.baseUrl}${route}`;
  let name = routeNames.get(pattern);
  if (name === undefined) {
    const path = (req.baseUrl + route)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '');
    name = `${req.method.toLowerCase()}_${path || 'root'}`;
    remember(routeNames, pattern, name);
  }
  return name;
}

/**
 * Names worked out once per route, not per request. A service has a handful
 * of routes; the bound only matters for a router mounted under a path with
 * parameters, whose `baseUrl` holds the visitor's values.
 */
const MAX_REMEMBERED = 1000;
const routeNames = new Map<string, string>();
function remember<T>(map: Map<string, T>, key: string, value: T): void {
  if (map.size < MAX_REMEMBERED) map.set(key, value);
}

/**
 * The URL as request logs show it: the path, and the query's parameter names
 * without their values (`/add?x&y`, `/admin?token`). A value may be a secret
 * (a sign-in token) or a visitor's personal data, and logs are kept, shipped
 * and read by many: OWASP's logging guidance says to leave such values out.
 */
export function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const names = queryNames(url);
  return names ? `${url.slice(0, q)}?${names}` : url.slice(0, q);
}

/**
 * One log line per request and, when given metrics, per service and per route
 * (`http.route.<route name>.…`, see `routeName`) a request counter by status
 * class and a timer.
 */
export function requestLogger(logger: Logger, metrics?: Metrics): RequestHandler {
  // Metric names are built once per route and status class, not per request.
  const names = new Map<string, { service: string; route: string; latency: string }>();
  const namesFor = (req: Request, statusClass: string) => {
    const route = routeName(req);
    const key = `${route} ${statusClass}`;
    let found = names.get(key);
    if (!found) {
      found = {
        service: `http.status.${statusClass}`,
        route: `http.route.${route}.status.${statusClass}`,
        latency: `http.route.${route}.latency`,
      };
      remember(names, key, found);
    }
    return found;
  };
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = elapsedMs(start);
      const quiet = req.path === '/healthz' || req.path === '/readyz';
      if (metrics && !quiet) {
        const name = namesFor(req, `${Math.floor(res.statusCode / 100)}xx`);
        metrics.increment('http.requests');
        metrics.increment(name.service);
        metrics.timing('http.latency', ms);
        metrics.increment(name.route);
        metrics.timing(name.latency, ms);
      }
      logger[quiet ? 'debug' : 'info'](
        { method: req.method, url: loggableUrl(req.originalUrl), status: res.statusCode, ms },
        'request',
      );
    });
    next();
  };
}
