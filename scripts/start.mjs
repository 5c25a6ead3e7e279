#!/usr/bin/env node
// `npm start`: the whole friendly calculator on this machine, without Docker.
//
// 1. Builds the three services with `tsc -b` (incremental: only what changed).
// 2. Starts maths (5001), greetings (5002) and awesome-app (5000) as child
//    processes of this one, each line of their JSON logs printed readably
//    with the service's name in front.
// 3. Prints the address to open once every /healthz answers (and where
//    greetings keeps its counters: REDIS_URL, its password hidden).
//    The experiment's admin page is on for the session: greetings gets the
//    ADMIN_TOKEN you set (never printed), else a fresh random one, printed
//    once as a sign-in link (the link signs in and leaves the token's URL).
//    maths and greetings read the fault scenarios from the runtime flag file
//    flags/runtime.flagd.json (the one `npm run scenario` switches; git ignores
//    it), unless FLAGD_RESOLVER or FLAGD_OFFLINE_FLAG_SOURCE_PATH is set.
// 4. Ctrl-C (or SIGTERM) stops all three gracefully; if one of them dies,
//    the others are stopped too and this exits non-zero.
//
// The ports are the contract's (5000, 5001, 5002); MATHS_PORT, GREETINGS_PORT
// and AWESOME_APP_PORT move them (a second calculator beside a first, or a
// test on free ports), and the three services are pointed at each other there.
//
// Plain Node, no dependencies: it must work straight after `npm ci`.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A port from `variable`, or the contract's default; anything else ends here, before anything runs. */
function portFrom(variable, fallback) {
  const raw = process.env[variable]?.trim();
  if (!raw) return fallback;
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (port >= 1 && port <= 65535) return port;
  process.stdout.write(`[start] ${variable}=${raw}: expected a port from 1 to 65535\n`);
  process.exit(1);
}

/** Upstreams first: the page is ready as soon as it is healthy. Ports are the contract's. */
const SERVICES = [
  { name: 'maths', port: portFrom('MATHS_PORT', 5001), color: 36 },
  { name: 'greetings', port: portFrom('GREETINGS_PORT', 5002), color: 35 },
  { name: 'awesome-app', port: portFrom('AWESOME_APP_PORT', 5000), color: 32 },
];
const [MATHS, GREETINGS, PAGE] = SERVICES.map((s) => `http://localhost:${s.port}`);
const ADMIN = `${GREETINGS}/admin`;
// The user's ADMIN_TOKEN, or one for this session only (greetings needs 16+ characters).
const givenToken = process.env.ADMIN_TOKEN?.trim() ? process.env.ADMIN_TOKEN : undefined;
const adminToken = givenToken ?? randomBytes(24).toString('base64url');
const STOP_TIMEOUT_MS = 15_000;
// The fault scenarios (docs/scenarios.md): the switch's runtime file, unless
// the user points the services at flags (a file or a flagd) themselves.
const ownFlags = Boolean(
  process.env.FLAGD_RESOLVER?.trim() || process.env.FLAGD_OFFLINE_FLAG_SOURCE_PATH?.trim(),
);
const RUNTIME_FLAGS = join(ROOT, 'flags', 'runtime.flagd.json');
const flagsEnv = ownFlags
  ? {}
  : { FLAGD_RESOLVER: 'in-process', FLAGD_OFFLINE_FLAG_SOURCE_PATH: RUNTIME_FLAGS };

const useColor =
  process.env.FORCE_COLOR !== undefined ||
  (process.stdout.isTTY === true && process.env.NO_COLOR === undefined);
const paint = (code, text) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);
const width = Math.max(...SERVICES.map((s) => s.name.length), 'start'.length) + 2;
const tag = (name, color) => paint(color, `[${name}]`.padEnd(width));
const say = (message) => process.stdout.write(`${tag('start', 1)} ${message}\n`);

const LEVEL_COLORS = { trace: 90, debug: 90, info: 32, warn: 33, error: 31, fatal: 41 };

/**
 * One pino JSON line → `12:00:01 INFO  listening port=5001`. Requests get
 * `GET /Bob/1/1 200 12.3ms`. Anything that is not a JSON object is printed as is.
 */
function formatLine(line) {
  let log;
  try {
    log = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof log !== 'object' || log === null || Array.isArray(log)) return line;
  // eslint-disable-next-line no-unused-vars -- service, pid and hostname are dropped on purpose
  const { level, time, msg, service, pid, hostname, err, ...fields } = log;
  const when = typeof time === 'string' ? time.slice(11, 19) : '';
  const label = String(level ?? 'info');
  const parts = [paint(90, when), paint(LEVEL_COLORS[label] ?? 0, label.toUpperCase().padEnd(5))];
  if (msg === 'request' && 'method' in fields) {
    const { method, url, status, ms, ...rest } = fields;
    parts.push(`${method} ${url} ${status} ${ms}ms`, keyValues(rest));
  } else {
    parts.push(String(msg ?? ''), keyValues(fields));
  }
  let text = parts.filter((p) => p !== '').join(' ');
  if (err && typeof err === 'object') {
    text += ` ${paint(31, `${err.type ?? 'Error'}: ${err.message ?? ''}`)}`;
    if (typeof err.stack === 'string' && (label === 'error' || label === 'fatal')) {
      text += `\n${err.stack.split('\n').slice(1).join('\n')}`;
    }
  }
  return text;
}

function keyValues(fields) {
  return paint(
    90,
    Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' '),
  );
}

function build() {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) {
    say('TypeScript is not installed: run `npm ci` first.');
    process.exit(1);
  }
  say('building (tsc -b: only what changed since the last build)…');
  const names = SERVICES.map((s) => s.name);
  const result = spawnSync(process.execPath, [tsc, '-b', ...names], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    say('the build failed (see above): nothing was started.');
    process.exit(1);
  }
}

/** Fails early, with a hint, instead of letting one service die with EADDRINUSE. */
async function checkPortsFree() {
  const busy = [];
  for (const { name, port } of SERVICES) {
    const free = await new Promise((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '0.0.0.0', () => probe.close(() => resolve(true)));
    });
    if (!free) busy.push(`${port} (${name})`);
  }
  if (busy.length > 0) {
    say(
      `port ${busy.join(', ')} already in use: is the calculator already running (here or in Docker)? Stop it first.`,
    );
    process.exit(1);
  }
}

const children = new Map();
let stopping = false;

function start({ name, port, color }) {
  const child = spawn(process.execPath, [join(ROOT, name, 'dist', 'server.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      ...(name === 'greetings'
        ? { ADMIN_TOKEN: adminToken, AWESOME_APP_URL: process.env.AWESOME_APP_URL || PAGE }
        : {}),
      ...(name === 'awesome-app'
        ? {
            MATHS_URL: MATHS,
            GREETINGS_URL: GREETINGS,
            GREETINGS_PUBLIC_URL: process.env.GREETINGS_PUBLIC_URL || GREETINGS,
          }
        : flagsEnv),
      // Presenter mode: the Like comes through awesome-app on this machine,
      // which names the phone in X-Forwarded-For (docs/presenting.md).
      ...(name === 'greetings' && process.env.PUBLIC_URL && !process.env.TRUST_PROXY
        ? { TRUST_PROXY: 'loopback' }
        : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C reaches only this script, which then
    // stops each service exactly once, in order, and waits for it.
    detached: true,
  });
  const prefix = tag(name, color);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      process.stdout.write(`${prefix} ${formatLine(line).replaceAll('\n', `\n${prefix} `)}\n`);
    });
  }
  // 'close', not 'exit': by then every line it wrote has been printed.
  child.exited = new Promise((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  child.exited.then(({ code, signal }) => {
    children.delete(name);
    if (stopping) return;
    say(`${name} stopped unexpectedly (${signal ?? `exit code ${code}`}): stopping the others.`);
    void stopAll(1);
  });
  children.set(name, child);
}

async function stopAll(exitCode) {
  stopping = true;
  const running = [...children.values()];
  for (const child of running) child.kill('SIGTERM');
  const timer = setTimeout(() => {
    say(`still running after ${STOP_TIMEOUT_MS / 1000} s: killing.`);
    for (const child of children.values()) child.kill('SIGKILL');
  }, STOP_TIMEOUT_MS);
  await Promise.all(running.map((child) => child.exited));
  clearTimeout(timer);
  say('all stopped.');
  process.exit(exitCode);
}

async function waitUntilHealthy(deadlineMs = 30_000) {
  const deadline = Date.now() + deadlineMs;
  const pending = new Set(SERVICES);
  while (pending.size > 0) {
    if (stopping) return false;
    for (const service of [...pending]) {
      try {
        const res = await fetch(`http://127.0.0.1:${service.port}/healthz`, {
          signal: AbortSignal.timeout(500),
        });
        if (res.ok) pending.delete(service);
      } catch {
        // not listening yet
      }
    }
    if (pending.size === 0) break;
    if (Date.now() > deadline) {
      say(`${[...pending].map((s) => s.name).join(', ')} did not become healthy in time.`);
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

build();
// Built just now with the services; the same function greetings' log uses.
const { redactedUrl } = await import(pathToFileURL(join(ROOT, 'common', 'dist', 'redact.js')).href);
await checkPortsFree();

let signals = 0;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    signals += 1;
    if (signals > 1) {
      say('stopping now.');
      for (const child of children.values()) child.kill('SIGKILL');
      process.exit(1);
    }
    say(`${signal}: stopping maths, greetings and awesome-app (again to force)…`);
    void stopAll(0);
  });
}

// However this script ends (even by a bug), it leaves no service behind.
process.on('exit', () => {
  for (const child of children.values()) child.kill('SIGTERM');
});

for (const service of SERVICES) start(service);

// The switch asks maths and greetings whether they read it: on other ports, it must be told where.
const movedPorts = MATHS !== 'http://localhost:5001' || GREETINGS !== 'http://localhost:5002';
const scenarioCommand = `${movedPorts ? `MATHS_URL=${MATHS} GREETINGS_URL=${GREETINGS} ` : ''}npm run scenario -- on mathsSlow 1s`;

/** Presenter mode: the address phones reach, PUBLIC_URL, with `path`. */
const presentAt = (path) => `${process.env.PUBLIC_URL.trim().replace(/\/+$/, '')}${path}`;

if (await waitUntilHealthy()) {
  const store = process.env.REDIS_URL
    ? `Redis at ${redactedUrl(process.env.REDIS_URL)}`
    : 'in memory (set REDIS_URL to keep them)';
  say(
    [
      paint(1, `the friendly calculator is up: open ${PAGE}/Bob/1/1`),
      `  the form:  ${PAGE}`,
      `  maths:     ${MATHS}/add?x=1&y=1`,
      `  greetings: ${GREETINGS}/stats`,
      `  greetings' counters: ${store}`,
      givenToken
        ? `  the experiment's admin page: ${ADMIN}/sign-in (sign in with your ADMIN_TOKEN)`
        : `  the experiment's admin page: ${ADMIN}/sign-in?token=${adminToken} (this session's token: the link signs you in)`,
      ...(process.env.PUBLIC_URL?.trim()
        ? [
            `  presenting: ${presentAt('/present')} on the projector, phones join at ${presentAt('/join')} (docs/presenting.md)`,
          ]
        : []),
      ownFlags
        ? `  scenarios: as FLAGD_RESOLVER=${process.env.FLAGD_RESOLVER ?? ''} FLAGD_OFFLINE_FLAG_SOURCE_PATH=${process.env.FLAGD_OFFLINE_FLAG_SOURCE_PATH ?? ''} say (docs/scenarios.md)`
        : `  scenarios: read from flags/runtime.flagd.json, switched by \`${scenarioCommand}\` (docs/scenarios.md)`,
      '  metrics:   sent to StatsD at localhost:8125; to see them, run Graphite and Grafana',
      '             (`docker compose up -d graphite grafana`) and start with',
      '             GRAFANA_URL=http://localhost:3000 GRAPHITE_URL=http://localhost:8080 so the page links them',
      `  API:       ${MATHS}/docs/ and ${GREETINGS}/docs/ (maths and greetings in Swagger UI); docs/api.md`,
      '  Ctrl-C stops all three.',
    ].join(`\n${' '.repeat(width + 1)}`),
  );
} else if (!stopping) {
  await stopAll(1);
}
