import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from '@friendly-calculator/common/testing';
import { waitForHealthy } from '../../src/stack';
import {
  ROOT,
  containerEnv,
  isConfigMap,
  workload,
  workloads,
  type Container,
  type K8sObject,
  type OurService,
} from './manifests';
import { resolveEndpoint } from './sentinels';

/**
 * What a readiness probe must mean (issue 21): the pod can answer its own
 * requests, degraded or not. So, for the path a manifest's readinessProbe
 * asks, of the built service started on that manifest's environment:
 * - with every dependency away, it succeeds (200-399), within the probe's
 *   timeout, every time it is asked: the pod stays in its Service and
 *   serves its degraded answer (the page's notice, fallback greetings);
 * - once SIGTERM starts the drain, it fails at once: the pod leaves.
 */

type Env = Record<string, string | undefined>;

/**
 * The manifest's environment with every dependency away: each value that
 * names another Service of the rendering (`http://greetings:5002`,
 * `redis://redis:6379`, the bare `graphite` of STATSD_HOST, each pod of
 * REDIS_SENTINELS' `redis-0.redis:26379,...`) now points at a
 * port on this machine where nobody listens. Worked out from the rendering,
 * so a dependency added to a manifest is taken away here too.
 */
export async function awayEnv(
  objects: readonly K8sObject[],
  env: Env,
): Promise<{ env: Env; away: string[] }> {
  const services = new Set(objects.filter((o) => o.kind === 'Service').map((o) => o.metadata.name));
  const out: Env = { ...env };
  const away: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    // A list of endpoints (REDIS_SENTINELS: redis-0.redis:26379,...), each a
    // Service or a pod under a headless one: every one of them away.
    const list = value.split(',').map((e) => e.trim());
    if (
      /^[a-z0-9.-]+:\d+$/i.test(list[0] ?? '') &&
      list.every((e) => !resolveEndpoint(objects, e).problem)
    ) {
      const ports = await Promise.all(list.map(() => freePort()));
      out[name] = ports.map((p) => `127.0.0.1:${p}`).join(',');
      away.push(name);
      continue;
    }
    if (services.has(value)) {
      out[name] = '127.0.0.1';
      away.push(name);
      continue;
    }
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      continue;
    }
    if (!services.has(url.hostname)) continue;
    url.hostname = '127.0.0.1';
    url.port = String(await freePort());
    out[name] = url.toString().replace(/\/$/, value.endsWith('/') ? '/' : '');
    away.push(name);
  }
  return { env: out, away: away.sort() };
}

/**
 * The files the pod gets from ConfigMaps (the scenario flags at /flags),
 * written to a temporary folder, and every variable naming a path under such
 * a mount pointed there: the service reads what the pod would.
 */
export function withMountedFiles(
  objects: readonly K8sObject[],
  service: OurService,
  container: Container,
  env: Env,
): Env {
  const volumes = workload(objects, service).spec.template.spec.volumes ?? [];
  const out: Env = { ...env };
  for (const mount of container.volumeMounts ?? []) {
    const name = volumes.find((v) => v.name === mount.name)?.configMap?.name;
    const map = objects.filter(isConfigMap).find((o) => o.metadata.name === name);
    if (!map) continue;
    const dir = mkdtempSync(join(tmpdir(), `${service}-mount-`));
    mkdirSync(dir, { recursive: true });
    for (const [file, content] of Object.entries(map.data ?? {}))
      writeFileSync(join(dir, file), content);
    for (const [key, value] of Object.entries(out))
      if (value?.startsWith(`${mount.mountPath}/`))
        out[key] = join(dir, value.slice(mount.mountPath.length + 1));
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Started {
  child: ChildProcess;
  url: string;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

async function start(service: OurService, env: Env): Promise<Started> {
  const server = join(ROOT, service, 'dist', 'server.js');
  if (!existsSync(server)) throw new Error(`${server} is missing: run \`npm run build\` first`);
  const port = await freePort();
  const child = spawn(process.execPath, [server], {
    env: { ...env, PATH: process.env.PATH ?? '', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHealthy(url, 15_000, () => child.exitCode === null && child.signalCode === null);
  return { child, url, port, output: () => output, exited };
}

const refuses = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

/**
 * Asks `path` on a connection opened before SIGTERM, as a kubelet's probe
 * (or a load balancer's keep-alive connection) may: the request's first line
 * goes out before the signal, the rest once the service stops accepting new
 * connections, i.e. once the drain has begun. Returns the answer's status.
 */
async function statusWhileDraining(running: Started, path: string): Promise<number> {
  const socket = connect(running.port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  try {
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${running.port}\r\n`);
    // Long enough for the service to have read those bytes: its connection is then busy, not idle.
    await sleep(300);
    running.child.kill('SIGTERM');
    const deadline = Date.now() + 5_000;
    while (!(await refuses(running.port))) {
      if (Date.now() > deadline) throw new Error('still accepting connections 5 s after SIGTERM');
      await sleep(20);
    }
    socket.write('User-Agent: kube-probe/1.32\r\n\r\n');
    for (let waited = 0; !/\r\n\r\n/.test(received); waited += 20) {
      if (waited > 5_000 || (socket.destroyed && !received)) {
        throw new Error(`no answer while draining (got ${JSON.stringify(received)})`);
      }
      await sleep(20);
    }
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1]);
  } finally {
    socket.destroy();
  }
}

const succeeds = (status: number) => status >= 200 && status < 400;

/** Problems with one container's readiness probe (empty: it means "ready", as above). */
export async function readinessProblems(
  objects: readonly K8sObject[],
  service: OurService,
  container: Container = workload(objects, service).spec.template.spec.containers[0]!,
): Promise<{ problems: string[]; away: string[] }> {
  const probe = container.readinessProbe;
  const path = probe?.httpGet?.path;
  if (path === undefined) return { problems: [`${service}: no HTTP readinessProbe`], away: [] };
  const timeoutMs = (probe?.timeoutSeconds ?? 1) * 1000;
  const { env, away } = await awayEnv(
    objects,
    withMountedFiles(objects, service, container, containerEnv(objects, container).env),
  );
  const running = await start(service, env);
  const problems: string[] = [];
  try {
    // Several asks over two seconds: a client may first be connecting, then retrying.
    for (let ask = 0; ask < 5 && problems.length === 0; ask++) {
      if (ask > 0) await sleep(400);
      const started = performance.now();
      const res = await fetch(`${running.url}${path}`, {
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      }).catch((error: Error) => error);
      const ms = Math.round(performance.now() - started);
      if (res instanceof Error) {
        problems.push(`${service}: GET ${path} with ${away.join(', ')} away: ${res.message}`);
      } else if (!succeeds(res.status)) {
        const body = (await res.text()).slice(0, 200);
        problems.push(
          `${service}: GET ${path} with ${away.join(', ')} away answered ${res.status} ${body}`,
        );
      } else {
        await res.arrayBuffer();
        if (ms > timeoutMs) problems.push(`${service}: GET ${path} took ${ms} ms`);
      }
    }
    const draining = await statusWhileDraining(running, path);
    if (succeeds(draining)) {
      problems.push(`${service}: GET ${path} answered ${draining} while draining (still ready)`);
    }
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      running.exited,
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve('hung'), 15_000))),
    ]).finally(() => clearTimeout(timer));
    if (code !== 0) problems.push(`${service}: exit ${code} after SIGTERM:\n${running.output()}`);
  } finally {
    running.child.kill('SIGKILL');
  }
  return { problems, away };
}

/**
 * Probes that would ask someone else: an httpGet with a `host` (the kubelet
 * then asks that host, not the pod), or an exec naming another Service (say
 * `redis-cli -h redis ping`). Every readiness probe of the rendering, ours
 * and third-party alike, must ask only its own pod.
 */
export function foreignReadinessProbes(objects: readonly K8sObject[]): string[] {
  const services = new Set(objects.filter((o) => o.kind === 'Service').map((o) => o.metadata.name));
  return workloads(objects).flatMap((w) =>
    w.spec.template.spec.containers.flatMap((c) => {
      const probe = c.readinessProbe;
      if (!probe) return [];
      const where = `${w.metadata.name} ${c.name}`;
      if (probe.httpGet?.host !== undefined) return [`${where}: asks host ${probe.httpGet.host}`];
      const named = (probe.exec?.command ?? []).filter((arg) =>
        [...services].some((s) => s !== w.metadata.name && new RegExp(`\\b${s}\\b`).test(arg)),
      );
      return named.length > 0 ? [`${where}: runs ${probe.exec!.command.join(' ')}`] : [];
    }),
  );
}
