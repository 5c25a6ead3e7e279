import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNullMetrics, silentLogger } from '@friendly-calculator/common';
import { startSentinelGroup, type SentinelGroup } from '@friendly-calculator/common/testing';
import type { Express } from 'express';
import { createApp as createPage } from '../../../awesome-app/src/app';
import { createGreetingsClient } from '../../../awesome-app/src/clients/greetings';
import { createMathsClient } from '../../../awesome-app/src/clients/maths';
import { createUpstream, type Upstream } from '../../../awesome-app/src/clients/upstream';
import { loadAwesomeAppConfig } from '../../../awesome-app/src/config';
import { buildGreetings } from '../../../greetings/src/compose';
import { loadGreetingsConfig } from '../../../greetings/src/config';
import { createApp as createMaths } from '../../../maths/src/app';
import {
  containerEnv,
  copy,
  OUR_SERVICES,
  render,
  workload,
  type K8sObject,
  type OurService,
} from './manifests';

/**
 * Every probe's path is one the service serves: the three services, built
 * as their server.ts builds them from the configuration their manifests
 * give (only the addresses of Redis' Sentinels and of the other services
 * point at this process), each listening on a free port; then every HTTP probe of every
 * manifest is asked as the kubelet would ask it (success: 200-399).
 */
const rendered = render();
const logger = silentLogger();
const metrics = createNullMetrics();
const servers: Server[] = [];
const upstreams: Upstream[] = [];
let redis: SentinelGroup;
let closeGreetings: () => Promise<void>;
const urls = {} as Record<OurService, string>;

const envOf = (service: OurService) => {
  const { env, problems } = containerEnv(
    rendered,
    workload(rendered, service).spec.template.spec.containers[0]!,
  );
  if (problems.length > 0) throw new Error(problems.join('; '));
  return env;
};

async function listen(app: Express): Promise<string> {
  const server = createServer(app);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  // The manifest's greetings finds Redis through Sentinel: a primary, a
  // replica and a Sentinel here, the Sentinel's address in place of the pods'.
  redis = await startSentinelGroup({ replicas: 1, sentinels: 1 });
  urls.maths = await listen(createMaths({ logger, metrics }));
  const greetings = buildGreetings(
    loadGreetingsConfig({ ...envOf('greetings'), REDIS_SENTINELS: redis.sentinelList }),
    {
      logger,
      metrics,
    },
  );
  closeGreetings = () => greetings.close();
  urls.greetings = await listen(greetings.app);
  const config = loadAwesomeAppConfig({
    ...envOf('awesome-app'),
    GREETINGS_URL: urls.greetings,
    MATHS_URL: urls.maths,
  });
  const upstream = (name: string, baseUrl: string) => {
    const u = createUpstream({ name, baseUrl, timeoutMs: config.UPSTREAM_TIMEOUT_MS, metrics });
    upstreams.push(u);
    return u;
  };
  urls['awesome-app'] = await listen(
    createPage({
      greetings: createGreetingsClient(upstream('greetings', config.GREETINGS_URL)),
      maths: createMathsClient(upstream('maths', config.MATHS_URL)),
      logger,
      metrics,
      greetingsPublicUrl: config.GREETINGS_PUBLIC_URL,
      grafanaUrl: config.GRAFANA_URL,
      graphiteUrl: config.GRAPHITE_URL,
    }),
  );
});

afterAll(async () => {
  await Promise.all(upstreams.map((u) => u.close()));
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
  await closeGreetings?.();
  await redis?.stop();
});

/** Asks each HTTP probe of our services as the kubelet would; lists every one that fails. */
async function probeProblems(objects: readonly K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const service of OUR_SERVICES) {
    for (const container of workload(objects, service).spec.template.spec.containers) {
      for (const kind of ['readinessProbe', 'livenessProbe'] as const) {
        const path = container[kind]?.httpGet?.path;
        if (path === undefined) continue; // the policy check reports a missing probe
        const response = await fetch(`${urls[service]}${path}`, { redirect: 'manual' });
        await response.arrayBuffer();
        if (response.status < 200 || response.status >= 400) {
          problems.push(`${service} ${kind}: GET ${path} answered ${response.status}`);
        }
      }
    }
  }
  return problems;
}

describe("every probe's path is one the service serves", () => {
  it("when the services run on their manifests' configuration, then every probe succeeds", async () => {
    expect(await probeProblems(rendered)).toEqual([]);
  });

  it('when a probe asks for a path the service does not serve, then it is reported', async () => {
    const objects = copy(rendered);
    workload(objects, 'greetings').spec.template.spec.containers[0]!.readinessProbe!.httpGet!.path =
      '/ready';
    workload(objects, 'maths').spec.template.spec.containers[0]!.livenessProbe!.httpGet!.path =
      '/health';
    expect(await probeProblems(objects)).toEqual([
      'greetings readinessProbe: GET /ready answered 404',
      'maths livenessProbe: GET /health answered 404',
    ]);
  });
});
