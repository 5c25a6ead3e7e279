import express, { type Router } from 'express';
import { withTimeout } from './timeout';

/**
 * Health, in three questions with three routes (the Kubernetes probe
 * documentation's meanings, and the SRE habit of keeping readiness local):
 *
 * - `GET /healthz`, alive: the process answers HTTP. Liveness probes.
 * - `GET /readyz`, ready: this process can answer its own requests, degraded
 *   or not: configuration loaded, listening, not draining. It never asks
 *   another service, Redis or StatsD: a dependency the service can do without
 *   must not take every pod out of its Service at once (the page can show its
 *   notice, greetings its fallback greetings). 503 from the moment SIGTERM
 *   starts the drain. Readiness probes, compose's health checks.
 * - `GET /health/dependencies`, what is away: one entry per dependency with
 *   its state and how long the check took; always 200, since the answer is
 *   the report, not a verdict on this process. For people and dashboards.
 */

/** Whether the service still takes new work; `serve()` calls `drain()` when it starts stopping. */
export interface Readiness {
  readonly draining: boolean;
  drain(): void;
  /** Runs `listener` when the drain starts (e.g. to end long-lived streams at once). */
  onDrain?(listener: () => void): void;
}

export function createReadiness(): Readiness {
  let draining = false;
  const listeners: (() => void)[] = [];
  return {
    get draining() {
      return draining;
    },
    drain() {
      if (draining) return;
      draining = true;
      for (const listener of listeners) listener();
    },
    onDrain(listener) {
      listeners.push(listener);
    },
  };
}

/**
 * Resolves when the dependency answers; rejects (with a message worth
 * showing) when it does not. A check that resolves to `{ details }`, or
 * rejects with an error carrying `details`, has them shown in its entry.
 */
export type DependencyCheck = () => Promise<unknown>;

const detailsOf = (value: unknown): Record<string, unknown> | undefined => {
  const details = (value as { details?: unknown } | null | undefined)?.details;
  return typeof details === 'object' && details !== null
    ? (details as Record<string, unknown>)
    : undefined;
};

export interface DependencyState {
  name: string;
  state: 'up' | 'down';
  /** How long the check took, in milliseconds (at most the timeout). */
  checkMs: number;
  /** When the check started (ISO 8601): the report may be up to `cacheMs` old. */
  checkedAt: string;
  /** Why it is down. */
  error?: string;
  /** What the check says besides up or down (the scenario flags: the file in force). */
  details?: Record<string, unknown>;
}

export interface DependencyReport {
  /** `degraded` when any dependency is down: the service still answers, with less. */
  status: 'ok' | 'degraded';
  dependencies: DependencyState[];
}

export interface HealthOptions {
  /** What the service calls but can do without, by name (`redis`, `greetings`). */
  dependencies?: Readonly<Record<string, DependencyCheck>>;
  /** Draining state shared with `serve()`; without one, ready whenever listening. */
  readiness?: Readiness;
  /** Each dependency check's deadline. */
  timeoutMs?: number;
  /**
   * How long one round of checks is reused. However often the route is asked
   * (a dashboard per viewer, a script in a loop), each dependency is checked
   * at most once per `cacheMs` per process, so the route cannot be used to
   * hammer Redis or the other services.
   */
  cacheMs?: number;
}

async function check(
  name: string,
  run: DependencyCheck,
  timeoutMs: number,
): Promise<DependencyState> {
  const checkedAt = new Date().toISOString();
  const start = performance.now();
  try {
    const value = await withTimeout(
      run(),
      timeoutMs,
      `${name} did not answer within ${timeoutMs} ms`,
    );
    const details = detailsOf(value);
    return { name, state: 'up', checkMs: elapsed(start), checkedAt, ...(details && { details }) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const details = detailsOf(error);
    return {
      name,
      state: 'down',
      checkMs: elapsed(start),
      checkedAt,
      error: message,
      ...(details && { details }),
    };
  }
}

const elapsed = (start: number) => Math.round((performance.now() - start) * 10) / 10;

/**
 * Checks every dependency at once, each within `timeoutMs`. Callers that
 * arrive while a round is running, or within `cacheMs` of its end, share it.
 */
export function dependencyReporter(
  dependencies: Readonly<Record<string, DependencyCheck>>,
  { timeoutMs = 1000, cacheMs = 1000 } = {},
): () => Promise<DependencyReport> {
  let round: Promise<DependencyReport> | undefined;
  let running = false;
  let endedAt = -Infinity;
  return () => {
    if (round && (running || performance.now() - endedAt < cacheMs)) return round;
    running = true;
    // `check` never rejects, so neither does the round.
    round = Promise.all(
      Object.entries(dependencies).map(([name, run]) => check(name, run, timeoutMs)),
    ).then((states): DependencyReport => {
      running = false;
      endedAt = performance.now();
      const down = states.some((s) => s.state === 'down');
      return { status: down ? 'degraded' : 'ok', dependencies: states };
    });
    return round;
  };
}

/** `/healthz`, `/readyz` and `/health/dependencies`, as described at the top of this file. */
export function healthRoutes(options: HealthOptions = {}): Router {
  const { readiness } = options;
  const report = dependencyReporter(options.dependencies ?? {}, options);
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', (_req, res) => {
    if (readiness?.draining) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    res.json({ status: 'ready' });
  });
  router.get('/health/dependencies', async (_req, res) => {
    const body = await report();
    // Already at most `cacheMs` old here: no cache on the way may add to that.
    res.set('Cache-Control', 'no-store').json(body);
  });
  return router;
}
