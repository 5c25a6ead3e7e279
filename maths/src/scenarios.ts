import { HttpError, type Scenarios } from '@friendly-calculator/common';
import { markSpan } from '@friendly-calculator/common/tracing';
import type { NextFunction, Request, Response } from 'express';
import { setTimeout as sleep } from 'node:timers/promises';

/** The scenario flags maths acts on (flags/scenarios.flagd.json, docs/scenarios.md). */
export const MATHS_FLAGS = ['mathsSlow', 'mathsErrors'] as const;

/**
 * Before each maths call: `mathsSlow` waits its variant's milliseconds,
 * `mathsErrors` answers 500 to that share of calls. The request's span
 * carries the scenario's name and variant (attributes and an event), so a
 * trace shows where the delay or the error came from. With both off this is
 * two Map lookups and `next()`.
 */
export function scenarioGate(scenarios: Scenarios, random: () => number = Math.random) {
  const act = async (req: Request, next: NextFunction): Promise<void> => {
    const slow = scenarios.on('mathsSlow');
    if (slow) {
      markSpan('scenario mathsSlow', {
        'scenario.name': slow.flag,
        'scenario.variant': slow.variant,
        'scenario.delay_ms': slow.value,
      });
      await sleep(slow.value);
    }
    const errors = scenarios.on('mathsErrors');
    if (errors && random() < errors.value) {
      markSpan('scenario mathsErrors', {
        'scenario.name': errors.flag,
        'scenario.variant': errors.variant,
      });
      throw new HttpError(
        500,
        `This call failed on purpose: scenario mathsErrors ${errors.variant} is on (npm run scenario -- off mathsErrors)`,
        { scenario: errors.flag, variant: errors.variant, path: req.path },
      );
    }
    next();
  };
  return (req: Request, _res: Response, next: NextFunction): void | Promise<void> => {
    if (!scenarios.on('mathsSlow') && !scenarios.on('mathsErrors')) return next();
    return act(req, next);
  };
}
