import { commonEnv, env, loadConfig } from '@friendly-calculator/common';

/**
 * `TRACES_URL`: where the page's trace id links to, `{traceId}` standing for
 * the id, e.g. Jaeger's `http://localhost:16686/trace/{traceId}`. Unset: the
 * id is shown without a link.
 */
const tracesUrl = env
  .optionalUrl(['http:', 'https:'])
  .refine(
    (u) => u === undefined || u.split('{traceId}').length === 2,
    'expected an http:// or https:// URL with {traceId} in it once',
  );

export type Config = ReturnType<typeof loadAwesomeAppConfig>;

/** The page's environment (see docs/configuration.md). */
export function loadAwesomeAppConfig(source: Readonly<Record<string, string | undefined>>) {
  return loadConfig(
    {
      ...commonEnv(5000),
      // Server-to-server addresses (inside Docker: the compose service names).
      GREETINGS_URL: env.httpUrl('http://localhost:5002'),
      MATHS_URL: env.httpUrl('http://localhost:5001'),
      // What the *browser* can reach: the Like form posts here.
      GREETINGS_PUBLIC_URL: env.httpUrl('http://localhost:5002'),
      // Unset: the page has no link to them (under `npm start` nothing runs there);
      // docker-compose.yml and the Kubernetes manifests set both.
      GRAFANA_URL: env.optionalUrl(['http:', 'https:']),
      GRAPHITE_URL: env.optionalUrl(['http:', 'https:']),
      TRACES_URL: tracesUrl,
      UPSTREAM_TIMEOUT_MS: env.number(1000, 1, 60_000),
      // Presenter mode: the address phones in the room reach (docs/presenting.md); unset: localhost.
      PUBLIC_URL: env.optionalUrl(['http:', 'https:']),
      LIVE_MAX_CONNECTIONS: env.integer(2000, 1, 1_000_000),
    },
    source,
  );
}
