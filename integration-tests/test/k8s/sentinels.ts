import { id, selects, workloads, type K8sObject, type Workload } from './manifests';

/**
 * Where a `host:port` endpoint of greetings' REDIS_SENTINELS (or of the Redis
 * pods' init script) lands in the rendering, as cluster DNS would resolve it
 * inside the namespace: `<service>` is a Service; `<pod>.<service>` is one pod
 * of the StatefulSet that Service governs (headless, `serviceName`), which
 * exists only if its ordinal is below the replica count. The port must be a
 * port of that Service, targeting a container port the pods declare.
 */
export interface Endpoint {
  host: string;
  port: number;
  /** The StatefulSet (or any workload) whose pods answer. */
  workload?: Workload;
  /** The pod, for `<pod>.<service>`. */
  pod?: string;
  /** The container that listens on the port. */
  container?: string;
  problem?: string;
}

interface ServiceSpec {
  clusterIP?: string;
  selector?: Record<string, string>;
  ports: { name?: string; port: number; targetPort?: number | string; protocol?: string }[];
}

export function resolveEndpoint(objects: readonly K8sObject[], entry: string): Endpoint {
  const colon = entry.lastIndexOf(':');
  const host = entry.slice(0, colon);
  const port = Number(entry.slice(colon + 1));
  const labels = host.split('.');
  const serviceName = labels.length === 1 ? labels[0]! : labels[1]!;
  const podName = labels.length === 2 ? labels[0] : undefined;
  const fail = (problem: string): Endpoint => ({ host, port, problem: `${entry}: ${problem}` });
  if (colon < 0 || !Number.isInteger(port) || labels.length > 2)
    return fail('not <service>:<port> or <pod>.<service>:<port>');
  const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === serviceName);
  if (!svc) return fail(`no Service ${serviceName} in the rendering`);
  const spec = svc.spec as ServiceSpec;
  const servicePort = spec.ports.find((p) => p.port === port && (p.protocol ?? 'TCP') === 'TCP');
  if (!servicePort) return fail(`Service ${serviceName} has no port ${port}`);
  const selected = workloads(objects).filter((w) =>
    selects(spec.selector, w.spec.template.metadata.labels),
  );
  let workload = selected[0];
  if (podName !== undefined) {
    if (spec.clusterIP !== 'None')
      return fail(`Service ${serviceName} is not headless: pods get no names under it`);
    workload = selected.find((w) => w.kind === 'StatefulSet' && w.spec.serviceName === serviceName);
    if (!workload) return fail(`no StatefulSet is governed by Service ${serviceName}`);
    const ordinal = new RegExp(`^${workload.metadata.name}-(\\d+)$`).exec(podName)?.[1];
    if (ordinal === undefined || Number(ordinal) >= (workload.spec.replicas ?? 1))
      return fail(
        `${id(workload)} has no pod ${podName} (${workload.spec.replicas ?? 1} replicas)`,
      );
  }
  if (!workload) return fail(`Service ${serviceName} selects no pods`);
  const target = servicePort.targetPort ?? port;
  const container = workload.spec.template.spec.containers.find((c) =>
    (c.ports ?? []).some(
      (p) =>
        (typeof target === 'number' ? p.containerPort === target : p.name === target) &&
        (p.protocol ?? 'TCP') === 'TCP',
    ),
  );
  if (!container)
    return fail(`port ${port} targets ${target}, which no container of ${id(workload)} declares`);
  return {
    host,
    port,
    workload,
    ...(podName === undefined ? {} : { pod: podName }),
    container: container.name,
  };
}
