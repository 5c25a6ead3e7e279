import { ConfigError } from '@friendly-calculator/common';
import { loadAwesomeAppConfig } from '../../../awesome-app/src/config';
import { loadGreetingsConfig } from '../../../greetings/src/config';
import { loadMathsConfig } from '../../../maths/src/config';
import {
  containerEnv,
  id,
  OUR_SERVICES,
  workload,
  type K8sObject,
  type OurService,
} from './manifests';
import { containerPort } from './policy';

type Env = Readonly<Record<string, string | undefined>>;

/** Each service's own configuration loader, the one its server.ts runs at start-up. */
export const LOADERS: Record<OurService, (env: Env) => { PORT: number }> = {
  'awesome-app': loadAwesomeAppConfig,
  greetings: loadGreetingsConfig,
  maths: loadMathsConfig,
};

/** The variables a loader reads: it is run on an environment that records what is asked of it. */
export function variablesRead(load: (env: Env) => unknown): Set<string> {
  const read = new Set<string>();
  const recorder = new Proxy<Env>(
    {},
    {
      get: (_target, key) => {
        if (typeof key === 'string') read.add(key);
        return undefined;
      },
    },
  );
  load(recorder);
  return read;
}

/**
 * Runs each service's loader on the environment its manifest gives it, as
 * the pod would at start-up: an invalid value stops the service (here: a
 * problem naming it); a variable the loader never reads (a misspelt name)
 * would be silently ignored by the pod, so it is a problem too; and the port
 * the service listens on must be the container port its probes and Service use.
 */
export function configProblems(objects: readonly K8sObject[]): string[] {
  return OUR_SERVICES.flatMap((service) => {
    const w = workload(objects, service);
    return w.spec.template.spec.containers.flatMap((container) => {
      const where = `${id(w)} ${container.name}`;
      const { env, problems } = containerEnv(objects, container);
      const out = problems.map((p) => `${where}: ${p}`);
      const known = variablesRead(LOADERS[service]);
      for (const name of Object.keys(env)) {
        if (!known.has(name)) {
          out.push(
            `${where}: ${name} is not a variable ${service} reads (it reads ${[...known].sort().join(', ')})`,
          );
        }
      }
      let port: number;
      try {
        port = LOADERS[service](env).PORT;
      } catch (error) {
        if (error instanceof ConfigError) return [...out, `${where}: ${error.message}`];
        throw error;
      }
      if (containerPort(container, port) === undefined) {
        out.push(`${where}: the service listens on ${port}, which is not a container port`);
      }
      for (const kind of ['readinessProbe', 'livenessProbe'] as const) {
        const probe = container[kind];
        const probePort = probe?.httpGet && containerPort(container, probe.httpGet.port);
        if (probePort !== undefined && probePort !== port) {
          out.push(`${where}: ${kind} goes to port ${probePort}, the service listens on ${port}`);
        }
      }
      return out;
    });
  });
}
