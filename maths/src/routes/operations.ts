import type { Metrics } from '@friendly-calculator/common';
import { elapsedMs, HttpError, queryParam } from '@friendly-calculator/common';
import { inSpan } from '@friendly-calculator/common/tracing';
import type { Request, Response } from 'express';
import {
  calculate,
  InvalidOperand,
  type Operation,
  isOperation,
  OPERATION_NAMES,
  parseOperand,
  UndefinedResult,
} from '../arithmetic';

/**
 * One operation, in a span of its own (`maths.add`, ...) under the request's
 * when tracing is on; a division by zero marks its span as an error.
 */
function traced(op: Operation, x: number, y: number): number {
  return inSpan(`maths.${op}`, { 'maths.operation': op }, () => calculate(op, x, y));
}

/** Each operation's metric names, built once: a page's call records four operations. */
const METRIC_NAMES = Object.fromEntries(
  OPERATION_NAMES.map((op) => [
    op,
    { requests: `requests.${op}`, rejected: `rejected.${op}`, latency: `latency.${op}` },
  ]),
) as Record<Operation, { requests: string; rejected: string; latency: string }>;

/** One call of a known operation, as StatsD sees it: counted, maybe rejected, timed. */
function recordCall(metrics: Metrics, op: Operation, rejected: boolean, start: bigint): void {
  const names = METRIC_NAMES[op];
  metrics.increment(names.requests);
  if (rejected) metrics.increment(names.rejected);
  metrics.timing(names.latency, elapsedMs(start));
}

/** `GET /{op}?x=&y=`: validate → calculate → answer as text (default) or JSON. */
export function operationHandler(metrics: Metrics) {
  return (req: Request<{ op: string }>, res: Response): void => {
    const start = process.hrtime.bigint();
    const { op } = req.params;
    if (!isOperation(op)) {
      throw new HttpError(404, `Unknown operation '${op}': try ${OPERATION_NAMES.join(', ')}`, {
        operations: OPERATION_NAMES,
      });
    }
    let rejected = false;
    try {
      const x = parseOperand('x', queryParam(req.query, 'x'));
      const y = parseOperand('y', queryParam(req.query, 'y'));
      const result = traced(op, x, y);
      res.format({
        'text/plain': () => res.send(`${result}\n`),
        'application/json': () => res.json({ operation: op, x, y, result }),
        default: () => res.type('text/plain').send(`${result}\n`),
      });
    } catch (error) {
      rejected = true;
      if (error instanceof InvalidOperand) {
        throw new HttpError(400, error.message, { parameter: error.parameter });
      }
      if (error instanceof UndefinedResult) throw new HttpError(422, error.message);
      throw error;
    } finally {
      recordCall(metrics, op, rejected, start);
    }
  };
}

/**
 * `GET /calculate?x=&y=&ops=add,divide`: several operations on the same two
 * numbers in one round trip (the page needs four). Each operation is counted
 * and timed as if it had been called alone; an operation that has no answer
 * (division by zero) gets its own error while the others still answer.
 */
export function batchHandler(metrics: Metrics) {
  return (req: Request, res: Response): void => {
    // Repeated (`ops=add&ops=divide`) is refused like any repeated parameter.
    const rawOps = queryParam(req.query, 'ops');
    const names = rawOps ? rawOps.split(',') : OPERATION_NAMES;
    const unknown = names.filter((name) => !isOperation(name));
    if (
      unknown.length > 0 ||
      new Set(names).size !== names.length ||
      names.length > OPERATION_NAMES.length
    ) {
      throw new HttpError(
        400,
        `'ops' must list distinct operations from ${OPERATION_NAMES.join(', ')} (got ${JSON.stringify(rawOps)})`,
        { parameter: 'ops' },
      );
    }
    const ops = names as Operation[];
    const start = process.hrtime.bigint();
    let x: number;
    let y: number;
    try {
      x = parseOperand('x', queryParam(req.query, 'x'));
      y = parseOperand('y', queryParam(req.query, 'y'));
    } catch (error) {
      // Refused as a whole: each operation is still counted, rejected and timed.
      for (const op of ops) recordCall(metrics, op, true, start);
      if (error instanceof InvalidOperand) {
        throw new HttpError(400, error.message, { parameter: error.parameter });
      }
      throw error;
    }
    const results: Record<string, { result: number } | { error: string; status: number }> = {};
    for (const op of ops) {
      const opStart = process.hrtime.bigint();
      try {
        results[op] = { result: traced(op, x, y) };
      } catch (error) {
        if (!(error instanceof UndefinedResult)) throw error;
        results[op] = { error: error.message, status: 422 };
      }
      recordCall(metrics, op, 'error' in results[op], opStart);
    }
    const text = () =>
      ops
        .map((op) => {
          const r = results[op]!;
          return `${op} ${'result' in r ? r.result : `error: ${r.error}`}\n`;
        })
        .join('');
    res.format({
      'text/plain': () => res.send(text()),
      'application/json': () => res.json({ x, y, results }),
      default: () => res.type('text/plain').send(text()),
    });
  };
}

/** `GET /`: what this service offers. */
export function indexHandler(_req: Request, res: Response): void {
  const usage = OPERATION_NAMES.map((op) => `GET /${op}?x=NUMBER&y=NUMBER\n`).join('');
  res.format({
    'text/plain': () => res.send(usage),
    'application/json': () => res.json({ service: 'maths', operations: OPERATION_NAMES }),
    default: () => res.type('text/plain').send(usage),
  });
}
