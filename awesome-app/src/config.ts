import { commonEnv, env, loadConfig } from '@friendly-calculator/common';

export type Config = ReturnType<typeof loadAwesomeAppConfig>;

/** The page's environment (see the README's configuration table). */
export function loadAwesomeAppConfig(source: Readonly<Record<string, string | undefined>>) {
  return loadConfig(
    {
      ...commonEnv(5000),
      // Server-to-server addresses (inside Docker: the compose service names).
      GREETINGS_URL: env.httpUrl('http://localhost:5002'),
      MATHS_URL: env.httpUrl('http://localhost:5001'),
      // What the *browser* can reach: the Like form posts here.
      GREETINGS_PUBLIC_URL: env.httpUrl('http://localhost:5002'),
      GRAFANA_URL: env.httpUrl('http://localhost:3000'),
      GRAPHITE_URL: env.httpUrl('http://localhost:8080'),
      UPSTREAM_TIMEOUT_MS: env.number(1000, 1, 60_000),
    },
    source,
  );
}
