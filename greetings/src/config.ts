import { commonEnv, env, loadConfig, scenarioEnv } from '@friendly-calculator/common';
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

export const greetingsEnv = {
  ...commonEnv(5002),
  ...scenarioEnv,
  REDIS_URL: env.optionalUrl(['redis:', 'rediss:']),
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
  return loadConfig(greetingsEnv, source);
}
