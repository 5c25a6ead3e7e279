import { copy, render, workloads, type K8sObject } from './manifests';
import { awayEnv, foreignReadinessProbes, readinessProblems } from './readiness';

/**
 * Every readiness probe of the rendering means "this pod can answer" (issue
 * 21): each of our services is started from its build on its manifest's
 * environment with every dependency away, and its probe's path is asked as
 * the kubelet asks it, then asked again once SIGTERM has started the drain.
 * Redis, Graphite and Grafana are not ours to start: their probes ask only
 * themselves (redis-cli ping, graphite-web's /, Grafana's /api/health).
 */
const rendered = render();

describe('every readiness probe of the rendering', () => {
  it('when read, then none asks another host or Service: each asks only its own pod', () => {
    expect(foreignReadinessProbes(rendered)).toEqual([]);
    const objects = copy(rendered);
    const redis = workloads(objects).find((w) => w.metadata.name === 'redis')!;
    redis.spec.template.spec.containers[0]!.readinessProbe = {
      exec: { command: ['redis-cli', '-h', 'graphite', 'ping'] },
    };
    const page = workloads(objects).find((w) => w.metadata.name === 'awesome-app')!;
    page.spec.template.spec.containers[0]!.readinessProbe!.httpGet!.host = 'greetings';
    expect(foreignReadinessProbes(objects)).toEqual([
      'awesome-app awesome-app: asks host greetings',
      'redis redis: runs redis-cli -h graphite ping',
    ]);
  });

  it('when their environment is rewritten, then every address of another Service is away', async () => {
    const env = {
      GREETINGS_URL: 'http://greetings:5002',
      REDIS_URL: 'redis://redis:6379',
      REDIS_SENTINELS: 'redis-0.redis:26379,redis-1.redis:26379',
      STATSD_HOST: 'graphite',
      GRAFANA_URL: 'http://localhost:3000',
      LOG_LEVEL: 'info',
    };
    const { env: out, away } = await awayEnv(rendered, env);
    expect(away).toEqual(['GREETINGS_URL', 'REDIS_SENTINELS', 'REDIS_URL', 'STATSD_HOST']);
    expect(out.REDIS_SENTINELS).toMatch(/^127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/);
    expect(out.GREETINGS_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(out.REDIS_URL).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(out.STATSD_HOST).toBe('127.0.0.1');
    expect(out.GRAFANA_URL).toBe(env.GRAFANA_URL);
  });

  it.each([
    ['awesome-app', ['GREETINGS_URL', 'MATHS_URL', 'STATSD_HOST']],
    ['greetings', ['GRAPHITE_URL', 'REDIS_SENTINELS', 'STATSD_HOST']],
    ['maths', ['STATSD_HOST']],
  ] as const)(
    'when %s runs with %j away, then its readiness probe succeeds, and fails once it drains',
    async (service, expectedAway) => {
      const { problems, away } = await readinessProblems(rendered, service);
      expect(away).toEqual(expectedAway);
      expect(problems).toEqual([]);
    },
  );
});

describe('the readiness check fails on a probe that does not mean "ready"', () => {
  const withReadinessPath = (path: string): K8sObject[] => {
    const objects = copy(rendered);
    const maths = workloads(objects).find((w) => w.metadata.name === 'maths')!;
    maths.spec.template.spec.containers[0]!.readinessProbe!.httpGet!.path = path;
    return objects;
  };

  it.each([
    ['/healthz', 'alive, but still 200 while draining'],
    ['/health/dependencies', 'a report, always 200'],
  ])('when maths is probed for readiness on %s (%s), then it is reported', async (path) => {
    const { problems } = await readinessProblems(withReadinessPath(path), 'maths');
    expect(problems).toEqual([`maths: GET ${path} answered 200 while draining (still ready)`]);
  });
});
