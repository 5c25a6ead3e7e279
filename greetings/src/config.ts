import { commonEnv, env, loadConfig } from '@friendly-calculator/common';
import { z } from 'zod';
import { POLICY_NAMES } from './bandit/policy';
import { DEFAULT_VARIANTS, isVariant, KNOWN_VARIANTS, type Variant } from './bandit/variants';

const variantList = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() !== '' ? v : undefined),
  z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim().toLowerCase()))
    .refine(
      (list) => list.every(isVariant) && new Set(list).size === list.length && list.length >= 2,
      `expected two or more distinct variants from ${KNOWN_VARIANTS.join(', ')}, separated by commas`,
    )
    .transform((list) => list as Variant[])
    .default([...DEFAULT_VARIANTS]),
);

export const greetingsEnv = {
  ...commonEnv(5002),
  REDIS_URL: env.optionalUrl(['redis:', 'rediss:']),
  EPSILON: env.number(0.1, 0, 1),
  POLICY: env.oneOf(POLICY_NAMES, 'epsilon-greedy'),
  GREETING_VARIANTS: variantList,
  AWESOME_APP_URL: env.httpUrl('http://localhost:5000'),
  IMPRESSION_TTL_SECONDS: env.number(3600, 1, 7 * 24 * 3600),
};

export type GreetingsConfig = ReturnType<typeof loadGreetingsConfig>;

/** The greetings service's environment (see the README's configuration table). */
export function loadGreetingsConfig(source: Readonly<Record<string, string | undefined>>) {
  return loadConfig(greetingsEnv, source);
}
