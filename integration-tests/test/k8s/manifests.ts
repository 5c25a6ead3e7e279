import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** The repository root and the kustomization users apply. */
export const ROOT = join(__dirname, '..', '..', '..');
export const KUSTOMIZATION = join(ROOT, 'deploy', 'kubernetes');

/** A rendered Kubernetes object, as plain JSON (what `kubectl apply` would send). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/**
 * Renders the kustomization with `kubectl kustomize`, exactly as a user's
 * `kubectl apply -k` would. Without kubectl this fails, saying so: the offline
 * check never skips.
 */
export function render(
  dir = KUSTOMIZATION,
  kubectl = process.env.KUBECTL ?? 'kubectl',
): K8sObject[] {
  const result = spawnSync(kubectl, ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `kubectl not found ("${kubectl}"): the Kubernetes check renders deploy/kubernetes with \`kubectl kustomize\`. Install kubectl 1.27 or newer (kustomize 5 built in), or set KUBECTL to its path.`
        : `could not run ${kubectl} kustomize: ${result.error.message}`,
    );
  }
  if (result.status !== 0) {
    throw new Error(
      `${kubectl} kustomize ${dir} failed (exit ${result.status}):\n${result.stderr}`,
    );
  }
  return parseAllDocuments(result.stdout).map((doc) => {
    if (doc.errors.length > 0)
      throw new Error(`kubectl kustomize printed bad YAML: ${doc.errors[0]?.message}`);
    return doc.toJS() as K8sObject;
  });
}

/** A deep copy to mutate: each "fails on this mistake" test starts from the real rendering. */
export const copy = (objects: readonly K8sObject[]): K8sObject[] =>
  structuredClone(objects) as K8sObject[];

export const id = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;

export function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name} in the rendering`);
  return found;
}

// ---- the parts of the objects the checks read (the schema check vouches for their shapes)

export interface Probe {
  httpGet?: { path?: string; port: number | string; host?: string };
  exec?: { command: string[] };
  tcpSocket?: { port: number | string };
  periodSeconds?: number;
  timeoutSeconds?: number;
}
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
  };
}
export interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  env?: EnvVar[];
  resources?: {
    requests?: Record<string, string | number>;
    limits?: Record<string, string | number>;
  };
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number }; exec?: { command: string[] } } };
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    seccompProfile?: { type: string };
  };
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
}
export interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  enableServiceLinks?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    seccompProfile?: { type: string };
  };
  initContainers?: Container[];
  containers: Container[];
  affinity?: {
    podAntiAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
      preferredDuringSchedulingIgnoredDuringExecution?: {
        weight: number;
        podAffinityTerm: PodAffinityTerm;
      }[];
    };
  };
  volumes?: {
    name: string;
    persistentVolumeClaim?: { claimName: string };
    configMap?: { name: string };
    emptyDir?: object;
  }[];
}
export interface PodAffinityTerm {
  topologyKey: string;
  labelSelector?: { matchLabels?: Record<string, string> };
}
export interface Workload extends K8sObject {
  spec: {
    replicas?: number;
    serviceName?: string;
    selector: { matchLabels?: Record<string, string> };
    template: { metadata: { labels?: Record<string, string> }; spec: PodSpec };
    volumeClaimTemplates?: { metadata: { name: string } }[];
  };
}

export interface ConfigMapObject extends K8sObject {
  data?: Record<string, string>;
}

export const isConfigMap = (o: K8sObject): o is ConfigMapObject => o.kind === 'ConfigMap';

export const isWorkload = (o: K8sObject): o is Workload =>
  ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind);

export const workloads = (objects: readonly K8sObject[]): Workload[] => objects.filter(isWorkload);

export function workload(objects: readonly K8sObject[], name: string): Workload {
  const found = workloads(objects).find((w) => w.metadata.name === name);
  if (!found) throw new Error(`no workload ${name} in the rendering`);
  return found;
}

/** Our own services: the images this repository builds. */
export const OUR_SERVICES = ['awesome-app', 'greetings', 'maths'] as const;
export type OurService = (typeof OUR_SERVICES)[number];

/** Does a label selector (matchLabels) pick a pod with these labels? */
export const selects = (
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean =>
  selector !== undefined &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/**
 * The environment a container gets, as the kubelet would build it: values,
 * and ConfigMap/Secret references resolved against the rendered objects. An
 * optional Secret that the user has not created is simply unset; a missing
 * ConfigMap or key is a problem (the pod would not start).
 */
export function containerEnv(
  objects: readonly K8sObject[],
  container: Container,
): { env: Record<string, string | undefined>; problems: string[] } {
  const env: Record<string, string | undefined> = {};
  const problems: string[] = [];
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) {
      env[variable.name] = variable.value;
      continue;
    }
    const cm = variable.valueFrom?.configMapKeyRef;
    const secret = variable.valueFrom?.secretKeyRef;
    if (cm) {
      const map = objects.filter(isConfigMap).find((o) => o.metadata.name === cm.name);
      const value = map?.data?.[cm.key];
      if (value === undefined && !cm.optional) {
        problems.push(`${variable.name}: ConfigMap ${cm.name} has no key ${cm.key}`);
      }
      env[variable.name] = value;
    } else if (secret) {
      // Secrets are the user's to create (never rendered here): they must be optional.
      if (!secret.optional) {
        problems.push(
          `${variable.name}: Secret ${secret.name} is not optional; the pod would not start before someone creates it`,
        );
      }
      env[variable.name] = undefined;
    } else {
      env[variable.name] = '';
    }
  }
  return { env, problems };
}
