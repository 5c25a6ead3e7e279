import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  copy,
  find,
  render,
  workload,
  type Container,
  type K8sObject,
  type Workload,
} from './manifests';
import { networkProblems } from './network';
import { CHECKS, graphiteFilesWith, type Check } from './policy';

const rendered = render();

const container = (objects: K8sObject[], name: string): Container =>
  workload(objects, name).spec.template.spec.containers[0]!;
const spec = (o: K8sObject) => o.spec as Record<string, unknown>;

describe('rendering', () => {
  it('when kubectl is missing, then rendering fails and says so (it never skips)', () => {
    expect(() => render(undefined, '/nonexistent/kubectl')).toThrow(
      /kubectl not found \("\/nonexistent\/kubectl"\).*Install kubectl/,
    );
  });

  it("when the kustomization is broken, then rendering fails with kubectl's message", () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-'));
    try {
      writeFileSync(join(dir, 'kustomization.yaml'), 'resources: [missing.yaml]\n');
      expect(() => render(dir)).toThrow(/kustomize .* failed \(exit 1\):[\s\S]*missing\.yaml/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when rendered, then everything lands in the namespace of its own, with the whole system in it', () => {
    const namespaced = rendered.filter((o) => o.kind !== 'Namespace');
    expect(new Set(namespaced.map((o) => o.metadata.namespace))).toEqual(
      new Set(['friendly-calculator']),
    );
    expect(
      rendered
        .filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind))
        .map((o) => `${o.kind}/${o.metadata.name}`)
        .sort(),
    ).toEqual([
      'Deployment/awesome-app',
      'Deployment/grafana',
      'Deployment/graphite',
      'Deployment/greetings',
      'Deployment/maths',
      'StatefulSet/redis',
    ]);
  });
});

describe('the platform rules hold for the rendering', () => {
  it.each(Object.entries(CHECKS))(
    'when checked for %s, then there is no problem',
    (_name, check) => {
      expect(check(rendered)).toEqual([]);
    },
  );

  it('when the network policies are checked, then exactly the paths the system uses are open', () => {
    expect(networkProblems(rendered)).toEqual([]);
  });
});

/**
 * Each mistake, made on a copy of the real rendering: the check meant to
 * catch it must report it (and the message says what is wrong).
 */
const mistakes: [string, Check, (objects: K8sObject[]) => void, RegExp][] = [
  [
    'no readiness probe',
    CHECKS.probes,
    (o) => void delete container(o, 'maths').readinessProbe,
    /Deployment\/maths maths: no readinessProbe/,
  ],
  [
    'liveness on the wrong path',
    CHECKS.probes,
    (o) => {
      container(o, 'greetings').livenessProbe!.httpGet!.path = '/health';
    },
    /livenessProbe on \/health, expected \/healthz/,
  ],
  [
    'a probe on a port the container does not declare',
    CHECKS.probes,
    (o) => {
      container(o, 'awesome-app').readinessProbe!.httpGet!.port = 'web';
    },
    /readinessProbe on port web, which the container does not declare/,
  ],
  [
    'no memory limit',
    CHECKS.resources,
    (o) => void delete container(o, 'greetings').resources!.limits!.memory,
    /Deployment\/greetings greetings: no memory limits/,
  ],
  [
    'no CPU request on a third-party container',
    CHECKS.resources,
    (o) => void delete container(o, 'redis').resources!.requests!.cpu,
    /StatefulSet\/redis redis: no cpu requests/,
  ],
  [
    'running as root',
    CHECKS.securityContext,
    (o) => {
      workload(o, 'maths').spec.template.spec.securityContext!.runAsNonRoot = false;
    },
    /maths: runAsNonRoot is not true/,
  ],
  [
    'no numeric user',
    CHECKS.securityContext,
    (o) => void delete workload(o, 'maths').spec.template.spec.securityContext!.runAsUser,
    /runAsUser is not 1000/,
  ],
  [
    'a writable root file system',
    CHECKS.securityContext,
    (o) => {
      container(o, 'awesome-app').securityContext!.readOnlyRootFilesystem = false;
    },
    /readOnlyRootFilesystem is not true/,
  ],
  [
    'privilege escalation allowed',
    CHECKS.securityContext,
    (o) => void delete container(o, 'greetings').securityContext!.allowPrivilegeEscalation,
    /allowPrivilegeEscalation is not false/,
  ],
  [
    'capabilities kept',
    CHECKS.securityContext,
    (o) => {
      container(o, 'greetings').securityContext!.capabilities = { drop: ['NET_RAW'] };
    },
    /capabilities: ALL not dropped/,
  ],
  [
    'no seccomp profile',
    CHECKS.securityContext,
    (o) => void delete workload(o, 'maths').spec.template.spec.securityContext!.seccompProfile,
    /seccompProfile is not RuntimeDefault/,
  ],
  [
    'the default ServiceAccount',
    CHECKS.serviceAccounts,
    (o) => void delete workload(o, 'maths').spec.template.spec.serviceAccountName,
    /Deployment\/maths: serviceAccountName is unset \(default\), not its own/,
  ],
  [
    'a ServiceAccount that is not rendered',
    CHECKS.serviceAccounts,
    (o) => {
      o.splice(
        o.findIndex((x) => x.kind === 'ServiceAccount' && x.metadata.name === 'redis'),
        1,
      );
    },
    /ServiceAccount redis is not in the rendering/,
  ],
  [
    'an API token mounted',
    CHECKS.serviceAccounts,
    (o) => void delete workload(o, 'grafana').spec.template.spec.automountServiceAccountToken,
    /Deployment\/grafana: automountServiceAccountToken is not false/,
  ],
  [
    'Service links left on',
    CHECKS.serviceLinks,
    (o) => void delete workload(o, 'graphite').spec.template.spec.enableServiceLinks,
    /Deployment\/graphite: enableServiceLinks is not false/,
  ],
  [
    'no preStop pause',
    CHECKS.termination,
    (o) => void delete container(o, 'greetings').lifecycle,
    /greetings: no preStop pause/,
  ],
  [
    'a grace period shorter than pause + drain',
    CHECKS.termination,
    (o) => {
      workload(o, 'awesome-app').spec.template.spec.terminationGracePeriodSeconds = 15;
    },
    /terminationGracePeriodSeconds 15 is not longer than preStop 5 s \+ drain 10 s/,
  ],
  [
    'greetings at 1 replica',
    CHECKS.availability,
    (o) => {
      workload(o, 'greetings').spec.replicas = 1;
    },
    /Deployment\/greetings: 1 replicas, expected 3/,
  ],
  [
    'no PodDisruptionBudget',
    CHECKS.availability,
    (o) => {
      o.splice(
        o.findIndex((x) => x.kind === 'PodDisruptionBudget' && x.metadata.name === 'maths'),
        1,
      );
    },
    /Deployment\/maths: 0 PodDisruptionBudgets select its pods/,
  ],
  [
    'a PodDisruptionBudget that never allows a disruption',
    CHECKS.availability,
    (o) => {
      spec(find(o, 'PodDisruptionBudget', 'greetings')).maxUnavailable = 0;
    },
    /allows no disruption at all/,
  ],
  [
    'no HorizontalPodAutoscaler',
    CHECKS.availability,
    (o) => {
      o.splice(
        o.findIndex(
          (x) => x.kind === 'HorizontalPodAutoscaler' && x.metadata.name === 'awesome-app',
        ),
        1,
      );
    },
    /Deployment\/awesome-app: 0 HorizontalPodAutoscalers target it/,
  ],
  [
    'an autoscaler below the replica count',
    CHECKS.availability,
    (o) => {
      spec(find(o, 'HorizontalPodAutoscaler', 'greetings')).minReplicas = 1;
    },
    /minReplicas 1 differs from the Deployment's 3/,
  ],
  [
    'Redis as a Deployment',
    CHECKS.redis,
    (o) => {
      workload(o, 'redis').kind = 'Deployment';
    },
    /Redis should be a StatefulSet/,
  ],
  [
    'Redis on throwaway storage',
    CHECKS.redis,
    (o) => void delete workload(o, 'redis').spec.volumeClaimTemplates,
    /\/data is not on a PersistentVolumeClaim/,
  ],
  [
    'Redis without the append-only file',
    CHECKS.redis,
    (o) => {
      const a = container(o, 'redis').args!;
      a[a.indexOf('--appendonly') + 1] = 'no';
    },
    /appendonly is not yes/,
  ],
  [
    'Redis evicting any key',
    CHECKS.redis,
    (o) => {
      const a = container(o, 'redis').args!;
      a[a.indexOf('--maxmemory-policy') + 1] = 'allkeys-lru';
    },
    /maxmemory-policy is allkeys-lru, expected volatile-lru/,
  ],
  [
    'Redis maxmemory at its memory limit',
    CHECKS.redis,
    (o) => {
      const a = container(o, 'redis').args!;
      a[a.indexOf('--maxmemory') + 1] = '384mb';
    },
    /leaves too little room above maxmemory 384mb/,
  ],
  // Redis with Sentinel (issue 27): each of these is the old single-pod Redis.
  [
    'Redis as one pod',
    CHECKS.redisSentinel,
    (o) => {
      workload(o, 'redis').spec.replicas = 1;
    },
    /StatefulSet\/redis: 1 replicas, expected 3/,
  ],
  [
    'no PodDisruptionBudget for Redis',
    CHECKS.redisSentinel,
    (o) => {
      o.splice(
        o.findIndex((x) => x.kind === 'PodDisruptionBudget' && x.metadata.name === 'redis'),
        1,
      );
    },
    /StatefulSet\/redis: 0 PodDisruptionBudgets select its pods, expected 1/,
  ],
  [
    'a Redis PodDisruptionBudget selecting other pods',
    CHECKS.redisSentinel,
    (o) => {
      spec(find(o, 'PodDisruptionBudget', 'redis')).selector = {
        matchLabels: { 'app.kubernetes.io/name': 'redis-sentinel' },
      };
    },
    /StatefulSet\/redis: 0 PodDisruptionBudgets select its pods/,
  ],
  [
    'a Redis PodDisruptionBudget allowing two down at once',
    CHECKS.redisSentinel,
    (o) => {
      spec(find(o, 'PodDisruptionBudget', 'redis')).maxUnavailable = 2;
    },
    /PodDisruptionBudget\/redis: maxUnavailable is 2, expected 1/,
  ],
  [
    'no anti-affinity: every Redis pod may land on one node',
    CHECKS.redisSentinel,
    (o) => void delete workload(o, 'redis').spec.template.spec.affinity,
    /no pod anti-affinity on kubernetes.io\/hostname/,
  ],
  [
    'anti-affinity by zone label that selects nothing',
    CHECKS.redisSentinel,
    (o) => {
      const term = workload(o, 'redis').spec.template.spec.affinity!.podAntiAffinity!
        .preferredDuringSchedulingIgnoredDuringExecution![0]!.podAffinityTerm;
      term.labelSelector = { matchLabels: { app: 'redis' } };
    },
    /no pod anti-affinity on kubernetes.io\/hostname selecting its own pods/,
  ],
  [
    'Redis pods without claim templates',
    CHECKS.redisSentinel,
    (o) => void delete workload(o, 'redis').spec.volumeClaimTemplates,
    /no volumeClaimTemplates/,
  ],
  [
    'a primary that takes writes with no replica',
    CHECKS.redisSentinel,
    (o) => {
      const a = container(o, 'redis').args!;
      a.splice(a.indexOf('--min-replicas-to-write'), 2);
    },
    /min-replicas-to-write is not 1 or more/,
  ],
  [
    'no Sentinel beside Redis',
    CHECKS.redisSentinel,
    (o) => {
      const pod = workload(o, 'redis').spec.template.spec;
      pod.containers = pod.containers.filter((c) => c.name !== 'sentinel');
    },
    /no container listens on 26379/,
  ],
  [
    'greetings on one Redis URL (the old single-pod setup)',
    CHECKS.redisSentinel,
    (o) => {
      const env = container(o, 'greetings').env!;
      env.splice(
        env.findIndex((e) => e.name === 'REDIS_SENTINELS'),
        1,
        { name: 'REDIS_URL', value: 'redis://redis:6379' },
      );
    },
    /greetings: REDIS_SENTINELS is not set/,
  ],
  [
    'greetings naming a Sentinel pod the StatefulSet does not run',
    CHECKS.redisSentinel,
    (o) => {
      container(o, 'greetings').env!.find((e) => e.name === 'REDIS_SENTINELS')!.value =
        'redis-0.redis:26379,redis-1.redis:26379,redis-3.redis:26379';
    },
    /REDIS_SENTINELS redis-3.redis:26379: StatefulSet\/redis has no pod redis-3 \(3 replicas\)/,
  ],
  [
    'greetings naming a Service that is not rendered',
    CHECKS.redisSentinel,
    (o) => {
      container(o, 'greetings').env!.find((e) => e.name === 'REDIS_SENTINELS')!.value =
        'redis-0.redis-sentinel:26379,redis-1.redis:26379,redis-2.redis:26379';
    },
    /REDIS_SENTINELS redis-0.redis-sentinel:26379: no Service redis-sentinel in the rendering/,
  ],
  [
    'greetings asking Redis port 6379 for Sentinel',
    CHECKS.redisSentinel,
    (o) => {
      container(o, 'greetings').env!.find((e) => e.name === 'REDIS_SENTINELS')!.value =
        'redis-0.redis:6379,redis-1.redis:26379,redis-2.redis:26379';
    },
    /REDIS_SENTINELS redis-0.redis:6379 is not a Sentinel of StatefulSet\/redis/,
  ],
  [
    'the Service without the Sentinel port',
    CHECKS.redisSentinel,
    (o) => {
      const s = spec(find(o, 'Service', 'redis'));
      s.ports = (s.ports as { port: number }[]).filter((p) => p.port !== 26379);
    },
    /redis-0.redis:26379: Service redis has no port 26379/,
  ],
  [
    'a Redis Service that is not headless',
    CHECKS.redisSentinel,
    (o) => void delete spec(find(o, 'Service', 'redis')).clusterIP,
    /serviceName redis is not a headless Service/,
  ],
  [
    'greetings naming only one Sentinel',
    CHECKS.redisSentinel,
    (o) => {
      container(o, 'greetings').env!.find((e) => e.name === 'REDIS_SENTINELS')!.value =
        'redis-0.redis:26379';
    },
    /names 1 Sentinel pods, the StatefulSet runs 3/,
  ],
  [
    'Likes acknowledged without a replica',
    CHECKS.redisSentinel,
    (o) => {
      container(o, 'greetings').env!.find((e) => e.name === 'REDIS_MIN_REPLICAS_ACK')!.value = '0';
    },
    /REDIS_MIN_REPLICAS_ACK is 0, expected 1 to 2/,
  ],
  [
    'Graphite on throwaway storage',
    CHECKS.graphite,
    (o) => {
      workload(o, 'graphite').spec.template.spec.volumes![0] = { name: 'storage', emptyDir: {} };
    },
    /\/opt\/graphite\/storage is not on a PersistentVolumeClaim/,
  ],
  [
    'a Service selecting no pods',
    CHECKS.services,
    (o) => {
      spec(find(o, 'Service', 'maths')).selector = { 'app.kubernetes.io/name': 'math' };
    },
    /Service\/maths: its selector matches no pods/,
  ],
  [
    'a Service targeting a port the pods lack',
    CHECKS.services,
    (o) => {
      (spec(find(o, 'Service', 'graphite')).ports as { protocol?: string }[])[1]!.protocol = 'TCP';
    },
    /Service\/graphite: port statsd targets statsd\/TCP, which Deployment\/graphite does not have/,
  ],
  [
    'the Like route sent to the page',
    CHECKS.ingress,
    (o) => {
      (
        spec(find(o, 'Ingress', 'friendly-calculator')).rules as {
          http: { paths: { path: string }[] };
        }[]
      )[0]!.http.paths.shift();
    },
    /\/like_greeting goes to awesome-app, expected greetings/,
  ],
  [
    'a greetings route as a prefix that swallows pages',
    CHECKS.ingress,
    (o) => {
      const p = (
        spec(find(o, 'Ingress', 'friendly-calculator')).rules as {
          http: { paths: { path: string; pathType: string }[] };
        }[]
      )[0]!.http.paths.find((x) => x.path === '/stats')!;
      p.pathType = 'Prefix';
    },
    /\/stats\/1\/2 goes to greetings, expected awesome-app/,
  ],
  [
    'an Ingress host other than the public URL',
    CHECKS.ingress,
    (o) => {
      (spec(find(o, 'Ingress', 'friendly-calculator')).rules as { host: string }[])[0]!.host =
        'calculator.example.com';
    },
    /host calculator\.example\.com is not PUBLIC_URL's \(calculator\.localhost\)/,
  ],
  [
    'a Grafana file left out of its ConfigMap',
    CHECKS.grafanaFiles,
    (o) => {
      const cm = o.find((x) => x.metadata.name.startsWith('grafana-dashboards-')) as unknown as {
        data: Record<string, string>;
      };
      delete cm.data['friendly-calculator.json'];
    },
    /grafana\/dashboards\/friendly-calculator\.json: not in ConfigMap grafana-dashboards-/,
  ],
  [
    'a Grafana folder not mounted',
    CHECKS.grafanaFiles,
    (o) => {
      container(o, 'grafana').volumeMounts = container(o, 'grafana').volumeMounts!.filter(
        (m) => !m.mountPath.endsWith('datasources'),
      );
    },
    /grafana\/provisioning\/datasources\/graphite\.yml: no ConfigMap is mounted at \/etc\/grafana\/provisioning\/datasources/,
  ],
  [
    "StatsD's config not mounted",
    CHECKS.graphiteFiles,
    (o) => {
      container(o, 'graphite').volumeMounts = container(o, 'graphite').volumeMounts!.filter(
        (m) => m.mountPath !== '/opt/statsd/config',
      );
    },
    /graphite\/statsd-udp\.js: no ConfigMap is mounted at \/opt\/statsd\/config \(compose mounts it as \/opt\/statsd\/config\/udp\.js/,
  ],
  [
    "StatsD's config under another key",
    CHECKS.graphiteFiles,
    (o) => {
      const cm = o.find((x) => x.metadata.name.startsWith('statsd-config-')) as unknown as {
        data: Record<string, string>;
      };
      cm.data['statsd-udp.js'] = cm.data['udp.js']!;
      delete cm.data['udp.js'];
    },
    /graphite\/statsd-udp\.js: not in ConfigMap statsd-config-\w+ as udp\.js/,
  ],
  [
    'another StatsD config in the ConfigMap (without the percentiles)',
    CHECKS.graphiteFiles,
    (o) => {
      const cm = o.find((x) => x.metadata.name.startsWith('statsd-config-')) as unknown as {
        data: Record<string, string>;
      };
      cm.data['udp.js'] = cm.data['udp.js']!.replace(/,\s*"percentThreshold"[^\]]*\]/, '');
    },
    /graphite\/statsd-udp\.js: ConfigMap statsd-config-\w+ holds a different udp\.js/,
  ],
  [
    "StatsD's config not mounted by docker-compose.yml",
    graphiteFilesWith({
      services: { graphite: { volumes: ['graphite-data:/opt/graphite/storage'] } },
    }),
    () => {},
    /graphite\/statsd-udp\.js: docker-compose.yml does not mount it into the graphite service/,
  ],
  [
    'greetings does not mount the scenario flags',
    CHECKS.scenarioFlags,
    (o) => {
      container(o, 'greetings').volumeMounts = [];
    },
    /Deployment\/greetings: no ConfigMap is mounted at \/flags/,
  ],
  [
    'the scenario flags ConfigMap holds another file',
    CHECKS.scenarioFlags,
    (o) => {
      const cm = o.find((x) => x.metadata.name.startsWith('scenario-flags-')) as unknown as {
        data: Record<string, string>;
      };
      cm.data['scenarios.flagd.json'] = '{"flags": {}}';
    },
    /Deployment\/maths: ConfigMap scenario-flags-\w+ does not hold flags\/scenarios\.flagd\.json/,
  ],
  [
    'an image that is not ours',
    CHECKS.images,
    (o) => {
      container(o, 'maths').image = 'node:22';
    },
    /Deployment\/maths maths: image node:22/,
  ],
];

describe('each kind of mistake fails its check', () => {
  it.each(mistakes)('when %s, then the check reports it', (_name, check, mutate, message) => {
    const objects = copy(rendered);
    mutate(objects);
    const problems = check(objects);
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  const withNetwork = (mutate: (o: K8sObject[]) => void) => {
    const objects = copy(rendered);
    mutate(objects);
    return networkProblems(objects);
  };
  const policy = (o: K8sObject[], name: string) => spec(find(o, 'NetworkPolicy', name));

  it('when the default-deny policy is gone, then the check says so and finds the paths that opened', () => {
    const problems = withNetwork(
      (o) =>
        void o.splice(
          o.findIndex((x) => x.metadata.name === 'default-deny-all'),
          1,
        ),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'no default-deny NetworkPolicy (every pod, Ingress and Egress, no rules)',
        "grafana's ingress allows a path the system does not use: someone-else -> grafana:3000/TCP",
      ]),
    );
  });

  it('when Redis accepts everyone in the namespace, then the paths nobody uses are reported', () => {
    const problems = withNetwork((o) => {
      (policy(o, 'redis').ingress as { from?: unknown }[])[0]!.from = [{ podSelector: {} }];
    });
    // awesome-app's own egress still stops it: the check looks at each side on its own.
    expect(problems).toContain(
      "redis's ingress allows a path the system does not use: awesome-app -> redis:6379/TCP",
    );
    expect(problems).not.toContain(
      "redis's ingress allows a path the system does not use: someone-else -> redis:6379/TCP",
    );
  });

  it('when greetings may no longer reach Redis, then the blocked path is reported', () => {
    const problems = withNetwork((o) => {
      policy(o, 'greetings').egress = (policy(o, 'greetings').egress as unknown[]).slice(1);
    });
    expect(problems).toEqual([
      "blocked by greetings's egress, but the system needs it: greetings -> redis:6379/TCP",
      "blocked by greetings's egress, but the system needs it: greetings -> redis:26379/TCP",
    ]);
  });

  it('when greetings may reach Redis but not its Sentinels (the old single-Redis policy), then 26379 is reported', () => {
    const problems = withNetwork((o) => {
      (policy(o, 'greetings').egress as { ports: { port: number }[] }[])[0]!.ports = [
        { port: 6379 },
      ];
    });
    expect(problems).toEqual([
      "blocked by greetings's egress, but the system needs it: greetings -> redis:26379/TCP",
    ]);
  });

  it('when the Redis pods may not reach each other (ingress from greetings only, no egress), then replication and the Sentinels are reported', () => {
    const problems = withNetwork((o) => {
      const redis = policy(o, 'redis');
      redis.policyTypes = ['Ingress'];
      delete redis.egress;
      (redis.ingress as { from: unknown[] }[])[0]!.from = [
        { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'greetings' } } },
      ];
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        "blocked by redis's ingress, but the system needs it: redis -> redis:6379/TCP",
        "blocked by redis's ingress, but the system needs it: redis -> redis:26379/TCP",
      ]),
    );
  });

  it('when Redis is one pod without a Sentinel again, then the paths to 26379 and between Redis pods are reported', () => {
    const problems = withNetwork((o) => {
      const redis = workload(o, 'redis');
      redis.spec.replicas = 1;
      redis.spec.template.spec.containers = redis.spec.template.spec.containers.filter(
        (c) => c.name === 'redis',
      );
    });
    expect(problems).toEqual([
      'a required path goes to a port redis does not listen on: greetings -> redis:26379/TCP',
      'a required path between pods of redis, which runs one pod: redis -> redis:6379/TCP',
      'a required path goes to a port redis does not listen on: redis -> redis:26379/TCP',
    ]);
  });

  it('when DNS is not allowed, then every pod is reported', () => {
    const problems = withNetwork(
      (o) =>
        void o.splice(
          o.findIndex((x) => x.metadata.name === 'allow-dns'),
          1,
        ),
    );
    expect(problems).toContain(
      "blocked by greetings's egress, but the system needs it: greetings -> kube-dns:53/UDP",
    );
    // Six pods, UDP and TCP each.
    expect(problems).toHaveLength(12);
  });

  it('when the page may be reached from any namespace, then that is reported', () => {
    const problems = withNetwork((o) => {
      (policy(o, 'awesome-app').ingress as { from: unknown[] }[])[0]!.from = [
        { namespaceSelector: {} },
      ];
    });
    // Every other pod, here and elsewhere (six of them), and the page's other
    // replica, may now reach the page.
    expect(problems).toHaveLength(8);
    expect(problems).toEqual(
      expect.arrayContaining([
        "awesome-app's ingress allows a path the system does not use: someone-else -> awesome-app:5000/TCP",
        "awesome-app's ingress allows a path the system does not use: kube-dns -> awesome-app:5000/TCP",
        "awesome-app's ingress allows a path the system does not use: awesome-app -> awesome-app:5000/TCP",
      ]),
    );
  });
});

// The Workload type is used by the helpers above; keep the import honest.
export type { Workload };
