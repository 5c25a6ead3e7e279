import { commonEnv, loadConfig } from '@friendly-calculator/common';

export type Config = ReturnType<typeof loadMathsConfig>;

/** The maths service's environment (see docs/configuration.md). */
export function loadMathsConfig(source: Readonly<Record<string, string | undefined>>) {
  return loadConfig(commonEnv(5001), source);
}
