import { commonEnv, ConfigError, env, loadConfig, scenarioEnv } from '@friendly-calculator/common';
import { z } from 'zod';
import { POLICY_NAMES } from './bandit/policy';
import { trustProxyEnv } from './http/client-address';
import { publicUrlsEnv } from './http/public-origins';
import { CATALOG, DEFAULT_VARIANTS } from './experiment/variants';

const KNOWN = Object.keys(CATALOG);

const variantList = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() !== '' ? v : undefined),
  z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim().toLowerCase()))
    .refine(
      (list) =>
        list.every((v) => KNOWN.includes(v)) &&
        new Set(list).size === list.length &&
        list.length >= 2,
      `expected two or more distinct variants from ${KNOWN.join(', ')}, separated by commas`,
    )
    .default([...DEFAULT_VARIANTS]),
);

/** `host:port,host:port,...`: where the Sentinels listen (REDIS_SENTINELS). */
const sentinelList = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() !== '' ? v : undefined),
  z
    .string()
    .transform((s) => s.split(',').map((entry) => entry.trim()))
    .refine(
      (list) => list.every((entry) => /^[A-Za-z0-9.-]+:\d{1,5}$/.test(entry)),
      'expected host:port pairs separated by commas, e.g. sentinel-1:26379,sentinel-2:26379',
    )
    .transform((list) =>
      list.map((entry) => {
        const colon = entry.lastIndexOf(':');
        return { host: entry.slice(0, colon), port: Number(entry.slice(colon + 1)) };
      }),
    )
    .refine(
      (list) => list.every((s) => s.port >= 1 && s.port <= 65535),
      'expected ports from 1 to 65535',
    )
    .optional(),
);

export const greetingsEnv = {
  ...commonEnv(5002),
  ...scenarioEnv,
  REDIS_URL: env.optionalUrl(['redis:', 'rediss:']),
  /** Find the primary through these Sentinels instead of REDIS_URL (docs/scaling.md). */
  REDIS_SENTINELS: sentinelList,
  REDIS_MASTER_NAME: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined),
    z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'expected a Sentinel master name: letters, digits, . _ -')
      .default('mymaster'),
  ),
  /** Replicas that must have a Like before it is acknowledged (WAIT); unset: 1 with Sentinel, else 0. */
  REDIS_MIN_REPLICAS_ACK: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z
      .string()
      .regex(/^\d+$/, 'expected a whole number from 0 to 10')
      .transform(Number)
      .refine((n) => n <= 10, 'expected a whole number from 0 to 10')
      .optional(),
  ),
  EPSILON: env.number(0.1, 0, 1),
  POLICY: env.oneOf(POLICY_NAMES, 'epsilon-greedy'),
  GREETING_VARIANTS: variantList,
  AWESOME_APP_URL: env.httpUrl('http://localhost:5000'),
  IMPRESSION_TTL_SECONDS: env.integer(3600, 1, 7 * 24 * 3600),
  MIN_SHOWN_FOR_BEST: env.integer(100, 1, 1_000_000_000),
  ADMIN_TOKEN: env.optionalSecret(16),
  /** graphite-web, for phase actions as events on the dashboard (docs/scenarios.md); unset: none. */
  GRAPHITE_URL: env.optionalUrl(['http:', 'https:']),
  LIKES_PER_MINUTE_PER_CLIENT: env.integer(300, 1, 1_000_000),
  TRUST_PROXY: trustProxyEnv,
  /** Where browsers reach greetings: the admin forms' only Origin (docs/configuration.md); unset: this machine, PORT. */
  GREETINGS_PUBLIC_URL: publicUrlsEnv,
  /** Open live streams (`/experiments/current/events`) per process; more → 503. */
  LIVE_MAX_CONNECTIONS: env.integer(2000, 1, 1_000_000),
};

export type GreetingsConfig = ReturnType<typeof loadGreetingsConfig>;

/** The greetings service's environment (see docs/configuration.md). */
export function loadGreetingsConfig(source: Readonly<Record<string, string | undefined>>) {
  const config = loadConfig(greetingsEnv, source);
  if (config.REDIS_URL && config.REDIS_SENTINELS)
    throw new ConfigError(
      'Invalid configuration: REDIS_URL and REDIS_SENTINELS are both set: set one (REDIS_SENTINELS finds the primary through Sentinel)',
    );
  return Object.freeze({
    ...config,
    REDIS_MIN_REPLICAS_ACK: config.REDIS_MIN_REPLICAS_ACK ?? (config.REDIS_SENTINELS ? 1 : 0),
  });
}
