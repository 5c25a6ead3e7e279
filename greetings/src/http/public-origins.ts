import { HttpError } from '@friendly-calculator/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';

/** `scheme://host:port` of a URL (a default port left out, the host in lower case), or undefined. */
function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * GREETINGS_PUBLIC_URL as greetings reads it: the address (or addresses,
 * separated by commas) browsers reach greetings on, of which only the
 * origin counts. Unset: greetings' own port on this machine (compose.ts).
 */
export const publicUrlsEnv = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() !== '' ? v : undefined),
  z
    .string()
    .transform((s) => s.split(',').map((u) => u.trim()))
    .refine(
      (list) => list.every((u) => originOf(u) !== undefined),
      'expected an http:// or https:// URL, or several separated by commas',
    )
    .transform((list) => list.map((u) => originOf(u)!))
    .optional(),
);

/** Where a browser on this machine reaches greetings when GREETINGS_PUBLIC_URL is unset. */
export const localOrigins = (port: number): string[] =>
  ['localhost', '127.0.0.1', '[::1]'].map((host) => `http://${host}:${port}`);

/**
 * A form post signed in by cookie must come from the admin page: its
 * `Origin` (scheme, host and port) must be one of greetings' public origins
 * (GREETINGS_PUBLIC_URL), whatever the request's own Host header says, which
 * the sender chooses. SameSite=Strict already keeps the cookie off other
 * sites' requests; this is the second lock OWASP asks for.
 */
export function sameOrigin(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req: Request, _res: Response, next: NextFunction) => {
    const sent = req.get('origin');
    const origin = sent === undefined ? undefined : originOf(sent);
    // A URL's origin is normalised: the header must also be exactly that (no path, no user).
    if (origin === undefined || origin !== sent || !allowed.has(origin))
      throw new HttpError(
        403,
        'This form was not sent from the admin page (its Origin is missing or not greetings’ public address): nothing was changed.',
        { reason: 'bad_origin' },
      );
    next();
  };
}
