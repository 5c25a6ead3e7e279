import { id, workloads, type K8sObject } from './manifests';

/**
 * NetworkPolicies, evaluated offline as the Kubernetes semantics say: a pod
 * selected by a policy of a direction accepts (or sends) only what one of
 * those policies' rules allows; a connection needs both the sender's egress
 * and the receiver's ingress to allow it.
 */

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: unknown;
}
interface Rule {
  ports?: { port?: number | string; protocol?: string }[];
  from?: Peer[];
  to?: Peer[];
}
interface PolicySpec {
  podSelector: Selector;
  policyTypes?: ('Ingress' | 'Egress')[];
  ingress?: Rule[];
  egress?: Rule[];
}

export interface Pod {
  name: string;
  /** More than one pod of this name: they may talk to each other through the network. */
  replicas: number;
  namespace: string;
  labels: Record<string, string>;
  /** port/protocol pairs it listens on */
  ports: { port: number; protocol: string }[];
}

function matches(selector: Selector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e) => {
    const has = Object.hasOwn(labels, e.key);
    switch (e.operator) {
      case 'In':
        return has && (e.values ?? []).includes(labels[e.key]!);
      case 'NotIn':
        return !has || !(e.values ?? []).includes(labels[e.key]!);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false;
    }
  });
  return byLabels && byExpressions;
}

const namespaceLabels = (ns: string) => ({ 'kubernetes.io/metadata.name': ns });

function peerMatches(peer: Peer, policyNamespace: string, pod: Pod): boolean {
  if (peer.ipBlock) return false; // not used here: IP blocks say nothing about pods
  if (!peer.namespaceSelector && pod.namespace !== policyNamespace) return false;
  if (peer.namespaceSelector && !matches(peer.namespaceSelector, namespaceLabels(pod.namespace))) {
    return false;
  }
  return matches(peer.podSelector, pod.labels);
}

function portMatches(rule: Rule, port: number, protocol: string): boolean {
  if (!rule.ports || rule.ports.length === 0) return true;
  return rule.ports.some(
    (p) => (p.port === undefined || p.port === port) && (p.protocol ?? 'TCP') === protocol,
  );
}

function side(
  policies: readonly K8sObject[],
  direction: 'Ingress' | 'Egress',
  self: Pod,
  peer: Pod,
  port: number,
  protocol: string,
): boolean {
  const applying = policies.filter((p) => {
    const spec = p.spec as PolicySpec;
    const types = spec.policyTypes ?? (spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);
    return (
      (p.metadata.namespace ?? self.namespace) === self.namespace &&
      types.includes(direction) &&
      matches(spec.podSelector, self.labels)
    );
  });
  if (applying.length === 0) return true; // not isolated in this direction
  return applying.some((p) => {
    const spec = p.spec as PolicySpec;
    const rules = (direction === 'Ingress' ? spec.ingress : spec.egress) ?? [];
    return rules.some((rule) => {
      const peers = direction === 'Ingress' ? rule.from : rule.to;
      const peerOk =
        !peers ||
        peers.length === 0 ||
        peers.some((x) => peerMatches(x, p.metadata.namespace ?? self.namespace, peer));
      return peerOk && portMatches(rule, port, protocol);
    });
  });
}

export function allowed(
  objects: readonly K8sObject[],
  from: Pod,
  to: Pod,
  port: number,
  protocol: string,
): boolean {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  return (
    side(policies, 'Egress', from, to, port, protocol) &&
    side(policies, 'Ingress', to, from, port, protocol)
  );
}

/** The pods the rendering creates, and a few from outside the namespace. */
export function pods(objects: readonly K8sObject[]): Pod[] {
  const namespace = objects.find((o) => o.kind === 'Namespace')?.metadata.name ?? 'default';
  const ours = workloads(objects).map((w) => ({
    name: w.metadata.name,
    replicas: w.spec.replicas ?? 1,
    namespace,
    labels: w.spec.template.metadata.labels ?? {},
    ports: w.spec.template.spec.containers.flatMap((c) =>
      (c.ports ?? []).map((p) => ({ port: p.containerPort, protocol: p.protocol ?? 'TCP' })),
    ),
  }));
  const outside: Pod[] = [
    {
      name: 'ingress-nginx',
      replicas: 1,
      namespace: 'ingress-nginx',
      labels: { 'app.kubernetes.io/name': 'ingress-nginx' },
      ports: [],
    },
    {
      name: 'traefik',
      replicas: 1,
      namespace: 'kube-system',
      labels: { 'app.kubernetes.io/name': 'traefik' },
      ports: [],
    },
    {
      name: 'kube-dns',
      replicas: 1,
      namespace: 'kube-system',
      labels: { 'k8s-app': 'kube-dns' },
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
    },
    {
      name: 'someone-else',
      replicas: 1,
      namespace: 'default',
      labels: { app: 'someone-else' },
      ports: [],
    },
  ];
  return [...ours, ...outside];
}

/** Every path the system uses: "from -> to:port/protocol". */
export function requiredFlows(objects: readonly K8sObject[]): string[] {
  const flows = [
    'ingress-nginx -> awesome-app:5000/TCP',
    'ingress-nginx -> greetings:5002/TCP',
    'traefik -> awesome-app:5000/TCP',
    'traefik -> greetings:5002/TCP',
    'awesome-app -> greetings:5002/TCP',
    'awesome-app -> maths:5001/TCP',
    'greetings -> redis:6379/TCP',
    // The Sentinels: which pod is the primary, and its switches (REDIS_SENTINELS).
    'greetings -> redis:26379/TCP',
    // Between the Redis pods: replication, and the Sentinels watching every
    // node and each other.
    'redis -> redis:6379/TCP',
    'redis -> redis:26379/TCP',
    'awesome-app -> graphite:8125/UDP',
    'greetings -> graphite:8125/UDP',
    'maths -> graphite:8125/UDP',
    'grafana -> graphite:8080/TCP',
    // Phase actions as Graphite events (greetings' GRAPHITE_URL, docs/scenarios.md).
    'greetings -> graphite:8080/TCP',
  ];
  for (const w of workloads(objects)) {
    flows.push(`${w.metadata.name} -> kube-dns:53/UDP`, `${w.metadata.name} -> kube-dns:53/TCP`);
  }
  return flows;
}

/**
 * Every connection between the pods above, on every port the receiver
 * listens on, must be allowed exactly when it is a required path.
 */
export function networkProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const deny = objects.find((o) => {
    const spec = o.spec as PolicySpec | undefined;
    return (
      o.kind === 'NetworkPolicy' &&
      Object.keys(spec?.podSelector ?? { x: 1 }).length === 0 &&
      ['Ingress', 'Egress'].every((t) => spec?.policyTypes?.includes(t as 'Ingress')) &&
      !spec?.ingress?.length &&
      !spec?.egress?.length
    );
  });
  if (!deny)
    problems.push('no default-deny NetworkPolicy (every pod, Ingress and Egress, no rules)');
  const required = new Set(requiredFlows(objects));
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  const all = pods(objects);
  const namespace = all[0]?.namespace;
  for (const from of all) {
    for (const to of all) {
      // A pod does not talk to itself through the network; pods of one workload do.
      if (from === to && from.replicas < 2) continue;
      for (const { port, protocol } of to.ports) {
        const flow = `${from.name} -> ${to.name}:${port}/${protocol}`;
        // Each side on its own (least privilege in both directions), for the
        // pods in our namespace: the others' policies are not ours.
        const sides = [
          ['egress', from, to],
          ['ingress', to, from],
        ] as const;
        for (const [direction, self, peer] of sides) {
          if (self.namespace !== namespace) continue;
          const open = side(
            policies,
            direction === 'egress' ? 'Egress' : 'Ingress',
            self,
            peer,
            port,
            protocol,
          );
          if (required.has(flow) && !open) {
            problems.push(
              `blocked by ${self.name}'s ${direction}, but the system needs it: ${flow}`,
            );
          }
          if (!required.has(flow) && open) {
            problems.push(
              `${self.name}'s ${direction} allows a path the system does not use: ${flow}`,
            );
          }
        }
      }
    }
  }
  for (const flow of required) {
    const [from, to] = flow.split(' -> ') as [string, string];
    const [, toName, port, protocol] = /^(.+):(\d+)\/(\w+)$/.exec(to) ?? [];
    const target = all.find((p) => p.name === toName);
    if (!all.some((p) => p.name === from) || !target) {
      problems.push(`a required path names a pod that does not exist: ${flow}`);
    } else if (!target.ports.some((p) => p.port === Number(port) && p.protocol === protocol)) {
      // The old single Redis: nobody listens on 26379, so no policy is even asked.
      problems.push(`a required path goes to a port ${toName} does not listen on: ${flow}`);
    } else if (from === toName && target.replicas < 2) {
      problems.push(`a required path between pods of ${toName}, which runs one pod: ${flow}`);
    }
  }
  for (const policy of objects.filter((o) => o.kind === 'NetworkPolicy')) {
    if (policy.metadata.namespace !== namespace)
      problems.push(`${id(policy)}: not in ${namespace}`);
  }
  return problems;
}
