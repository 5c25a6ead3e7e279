import { copy, render, workload, type EnvVar, type K8sObject } from './manifests';
import { configProblems, LOADERS, variablesRead } from './services';

const rendered = render();

const envOf = (objects: K8sObject[], service: string): EnvVar[] =>
  workload(objects, service).spec.template.spec.containers[0]!.env!;
const setVar = (objects: K8sObject[], service: string, name: string, value: string) => {
  const variable = envOf(objects, service).find((v) => v.name === name)!;
  variable.value = value;
  delete variable.valueFrom;
};
const problemsAfter = (mutate: (objects: K8sObject[]) => void) => {
  const objects = copy(rendered);
  mutate(objects);
  return configProblems(objects);
};

describe("each service's own configuration loader on the environment its manifest gives it", () => {
  it('when the rendered manifests are loaded, then every service starts with them', () => {
    expect(configProblems(rendered)).toEqual([]);
  });

  it('when the loaders are asked what they read, then the recorder sees their variables', () => {
    expect([...variablesRead(LOADERS.maths)].sort()).toEqual([
      'FLAGD_HOST',
      'FLAGD_OFFLINE_FLAG_SOURCE_PATH',
      'FLAGD_PORT',
      'FLAGD_RESOLVER',
      'FLAGD_SYNC_PORT',
      'LOG_LEVEL',
      'PORT',
      'STATSD_HOST',
      'STATSD_PORT',
    ]);
    expect(variablesRead(LOADERS['awesome-app'])).toContain('GREETINGS_PUBLIC_URL');
    expect(variablesRead(LOADERS.greetings)).toContain('REDIS_URL');
  });

  it('when a variable has an invalid value, then the loader refuses it, as it would stop the pod', () => {
    expect(problemsAfter((o) => setVar(o, 'greetings', 'EPSILON', '2'))).toEqual([
      'Deployment/greetings greetings: Invalid configuration: EPSILON: expected a number from 0 to 1 (got "2")',
    ]);
    expect(problemsAfter((o) => setVar(o, 'awesome-app', 'MATHS_URL', 'maths:5001'))).toEqual([
      'Deployment/awesome-app awesome-app: Invalid configuration: MATHS_URL: expected an http:// or https:// URL (got "maths:5001")',
    ]);
  });

  it('when a variable name is misspelt, then it is reported (the pod would silently ignore it)', () => {
    const problems = problemsAfter((o) => {
      envOf(o, 'greetings').find((v) => v.name === 'REDIS_SENTINELS')!.name = 'REDIS_SENTINEL';
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^Deployment\/greetings greetings: REDIS_SENTINEL is not a variable greetings reads \(it reads .*REDIS_SENTINELS/,
      ),
    ]);
  });

  it('when the Sentinel list is not host:port pairs, or sits beside REDIS_URL, then greetings refuses it', () => {
    expect(
      problemsAfter((o) =>
        setVar(o, 'greetings', 'REDIS_SENTINELS', 'redis-0.redis,redis-1.redis:26379'),
      ),
    ).toEqual([
      expect.stringMatching(
        /^Deployment\/greetings greetings: Invalid configuration: REDIS_SENTINELS: expected host:port pairs/,
      ),
    ]);
    expect(
      problemsAfter((o) =>
        envOf(o, 'greetings').push({ name: 'REDIS_URL', value: 'redis://redis:6379' }),
      ),
    ).toEqual([expect.stringMatching(/REDIS_URL and REDIS_SENTINELS are both set/)]);
  });

  it('when the public URL comes from a ConfigMap that lacks the key, then it is reported', () => {
    const problems = problemsAfter((o) => {
      const cm = o.find((x) => x.metadata.name.startsWith('public-url-')) as unknown as {
        data: Record<string, string>;
      };
      delete cm.data.PUBLIC_URL;
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^Deployment\/awesome-app awesome-app: GREETINGS_PUBLIC_URL: ConfigMap public-url-\w+ has no key PUBLIC_URL$/,
      ),
      expect.stringMatching(
        /^Deployment\/awesome-app awesome-app: PUBLIC_URL: ConfigMap public-url-\w+ has no key PUBLIC_URL$/,
      ),
      expect.stringMatching(
        /^Deployment\/greetings greetings: AWESOME_APP_URL: ConfigMap public-url-\w+ has no key PUBLIC_URL$/,
      ),
      expect.stringMatching(
        /^Deployment\/greetings greetings: GREETINGS_PUBLIC_URL: ConfigMap public-url-\w+ has no key PUBLIC_URL$/,
      ),
    ]);
  });

  it('when the public URL is not a URL, then both loaders that read it refuse it', () => {
    const problems = problemsAfter((o) => {
      const cm = o.find((x) => x.metadata.name.startsWith('public-url-')) as unknown as {
        data: Record<string, string>;
      };
      cm.data.PUBLIC_URL = 'calculator.localhost';
    });
    expect(problems).toEqual([
      expect.stringContaining(
        'awesome-app: Invalid configuration: GREETINGS_PUBLIC_URL: expected an http:// or https:// URL',
      ),
      expect.stringContaining(
        'greetings: Invalid configuration: AWESOME_APP_URL: expected an http:// or https:// URL',
      ),
    ]);
  });

  it('when the admin token Secret is absent, then greetings starts with admin off; a token too short is refused', () => {
    const admin = envOf(rendered, 'greetings').find((v) => v.name === 'ADMIN_TOKEN');
    expect(admin?.valueFrom?.secretKeyRef).toEqual({
      name: 'greetings-admin',
      key: 'token',
      optional: true,
    });
    expect(problemsAfter((o) => setVar(o, 'greetings', 'ADMIN_TOKEN', 'short'))).toEqual([
      expect.stringMatching(
        /^Deployment\/greetings greetings: Invalid configuration: ADMIN_TOKEN: /,
      ),
    ]);
  });

  it('when a Secret the user creates is not optional, then it is reported (the pod would wait for it)', () => {
    const problems = problemsAfter((o) => {
      const variable = envOf(o, 'greetings').find((v) => v.name === 'REDIS_SENTINELS')!;
      delete variable.value;
      variable.valueFrom = { secretKeyRef: { name: 'redis-sentinels', key: 'list' } };
    });
    expect(problems).toEqual([
      'Deployment/greetings greetings: REDIS_SENTINELS: Secret redis-sentinels is not optional; the pod would not start before someone creates it',
    ]);
  });

  it('when the service listens on another port than the container declares, then it is reported', () => {
    expect(problemsAfter((o) => setVar(o, 'maths', 'PORT', '8080'))).toEqual([
      'Deployment/maths maths: the service listens on 8080, which is not a container port',
      'Deployment/maths maths: readinessProbe goes to port 5001, the service listens on 8080',
      'Deployment/maths maths: livenessProbe goes to port 5001, the service listens on 8080',
    ]);
  });
});
