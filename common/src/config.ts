import { z } from 'zod';
import { redactedValue } from './redact';

/**
 * Every service is configured only through environment variables, read once
 * at start-up by `loadConfig`. A bad value stops the service with one line
 * that names every offending variable, instead of failing later at runtime.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

/** An empty variable (`FOO=` in a compose file) means "not set". */
const unsetIfEmpty = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const env = {
  port: (fallback: number) =>
    z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .regex(/^\d+$/, 'expected a whole number from 0 to 65535')
        .transform(Number)
        .refine((n) => n <= 65535, 'expected a whole number from 0 to 65535')
        .default(fallback),
    ),

  number: (fallback: number, min: number, max: number) =>
    z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .regex(/^[+-]?(\d+\.?\d*|\.\d+)$/, `expected a number from ${min} to ${max}`)
        .transform(Number)
        .refine((n) => n >= min && n <= max, `expected a number from ${min} to ${max}`)
        .default(fallback),
    ),

  /** A whole number: `3600`, not `3600.5` or `1e3` (Redis refuses fractional seconds, for one). */
  integer: (fallback: number, min: number, max: number) =>
    z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .regex(/^[+-]?\d+$/, `expected a whole number from ${min} to ${max}`)
        .transform(Number)
        .refine((n) => n >= min && n <= max, `expected a whole number from ${min} to ${max}`)
        .default(fallback),
    ),

  /** A secret (never echoed in errors): unset means the feature it guards is off. */
  optionalSecret: (minLength: number) =>
    z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .refine(
          (s) => s.length >= minLength && !/\s/.test(s),
          `expected at least ${minLength} characters without spaces`,
        )
        .optional(),
    ),

  httpUrl: (fallback: string) =>
    z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .refine(isHttpUrl, 'expected an http:// or https:// URL')
        .transform((u) => u.replace(/\/+$/, ''))
        .default(fallback),
    ),

  optionalUrl: (protocols: readonly string[]) =>
    z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .refine(
          (u) => protocols.includes(safeProtocol(u)),
          `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
        )
        .optional(),
    ),

  string: (fallback: string) => z.preprocess(unsetIfEmpty, z.string().default(fallback)),

  oneOf: <const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) =>
    z.preprocess(
      (v) => {
        const value = unsetIfEmpty(v);
        return typeof value === 'string' ? value.trim().toLowerCase() : value;
      },
      z.enum(values, { error: `expected one of ${values.join(', ')}` }).default(fallback),
    ),

  logLevel: () => env.oneOf(LOG_LEVELS, 'info'),
};

function safeProtocol(u: string): string {
  try {
    return new URL(u).protocol;
  } catch {
    return '';
  }
}

function isHttpUrl(u: string): boolean {
  const protocol = safeProtocol(u);
  return protocol === 'http:' || protocol === 'https:';
}

/** The variables every service understands (see docs/configuration.md). */
export const commonEnv = (defaultPort: number) => ({
  PORT: env.port(defaultPort),
  LOG_LEVEL: env.logLevel(),
  STATSD_HOST: env.string('localhost'),
  STATSD_PORT: env.port(8125),
});

/**
 * The scenario flags' variables, the flagd provider's own names
 * (docs/scenarios.md): unset, every flag is off. `startScenarios` checks how
 * they go together; the provider itself reads FLAGD_HOST and the ports.
 */
export const scenarioEnv = {
  FLAGD_RESOLVER: z.preprocess(
    unsetIfEmpty,
    z
      .enum(['in-process', 'rpc'], {
        error: 'expected in-process or rpc (or unset: every flag off)',
      })
      .optional(),
  ),
  FLAGD_OFFLINE_FLAG_SOURCE_PATH: z.preprocess(unsetIfEmpty, z.string().optional()),
  FLAGD_HOST: z.preprocess(unsetIfEmpty, z.string().optional()),
  FLAGD_PORT: z.preprocess(unsetIfEmpty, z.string().regex(/^\d+$/, 'expected a port').optional()),
  FLAGD_SYNC_PORT: z.preprocess(
    unsetIfEmpty,
    z.string().regex(/^\d+$/, 'expected a port').optional(),
  ),
};

/** Names of variables whose values are never printed, not even in an error. */
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|KEY/i;

/**
 * A bad value as the error shows it: never a secret, nor a URL's
 * credentials, whether the value parses as a URL or not (`redactedValue`).
 */
function shown(key: string, value: string | undefined): string {
  if (value === undefined) return 'undefined';
  if (SECRET_NAME.test(key)) return '(hidden)';
  return JSON.stringify(redactedValue(value));
}

/**
 * Validates `source` (normally `process.env`) against `shape` and returns a
 * frozen, typed configuration. Throws one `ConfigError` listing every bad
 * variable, e.g. `Invalid configuration: PORT: expected a whole number from 0 to 65535 (got "abc")`.
 */
export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  source: Env,
): Readonly<z.infer<z.ZodObject<S>>> {
  const picked: Record<string, string | undefined> = {};
  for (const key of Object.keys(shape)) picked[key] = source[key];
  const result = z.object(shape).safeParse(picked);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '?');
      return `${key}: ${issue.message} (got ${shown(key, source[key])})`;
    });
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return Object.freeze(result.data);
}
