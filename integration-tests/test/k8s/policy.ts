import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import {
  ROOT,
  id,
  isConfigMap,
  OUR_SERVICES,
  selects,
  workloads,
  type Container,
  type K8sObject,
  type PodSpec,
  type Probe,
  type Workload,
} from './manifests';
import { resolveEndpoint } from './sentinels';

/**
 * The platform rules of issue 12, each a function from the rendered objects
 * to the problems it finds (empty: the rule holds). The tests run each on the
 * real rendering and on mutated copies, one mistake at a time.
 */
export type Check = (objects: readonly K8sObject[]) => string[];

/** Our services drain for at most this long after SIGTERM (common/src/lifecycle.ts). */
export const DRAIN_SECONDS = 10;

/** The replica counts the issue asks for. */
export const REPLICAS: Record<string, number> = { 'awesome-app': 2, greetings: 3, maths: 2 };

const ours = (objects: readonly K8sObject[]): Workload[] => {
  const found = workloads(objects).filter((w) =>
    (OUR_SERVICES as readonly string[]).includes(w.metadata.name),
  );
  const missing = OUR_SERVICES.filter((s) => !found.some((w) => w.metadata.name === s));
  if (missing.length > 0) throw new Error(`no workload for ${missing.join(', ')}`);
  return found;
};

const containersOf = (w: Workload): Container[] => w.spec.template.spec.containers;

/** The container port a probe or Service names (by name or by number), if the container has it. */
export function containerPort(
  container: Container,
  port: number | string,
  protocol = 'TCP',
): number | undefined {
  const found = (container.ports ?? []).find(
    (p) =>
      (typeof port === 'number' ? p.containerPort === port : p.name === port) &&
      (p.protocol ?? 'TCP') === protocol,
  );
  return found?.containerPort;
}

/** Readiness on /readyz, liveness on /healthz, over HTTP, on a port the container declares. */
export const probes: Check = (objects) =>
  ours(objects).flatMap((w) =>
    containersOf(w).flatMap((c) => {
      const problems: string[] = [];
      const expect = (kind: 'readinessProbe' | 'livenessProbe', path: string) => {
        const probe: Probe | undefined = c[kind];
        if (!probe?.httpGet) {
          problems.push(`${id(w)} ${c.name}: no ${kind} over HTTP`);
          return;
        }
        if (probe.httpGet.path !== path) {
          problems.push(`${id(w)} ${c.name}: ${kind} on ${probe.httpGet.path}, expected ${path}`);
        }
        if (containerPort(c, probe.httpGet.port) === undefined) {
          problems.push(
            `${id(w)} ${c.name}: ${kind} on port ${probe.httpGet.port}, which the container does not declare`,
          );
        }
      };
      expect('readinessProbe', '/readyz');
      expect('livenessProbe', '/healthz');
      return problems;
    }),
  );

/** Every container of every workload (ours and third-party, init containers too) has CPU and memory requests and limits. */
export const resources: Check = (objects) =>
  workloads(objects).flatMap((w) =>
    [...(w.spec.template.spec.initContainers ?? []), ...containersOf(w)].flatMap((c) =>
      (['requests', 'limits'] as const).flatMap((kind) =>
        (['cpu', 'memory'] as const)
          .filter((r) => c.resources?.[kind]?.[r] === undefined)
          .map((r) => `${id(w)} ${c.name}: no ${r} ${kind}`),
      ),
    ),
  );

/** Non-root (the image's numeric `node` user), read-only root, no escalation, no capabilities, RuntimeDefault seccomp. */
export const securityContext: Check = (objects) =>
  ours(objects).flatMap((w) => {
    const pod = w.spec.template.spec.securityContext ?? {};
    return containersOf(w).flatMap((c) => {
      const sc = c.securityContext ?? {};
      const problems: string[] = [];
      const say = (m: string) => problems.push(`${id(w)} ${c.name}: ${m}`);
      if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) say('runAsNonRoot is not true');
      // The images say `USER node`: a name the kubelet cannot check against runAsNonRoot.
      if ((sc.runAsUser ?? pod.runAsUser) !== 1000)
        say("runAsUser is not 1000 (the image's node user)");
      if (sc.readOnlyRootFilesystem !== true) say('readOnlyRootFilesystem is not true');
      if (sc.allowPrivilegeEscalation !== false) say('allowPrivilegeEscalation is not false');
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) say('capabilities: ALL not dropped');
      if ((sc.capabilities?.add ?? []).length > 0) say('capabilities added');
      if ((sc.seccompProfile ?? pod.seccompProfile)?.type !== 'RuntimeDefault') {
        say('seccompProfile is not RuntimeDefault');
      }
      return problems;
    });
  });

/** Every workload has a ServiceAccount of its own, and no pod mounts an API token. */
export const serviceAccounts: Check = (objects) =>
  workloads(objects).flatMap((w) => {
    const spec = w.spec.template.spec;
    const problems: string[] = [];
    const name = spec.serviceAccountName;
    if (name !== w.metadata.name) {
      problems.push(`${id(w)}: serviceAccountName is ${name ?? 'unset (default)'}, not its own`);
    } else if (!objects.some((o) => o.kind === 'ServiceAccount' && o.metadata.name === name)) {
      problems.push(`${id(w)}: ServiceAccount ${name} is not in the rendering`);
    }
    if (spec.automountServiceAccountToken !== false) {
      problems.push(
        `${id(w)}: automountServiceAccountToken is not false (an API token is mounted)`,
      );
    }
    const shared = workloads(objects).filter(
      (other) => other !== w && other.spec.template.spec.serviceAccountName === name,
    );
    if (name && shared.length > 0) {
      problems.push(`${id(w)}: shares ServiceAccount ${name} with ${shared.map(id).join(', ')}`);
    }
    return problems;
  });

/**
 * No Service links: otherwise the kubelet adds `<SERVICE>_PORT=tcp://...`
 * variables for every Service in the namespace, which a configuration loader
 * (or graphite-statsd's start scripts) may read by accident, e.g. a Service
 * named `statsd` would set STATSD_PORT. The environment is the manifest's.
 */
export const serviceLinks: Check = (objects) =>
  workloads(objects)
    .filter((w) => w.spec.template.spec.enableServiceLinks !== false)
    .map(
      (w) => `${id(w)}: enableServiceLinks is not false (the kubelet adds a variable per Service)`,
    );

/** A preStop pause lets the endpoint leave the load balancers; the grace period covers it and the drain. */
export const termination: Check = (objects) =>
  ours(objects).flatMap((w) => {
    const spec: PodSpec = w.spec.template.spec;
    const grace = spec.terminationGracePeriodSeconds ?? 30;
    return containersOf(w).flatMap((c) => {
      const preStop = c.lifecycle?.preStop;
      if (!preStop?.sleep && !preStop?.exec) {
        return [
          `${id(w)} ${c.name}: no preStop pause: the endpoint may still get requests after SIGTERM`,
        ];
      }
      const pause = preStop.sleep?.seconds ?? 0;
      if (preStop.sleep && pause < 1) return [`${id(w)} ${c.name}: preStop sleeps ${pause} s`];
      return grace > pause + DRAIN_SECONDS
        ? []
        : [
            `${id(w)}: terminationGracePeriodSeconds ${grace} is not longer than preStop ${pause} s + drain ${DRAIN_SECONDS} s`,
          ];
    });
  });

/** The replica counts of the issue; each stateless service has a PodDisruptionBudget and an autoscaling/v2 HPA. */
export const availability: Check = (objects) =>
  ours(objects).flatMap((w) => {
    const problems: string[] = [];
    const name = w.metadata.name;
    const labels = w.spec.template.metadata.labels;
    const replicas = w.spec.replicas ?? 1;
    if (w.kind !== 'Deployment')
      problems.push(`${id(w)}: a stateless service should be a Deployment`);
    if (replicas !== REPLICAS[name])
      problems.push(`${id(w)}: ${replicas} replicas, expected ${REPLICAS[name]}`);
    const pdbs = objects.filter(
      (o) =>
        o.kind === 'PodDisruptionBudget' &&
        selects(
          (o.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels,
          labels,
        ),
    );
    if (pdbs.length !== 1)
      problems.push(`${id(w)}: ${pdbs.length} PodDisruptionBudgets select its pods, expected 1`);
    for (const pdb of pdbs) {
      const spec = pdb.spec as { minAvailable?: number | string; maxUnavailable?: number | string };
      if (
        spec.maxUnavailable === 0 ||
        spec.maxUnavailable === '0%' ||
        spec.minAvailable === replicas
      ) {
        problems.push(`${id(pdb)}: allows no disruption at all (a node could never be drained)`);
      }
    }
    const hpas = objects.filter((o) => {
      const ref = (o.spec as { scaleTargetRef?: { kind: string; name: string } } | undefined)
        ?.scaleTargetRef;
      return o.kind === 'HorizontalPodAutoscaler' && ref?.kind === w.kind && ref.name === name;
    });
    if (hpas.length !== 1)
      problems.push(`${id(w)}: ${hpas.length} HorizontalPodAutoscalers target it, expected 1`);
    for (const hpa of hpas) {
      const spec = hpa.spec as { minReplicas?: number; maxReplicas: number };
      if (hpa.apiVersion !== 'autoscaling/v2') problems.push(`${id(hpa)}: not autoscaling/v2`);
      if ((spec.minReplicas ?? 1) !== replicas) {
        problems.push(
          `${id(hpa)}: minReplicas ${spec.minReplicas} differs from the Deployment's ${replicas}`,
        );
      }
      if (spec.maxReplicas <= replicas)
        problems.push(`${id(hpa)}: maxReplicas leaves no room to scale`);
    }
    return problems;
  });

/** Redis: a StatefulSet whose data is on a claim, append-only file on, maxmemory with volatile-lru under its memory limit. */
export const redis: Check = (objects) => {
  const set = workloads(objects).find((w) => w.metadata.name === 'redis');
  if (!set) return ['no redis workload'];
  const problems: string[] = [];
  if (set.kind !== 'StatefulSet') problems.push(`${id(set)}: Redis should be a StatefulSet`);
  const claims = (set.spec.volumeClaimTemplates ?? []).map((t) => t.metadata.name);
  const container = containersOf(set)[0];
  const data = container?.volumeMounts?.find((m) => m.mountPath === '/data');
  if (!data || !claims.includes(data.name)) {
    problems.push(`${id(set)}: /data is not on a PersistentVolumeClaim (volumeClaimTemplates)`);
  }
  const args = container?.args ?? [];
  const arg = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (arg('appendonly') !== 'yes') problems.push(`${id(set)}: appendonly is not yes`);
  if (arg('maxmemory-policy') !== 'volatile-lru') {
    problems.push(
      `${id(set)}: maxmemory-policy is ${arg('maxmemory-policy') ?? 'unset'}, expected volatile-lru (only impressions, which carry a TTL, may be evicted)`,
    );
  }
  const maxmemory = bytes(arg('maxmemory'));
  const limit = bytes(String(container?.resources?.limits?.memory ?? ''));
  if (!maxmemory) problems.push(`${id(set)}: maxmemory is not set`);
  else if (!limit || limit < maxmemory * 1.25) {
    problems.push(
      `${id(set)}: memory limit ${container?.resources?.limits?.memory} leaves too little room above maxmemory ${arg('maxmemory')}`,
    );
  }
  return problems;
};

/**
 * Redis that survives losing a node (issue 27): three pods (a primary, two
 * replicas) with a Sentinel beside each, at most one of them disrupted at a
 * time, spread over nodes, each on its own claim; primaries that refuse
 * writes nobody replicates; and greetings finding the primary through every
 * one of those Sentinels, each endpoint a pod of the rendering.
 */
export const redisSentinel: Check = (objects) => {
  const set = workloads(objects).find((w) => w.metadata.name === 'redis');
  if (!set) return ['no redis workload'];
  const problems: string[] = [];
  const say = (m: string) => problems.push(`${id(set)}: ${m}`);
  const replicas = set.spec.replicas ?? 1;
  if (replicas !== 3) say(`${replicas} replicas, expected 3 (a primary and two replicas)`);
  const labels = set.spec.template.metadata.labels;

  const pdbs = objects.filter(
    (o) =>
      o.kind === 'PodDisruptionBudget' &&
      selects(
        (o.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels,
        labels,
      ),
  );
  if (pdbs.length !== 1) say(`${pdbs.length} PodDisruptionBudgets select its pods, expected 1`);
  for (const pdb of pdbs) {
    const spec = pdb.spec as { maxUnavailable?: number | string };
    if (spec.maxUnavailable !== 1)
      problems.push(`${id(pdb)}: maxUnavailable is ${spec.maxUnavailable ?? 'unset'}, expected 1`);
  }

  const anti = set.spec.template.spec.affinity?.podAntiAffinity;
  const terms = [
    ...(anti?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(anti?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => t.podAffinityTerm),
  ];
  if (
    !terms.some(
      (t) =>
        t.topologyKey === 'kubernetes.io/hostname' && selects(t.labelSelector?.matchLabels, labels),
    )
  )
    say('no pod anti-affinity on kubernetes.io/hostname selecting its own pods (one per node)');

  if ((set.spec.volumeClaimTemplates ?? []).length === 0)
    say('no volumeClaimTemplates: each pod needs a claim of its own');

  const redisContainer = containersOf(set).find((c) => containerPort(c, 6379) !== undefined);
  const args = redisContainer?.args ?? [];
  const arg = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (!(Number(arg('min-replicas-to-write')) >= 1))
    say(
      'min-replicas-to-write is not 1 or more (a cut-off primary would take writes it then loses)',
    );
  if (!(Number(arg('min-replicas-max-lag')) > 0)) say('min-replicas-max-lag is not set');

  const sentinel = containersOf(set).find((c) => containerPort(c, 26379) !== undefined);
  if (!sentinel) say('no container listens on 26379 (a Sentinel beside each Redis)');

  const governing = objects.find(
    (o) => o.kind === 'Service' && o.metadata.name === set.spec.serviceName,
  );
  const gspec = governing?.spec as
    { clusterIP?: string; publishNotReadyAddresses?: boolean } | undefined;
  if (!governing || gspec?.clusterIP !== 'None')
    say(`its serviceName ${set.spec.serviceName} is not a headless Service of the rendering`);
  else if (gspec.publishNotReadyAddresses !== true)
    problems.push(
      `${id(governing)}: publishNotReadyAddresses is not true (a starting pod's name would not resolve)`,
    );

  // greetings: through the Sentinels, every one of them, waiting for a replica.
  const greetings = workloads(objects).find((w) => w.metadata.name === 'greetings');
  const env = new Map(
    (greetings?.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]),
  );
  const list = env.get('REDIS_SENTINELS');
  if (env.has('REDIS_URL'))
    problems.push('Deployment/greetings: REDIS_URL is set: one Redis, no failover');
  if (!list) problems.push('Deployment/greetings: REDIS_SENTINELS is not set');
  const endpoints = (list ?? '')
    .split(',')
    .filter(Boolean)
    .map((e) => resolveEndpoint(objects, e.trim()));
  for (const e of endpoints) {
    if (e.problem) problems.push(`Deployment/greetings: REDIS_SENTINELS ${e.problem}`);
    else if (e.workload !== set || e.container !== sentinel?.name)
      problems.push(
        `Deployment/greetings: REDIS_SENTINELS ${e.host}:${e.port} is not a Sentinel of ${id(set)}`,
      );
  }
  const pods = new Set(endpoints.filter((e) => !e.problem).map((e) => e.pod ?? e.host));
  if (list && pods.size !== replicas)
    problems.push(
      `Deployment/greetings: REDIS_SENTINELS names ${pods.size} Sentinel pods, the StatefulSet runs ${replicas}`,
    );
  const ack = Number(env.get('REDIS_MIN_REPLICAS_ACK'));
  if (!(ack >= 1 && ack <= replicas - 1))
    problems.push(
      `Deployment/greetings: REDIS_MIN_REPLICAS_ACK is ${env.get('REDIS_MIN_REPLICAS_ACK') ?? 'unset'}, expected 1 to ${replicas - 1}`,
    );

  // The init script asks the same Sentinels, under the same master name.
  const init = (set.spec.template.spec.initContainers ?? [])[0];
  const initEnv = new Map((init?.env ?? []).map((e) => [e.name, e.value]));
  const initList = (initEnv.get('SENTINELS') ?? '').split(/\s+/).filter(Boolean).sort();
  const greetingsList = (list ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
    .sort();
  if (initList.join(',') !== greetingsList.join(','))
    say(
      `its init script asks the Sentinels ${initList.join(' ') || '(none)'}, greetings ${greetingsList.join(' ')}`,
    );
  if (initEnv.get('MASTER_NAME') !== (env.get('REDIS_MASTER_NAME') ?? 'mymaster'))
    say(`master name ${initEnv.get('MASTER_NAME')} differs from greetings' REDIS_MASTER_NAME`);
  const quorum = Number(initEnv.get('QUORUM'));
  if (quorum !== Math.floor(replicas / 2) + 1)
    say(`Sentinel quorum ${initEnv.get('QUORUM')} is not a majority of ${replicas}`);
  return problems;
};

/** "256mb", "384Mi", "1Gi" in bytes (Redis' mb is MiB). */
export function bytes(text: string | undefined): number | undefined {
  const match = /^(\d+)\s*(kb|mb|gb|Ki|Mi|Gi)?$/i.exec(text ?? '');
  if (!match) return undefined;
  const unit = (match[2] ?? '').toLowerCase().replace('i', 'b');
  return Number(match[1]) * ({ '': 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[unit] ?? NaN);
}

/** Graphite keeps its whisper files on a claim that exists. */
export const graphite: Check = (objects) => {
  const w = workloads(objects).find((x) => x.metadata.name === 'graphite');
  if (!w) return ['no graphite workload'];
  const mount = containersOf(w)[0]?.volumeMounts?.find(
    (m) => m.mountPath === '/opt/graphite/storage',
  );
  const volume = w.spec.template.spec.volumes?.find((v) => v.name === mount?.name);
  const fromTemplate = (w.spec.volumeClaimTemplates ?? []).some(
    (t) => t.metadata.name === mount?.name,
  );
  const claim = volume?.persistentVolumeClaim?.claimName;
  if (fromTemplate) return [];
  if (!claim) return [`${id(w)}: /opt/graphite/storage is not on a PersistentVolumeClaim`];
  return objects.some((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === claim)
    ? []
    : [`${id(w)}: PersistentVolumeClaim ${claim} is not in the rendering`];
};

interface ServiceSpec {
  selector?: Record<string, string>;
  clusterIP?: string;
  ports: { name?: string; port: number; targetPort?: number | string; protocol?: string }[];
}

/** Every Service selects pods that exist, and each of its ports targets a port those pods have. */
export const services: Check = (objects) =>
  objects
    .filter((o) => o.kind === 'Service')
    .flatMap((svc) => {
      const spec = svc.spec as ServiceSpec;
      const pods = workloads(objects).filter((w) =>
        selects(spec.selector, w.spec.template.metadata.labels),
      );
      if (pods.length === 0) return [`${id(svc)}: its selector matches no pods`];
      return spec.ports.flatMap((p) =>
        pods.flatMap((w) =>
          containersOf(w).some(
            (c) => containerPort(c, p.targetPort ?? p.port, p.protocol ?? 'TCP') !== undefined,
          )
            ? []
            : [
                `${id(svc)}: port ${p.name ?? p.port} targets ${p.targetPort ?? p.port}/${p.protocol ?? 'TCP'}, which ${id(w)} does not have`,
              ],
        ),
      );
    });

export interface IngressSpec {
  rules: {
    host?: string;
    http: {
      paths: {
        path: string;
        pathType: string;
        backend: { service: { name: string; port: { name?: string; number?: number } } };
      }[];
    };
  }[];
}

/**
 * Where an Ingress rule sends a request path: the longest matching path
 * wins, Exact before Prefix; a Prefix matches whole path segments (the
 * Ingress specification's rules).
 */
export function ingressBackend(
  rule: IngressSpec['rules'][number] | undefined,
  path: string,
): { name: string; port: { name?: string; number?: number } } | undefined {
  const matches = (rule?.http.paths ?? []).filter((p) =>
    p.pathType === 'Exact'
      ? p.path === path
      : path === p.path || path.startsWith(p.path.endsWith('/') ? p.path : `${p.path}/`),
  );
  matches.sort((a, b) => b.path.length - a.path.length || (a.pathType === 'Exact' ? -1 : 1));
  return matches[0]?.backend.service;
}

/** The routes greetings serves to browsers; everything else is the page's. */
export const GREETINGS_ROUTES = [
  '/like_greeting',
  '/stats',
  '/experiments',
  '/experiments/current',
  '/admin',
];

/** One Ingress, one host (the public URL's), / to the page and greetings' public routes to greetings, on ports that exist. */
export const ingress: Check = (objects) => {
  const ingresses = objects.filter((o) => o.kind === 'Ingress');
  if (ingresses.length !== 1) return [`${ingresses.length} Ingresses, expected 1`];
  const ing = ingresses[0]!;
  const rules = (ing.spec as IngressSpec).rules;
  const problems: string[] = [];
  if (rules.length !== 1) problems.push(`${id(ing)}: ${rules.length} rules (hosts), expected 1`);
  const rule = rules[0];
  const publicUrl = objects
    .filter(isConfigMap)
    .find((o) => o.metadata.name.startsWith('public-url'))?.data?.PUBLIC_URL;
  const host = publicUrl ? new URL(publicUrl).hostname : undefined;
  if (rule?.host !== host)
    problems.push(`${id(ing)}: host ${rule?.host} is not PUBLIC_URL's (${host})`);
  const route = (path: string) => ingressBackend(rule, path);
  const expectRoute = (path: string, service: string) => {
    const backend = route(path);
    if (backend?.name !== service) {
      problems.push(
        `${id(ing)}: ${path} goes to ${backend?.name ?? 'nothing'}, expected ${service}`,
      );
    }
  };
  for (const path of GREETINGS_ROUTES) expectRoute(path, 'greetings');
  expectRoute('/admin/experiments', 'greetings');
  for (const path of ['/', '/Bob/1/1', '/stats/1/2', '/style.css', '/calculate'])
    expectRoute(path, 'awesome-app');
  for (const p of rule?.http.paths ?? []) {
    const svc = objects.find(
      (o) => o.kind === 'Service' && o.metadata.name === p.backend.service.name,
    );
    const ports = (svc?.spec as ServiceSpec | undefined)?.ports ?? [];
    if (!svc)
      problems.push(
        `${id(ing)}: ${p.path} goes to Service ${p.backend.service.name}, which does not exist`,
      );
    else if (
      !ports.some(
        (sp) =>
          sp.name === p.backend.service.port.name || sp.port === p.backend.service.port.number,
      )
    ) {
      problems.push(
        `${id(ing)}: ${p.path} goes to a port Service ${svc.metadata.name} does not have`,
      );
    }
  }
  return problems;
};

/** Grafana mounts every file under grafana/ where docker-compose.yml mounts it, with the same content. */
export const grafanaFiles: Check = (objects) => {
  const w = workloads(objects).find((x) => x.metadata.name === 'grafana');
  if (!w) return ['no grafana workload'];
  const container = containersOf(w)[0]!;
  const problems: string[] = [];
  // docker-compose.yml: ./grafana/provisioning -> /etc/grafana/provisioning, ./grafana/dashboards -> /etc/grafana/dashboards
  for (const folder of ['provisioning', 'dashboards']) {
    for (const file of filesUnder(join(ROOT, 'grafana', folder))) {
      const inContainer = `/etc/grafana/${relative(join(ROOT, 'grafana'), file)}`;
      const dir = inContainer.slice(0, inContainer.lastIndexOf('/'));
      const base = inContainer.slice(dir.length + 1);
      const mount = container.volumeMounts?.find((m) => m.mountPath === dir && !m.subPath);
      const cmName = w.spec.template.spec.volumes?.find((v) => v.name === mount?.name)?.configMap
        ?.name;
      const cm = objects.filter(isConfigMap).find((o) => o.metadata.name === cmName);
      const rel = relative(ROOT, file);
      if (!cm) {
        problems.push(
          `${rel}: no ConfigMap is mounted at ${dir} (add one to grafana/kustomization.yaml and a mount to deploy/kubernetes/grafana.yaml)`,
        );
      } else if (cm.data?.[base] === undefined) {
        problems.push(`${rel}: not in ConfigMap ${cmName} (add it to grafana/kustomization.yaml)`);
      } else if (cm.data[base] !== readFileSync(file, 'utf8')) {
        problems.push(`${rel}: ConfigMap ${cmName} holds a different ${base}`);
      }
    }
  }
  return problems;
};

/** The bind mounts of one service of a compose file: repository path of the source -> path in the container. */
export function composeBindMounts(
  service: string,
  compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as ComposeFile,
): Map<string, string> {
  const mounts = new Map<string, string>();
  for (const volume of compose.services?.[service]?.volumes ?? []) {
    const [source, target] =
      typeof volume === 'string'
        ? volume.split(':')
        : volume.type === 'bind'
          ? [volume.source, volume.target]
          : [];
    // A named volume (no ./ or /) is not a file of the repository.
    if (source && target && /^\.{0,2}\//.test(source))
      mounts.set(relative(ROOT, resolve(ROOT, source)), target);
  }
  return mounts;
}

export interface ComposeFile {
  services?: Record<
    string,
    { volumes?: (string | { type?: string; source?: string; target?: string })[] }
  >;
}

/**
 * Graphite's StatsD config (graphite/statsd-udp.js, percentThreshold): every
 * file under graphite/ (but its kustomization) is one docker-compose.yml
 * mounts into the graphite service, and the Deployment mounts it at the same
 * path, from a ConfigMap with the same content.
 */
export const graphiteFilesWith =
  (compose?: ComposeFile): Check =>
  (objects) => {
    const w = workloads(objects).find((x) => x.metadata.name === 'graphite');
    if (!w) return ['no graphite workload'];
    const container = containersOf(w)[0]!;
    const mounts = composeBindMounts('graphite', compose);
    const problems: string[] = [];
    for (const file of filesUnder(join(ROOT, 'graphite'))) {
      const rel = relative(ROOT, file);
      if (rel === join('graphite', 'kustomization.yaml') || rel.endsWith('.md')) continue;
      const inContainer = mounts.get(rel);
      if (!inContainer) {
        problems.push(`${rel}: docker-compose.yml does not mount it into the graphite service`);
        continue;
      }
      const dir = posix.dirname(inContainer);
      const base = posix.basename(inContainer);
      const mount = container.volumeMounts?.find((m) => m.mountPath === dir && !m.subPath);
      const cmName = w.spec.template.spec.volumes?.find((v) => v.name === mount?.name)?.configMap
        ?.name;
      const cm = objects.filter(isConfigMap).find((o) => o.metadata.name === cmName);
      if (!cm) {
        problems.push(
          `${rel}: no ConfigMap is mounted at ${dir} (compose mounts it as ${inContainer}; add one to graphite/kustomization.yaml and a mount to deploy/kubernetes/graphite.yaml)`,
        );
      } else if (cm.data?.[base] === undefined) {
        problems.push(
          `${rel}: not in ConfigMap ${cmName} as ${base} (add it to graphite/kustomization.yaml)`,
        );
      } else if (cm.data[base] !== readFileSync(file, 'utf8')) {
        problems.push(`${rel}: ConfigMap ${cmName} holds a different ${base}`);
      }
    }
    return problems;
  };

export const graphiteFiles: Check = graphiteFilesWith();

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Our images are the ones this repository builds. */
export const images: Check = (objects) =>
  ours(objects).flatMap((w) =>
    containersOf(w)
      .filter((c) => !c.image.startsWith(`friendly-calculator/${w.metadata.name}:`))
      .map(
        (c) =>
          `${id(w)} ${c.name}: image ${c.image}, expected friendly-calculator/${w.metadata.name}:<tag>`,
      ),
  );

/**
 * The scenario flags (flags/scenarios.flagd.json, docs/scenarios.md): maths
 * and greetings read the file FLAGD_OFFLINE_FLAG_SOURCE_PATH names, from a
 * ConfigMap with the repository file's content, mounted where docker-compose.yml
 * mounts ./flags.
 */
export const scenarioFlags: Check = (objects) => {
  const file = join(ROOT, 'flags', 'scenarios.flagd.json');
  const problems: string[] = [];
  for (const service of ['maths', 'greetings']) {
    const w = workloads(objects).find((x) => x.metadata.name === service);
    if (!w) return [`no ${service} workload`];
    const container = containersOf(w)[0]!;
    const composeDir = composeBindMounts(service).get('flags');
    const path = container.env?.find((e) => e.name === 'FLAGD_OFFLINE_FLAG_SOURCE_PATH')?.value;
    const resolver = container.env?.find((e) => e.name === 'FLAGD_RESOLVER')?.value;
    if (resolver !== 'in-process' || !path) {
      problems.push(
        `${id(w)}: FLAGD_RESOLVER=in-process and FLAGD_OFFLINE_FLAG_SOURCE_PATH are not both set`,
      );
      continue;
    }
    const dir = posix.dirname(path);
    if (composeDir !== dir)
      problems.push(
        `${id(w)}: reads flags from ${dir}, docker-compose.yml mounts ./flags at ${composeDir}`,
      );
    const mount = container.volumeMounts?.find((m) => m.mountPath === dir && !m.subPath);
    const cmName = w.spec.template.spec.volumes?.find((v) => v.name === mount?.name)?.configMap
      ?.name;
    const cm = objects.filter(isConfigMap).find((o) => o.metadata.name === cmName);
    if (!cm)
      problems.push(`${id(w)}: no ConfigMap is mounted at ${dir} (flags/kustomization.yaml)`);
    else if (cm.data?.[posix.basename(path)] !== readFileSync(file, 'utf8'))
      problems.push(
        `${id(w)}: ConfigMap ${cmName} does not hold flags/scenarios.flagd.json as ${posix.basename(path)}`,
      );
  }
  return problems;
};

export const CHECKS = {
  probes,
  resources,
  securityContext,
  serviceAccounts,
  serviceLinks,
  termination,
  availability,
  redis,
  redisSentinel,
  graphite,
  services,
  ingress,
  grafanaFiles,
  graphiteFiles,
  scenarioFlags,
  images,
} satisfies Record<string, Check>;
