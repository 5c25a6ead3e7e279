/**
 * `npm run bench`: requests/s, p50, p99 and errors for the page, greetings,
 * maths and a bare Express baseline, all measured in the same run on the
 * same machine, interleaved round by round so that noise from other work on
 * a shared machine hits every target alike. Prints ratios to the baseline.
 * A benchmark, not a test: it never fails on a time.
 *
 *   npm run bench                              # 16 connections, 5 rounds of 5 s
 *   npm run bench -- --duration 2 --rounds 1 --warmup 1   # a quick smoke
 *   npm run bench -- --tracing                 # + the page with OpenTelemetry exporting
 *   npm run bench -- --tracing --before DIR    # + the page from another built checkout
 *   npm run bench -- --history 1000            # + page, /experiments, /admin at 1 vs 1000 phases
 *   npm run bench -- --flags                   # + the page with the scenario flags read, all off
 *   npm run bench -- --node /usr/bin/node --node DIR/bin/node   # + the page on each Node binary
 *   npm run bench -- --streams 500 [--like-rate 10]   # + the page with 500 live streams open, Likes flowing
 *
 * `--tracing` starts a second stack with OTEL_EXPORTER_OTLP_ENDPOINT pointing
 * at an OTLP receiver in this process, and benches its page beside the page
 * of the normal stack (tracing off), round by round. `--before DIR` adds a
 * third stack run from DIR (e.g. a `git worktree` of a commit from before the
 * tracing work, `npm ci && npm run build` there), to show what tracing off
 * costs against no tracing code at all. `--history N` starts a stack whose
 * greetings has run N phases (bench/history.ts) and benches the routes that
 * show history there and on the normal stack (one phase), with their sizes.
 * `--flags` starts a stack that reads flags/scenarios.flagd.json through
 * OpenFeature and the flagd provider (every flag off), to show what reading
 * the scenario flags costs the page against not reading them at all.
 * `--node PATH` (repeatable) starts a stack whose three services run on that
 * `node` binary, and a bare Express hello on it, for each binary given, and
 * prints their page and hello as ratios to the first binary (bench/nodes.ts).
 * `--streams N` starts a stack with N presenter-mode streams open on its
 * awesome-app (`/present/events`, held by another process:
 * bench/streams-load.ts) and, only while its page is measured, `--like-rate`
 * Likes a second (default 10) that every stream hears; its page is printed
 * as a ratio to the normal stack's page (no streams, no Likes).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startOtlpReceiver, type OtlpReceiver } from '../otlp-receiver';
import { answerSizes, BENCH_ADMIN_TOKEN, historyTargets, seedPhases } from './history';
import { nodeBinaries, nodeHelloTarget, nodePageTarget, nodeTable, type NodeBinary } from './nodes';
import { repoRoot, startLocalStack, type LocalStack } from '../stack';

interface Target {
  name: string;
  url: string;
  headers?: Record<string, string>;
  /** Work that runs only while this target is measured (--streams' Likes). */
  during?: { on(): void; off(): Promise<void> };
}

interface Sample {
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  errors: number;
}

const USAGE = `usage: npm run bench -- [--duration S] [--rounds N] [--connections N] [--warmup S]
       [--out DIR] [--tracing] [--before DIR] [--history N] [--flags] [--node PATH]...
       [--streams N [--like-rate R]]
       (--node is repeatable: the page on each Node binary, as ratios to the first; docs/performance.md)\n`;
const OPTIONS = {
  duration: { type: 'string', default: '5' },
  rounds: { type: 'string', default: '5' },
  connections: { type: 'string', default: '16' },
  warmup: { type: 'string', default: '3' },
  out: { type: 'string', default: '' },
  tracing: { type: 'boolean', default: false },
  before: { type: 'string', default: '' },
  history: { type: 'string', default: '' },
  flags: { type: 'boolean', default: false },
  node: { type: 'string', multiple: true },
  streams: { type: 'string', default: '' },
  'like-rate': { type: 'string', default: '10' },
  help: { type: 'boolean', default: false },
} as const;
const { values: args } = parseArgsOrUsage();
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

/** parseArgs, with an unknown or malformed option said in one line and the usage, not a stack trace. */
function parseArgsOrUsage() {
  try {
    return parseArgs({ options: OPTIONS });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

/** A positive number from the command line, or a clear message and exit code 2. */
function positive(name: string, text: string, integer = false): number {
  const value = Number(text);
  if (!(value > 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    process.stderr.write(
      `--${name} must be a positive ${integer ? 'whole ' : ''}number (got ${JSON.stringify(text)})\n`,
    );
    process.exit(2);
  }
  return value;
}
const duration = positive('duration', args.duration);
const rounds = positive('rounds', args.rounds, true);
const connections = positive('connections', args.connections, true);
const warmup = positive('warmup', args.warmup);
const history = args.history ? positive('history', args.history, true) : 0;
const binaries = nodeBinariesOrUsage(args.node ?? []);
const streams = args.streams ? positive('streams', args.streams, true) : 0;
const likeRate = positive('like-rate', args['like-rate']);

/** The --node binaries, or the one that does not run said in one line, with the usage. */
function nodeBinariesOrUsage(paths: string[]): NodeBinary[] {
  const found = nodeBinaries(paths);
  if ('error' in found) {
    process.stderr.write(`${found.error}\n${USAGE}`);
    process.exit(2);
  }
  return found;
}

async function startBaseline(
  root: string,
  node = process.execPath,
): Promise<{ url: string; stop: () => void }> {
  const child = spawn(node, [join(root, 'integration-tests/dist/bench/hello-server.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (line: Buffer) =>
      resolve((JSON.parse(line.toString()) as { port: number }).port),
    );
    child.once('exit', () => reject(new Error('baseline server exited')));
  });
  return { url: `http://127.0.0.1:${port}/`, stop: () => child.kill('SIGTERM') };
}

/** --streams' other process: N streams open, Likes while told `on` (bench/streams-load.ts). */
async function startStreams(stack: LocalStack, root: string) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [
    join(root, 'integration-tests/dist/bench/streams-load.js'),
    stack.urls['awesome-app'],
    stack.urls.greetings,
    String(streams),
    String(likeRate),
  ]);
  child.stderr.pipe(process.stderr);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error('the streams process exited');
    return line.value;
  };
  const first = await next();
  if (first !== 'ready') throw new Error(`the streams process said ${first}`);
  const periods: {
    seconds: number;
    likes: number;
    failed: number;
    events: number;
    open: number;
  }[] = [];
  return {
    periods,
    during: {
      on: () => child.stdin.write('on\n'),
      off: async () => {
        child.stdin.write('off\n');
        periods.push(JSON.parse(await next()) as (typeof periods)[number]);
      },
    },
    stop: () => child.stdin.write('exit\n'),
  };
}

async function measure(target: Target, seconds: number): Promise<Sample> {
  target.during?.on();
  try {
    return await autocannonRun(target, seconds);
  } finally {
    await target.during?.off();
  }
}

function autocannonRun(target: Target, seconds: number): Promise<Sample> {
  return new Promise((resolve, reject) => {
    autocannon(
      { url: target.url, headers: target.headers, connections, duration: seconds, timeout: 10 },
      (error, result) => {
        if (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        resolve({
          requests: result.requests.total,
          seconds: result.duration,
          p50: result.latency.p50,
          p99: result.latency.p99,
          errors: result.errors + result.timeouts + result.non2xx,
        });
      },
    );
  });
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main(): Promise<void> {
  const root = repoRoot();
  // ADMIN_TOKEN only for --history, whose targets include the admin page.
  const stack = await startLocalStack({
    env: { LOG_LEVEL: 'info', ...(history ? { ADMIN_TOKEN: BENCH_ADMIN_TOKEN } : {}) },
  });
  const baseline = await startBaseline(root);
  const extraStacks: LocalStack[] = [];
  let receiver: OtlpReceiver | undefined;
  const pageTargets: Target[] = [];
  if (args.tracing) {
    receiver = await startOtlpReceiver();
    const traced = await startLocalStack({
      env: { LOG_LEVEL: 'info', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
      logDir: join(root, 'integration-tests', 'artifacts', 'logs-traced'),
    });
    extraStacks.push(traced);
    pageTargets.push({
      name: 'page /Bob/1/1, tracing ON (OTLP to a local receiver)',
      url: `${traced.urls['awesome-app']}/Bob/1/1`,
    });
  }
  if (args.flags) {
    const flagged = await startLocalStack({
      env: {
        LOG_LEVEL: 'info',
        FLAGD_RESOLVER: 'in-process',
        FLAGD_OFFLINE_FLAG_SOURCE_PATH: join(root, 'flags', 'scenarios.flagd.json'),
      },
      logDir: join(root, 'integration-tests', 'artifacts', 'logs-flags'),
    });
    extraStacks.push(flagged);
    pageTargets.push({
      name: 'page /Bob/1/1, scenario flags read (all off)',
      url: `${flagged.urls['awesome-app']}/Bob/1/1`,
    });
  }
  if (args.before) {
    const before = await startLocalStack({
      env: { LOG_LEVEL: 'info' },
      root: args.before,
      logDir: join(root, 'integration-tests', 'artifacts', 'logs-before'),
    });
    extraStacks.push(before);
    pageTargets.push({
      name: `page /Bob/1/1, the build in ${args.before}`,
      url: `${before.urls['awesome-app']}/Bob/1/1`,
    });
  }
  const baselines = [baseline];
  const nodeTargets: Target[] = [];
  for (const [i, binary] of binaries.entries()) {
    const onNode = await startLocalStack({
      env: { LOG_LEVEL: 'info' },
      node: binary.path,
      logDir: join(root, 'integration-tests', 'artifacts', `logs-node-${i + 1}`),
    });
    extraStacks.push(onNode);
    const hello = await startBaseline(root, binary.path);
    baselines.push(hello);
    nodeTargets.push(
      { name: nodePageTarget(binary), url: `${onNode.urls['awesome-app']}/Bob/1/1` },
      { name: nodeHelloTarget(binary), url: hello.url },
    );
  }
  let room: Awaited<ReturnType<typeof startStreams>> | undefined;
  const streamTargets: Target[] = [];
  if (streams) {
    const watched = await startLocalStack({
      env: { LOG_LEVEL: 'info', LIVE_MAX_CONNECTIONS: String(streams + 10) },
      logDir: join(root, 'integration-tests', 'artifacts', 'logs-streams'),
    });
    extraStacks.push(watched);
    process.stderr.write(`opening ${streams} live streams...\n`);
    room = await startStreams(watched, root);
    streamTargets.push({
      name: `page /Bob/1/1, ${streams} live streams open, ${likeRate} Likes/s`,
      url: `${watched.urls['awesome-app']}/Bob/1/1`,
      during: room.during,
    });
  }
  const historyPairs: [Target, Target][] = [];
  if (history) {
    const long = await startLocalStack({
      env: { LOG_LEVEL: 'info', ADMIN_TOKEN: BENCH_ADMIN_TOKEN },
      logDir: join(root, 'integration-tests', 'artifacts', 'logs-history'),
    });
    extraStacks.push(long);
    await seedPhases(long.urls.greetings, history);
    const one = historyTargets(stack.urls, 1);
    const many = historyTargets(long.urls, history);
    one.forEach((t, i) => historyPairs.push([t, many[i]!]));
  }
  const targets: Target[] = [
    { name: 'baseline: bare Express hello', url: baseline.url },
    { name: 'page /Bob/1/1', url: `${stack.urls['awesome-app']}/Bob/1/1` },
    {
      name: 'greetings /greeting/Bob (JSON)',
      url: `${stack.urls.greetings}/greeting/Bob`,
      headers: { accept: 'application/json' },
    },
    { name: 'maths /add?x=1&y=1', url: `${stack.urls.maths}/add?x=1&y=1` },
    ...pageTargets,
    ...streamTargets,
    ...nodeTargets,
    ...historyPairs.flat(),
  ];
  const sizes = await answerSizes(historyPairs.flat());
  const samples = new Map<string, Sample[]>(targets.map((t) => [t.name, []]));
  try {
    // Warm-up, not counted: JIT compilation, connection pools, Redis.
    for (const target of targets) await measure(target, warmup);
    for (let round = 1; round <= rounds; round++) {
      // Each round starts one target further on, so that no target always
      // follows the same neighbour (or always runs first after a pause).
      const order = targets.map((_, i) => targets[(i + round - 1) % targets.length]!);
      for (const target of order) {
        const sample = await measure(target, duration);
        samples.get(target.name)!.push(sample);
        process.stderr.write(
          `round ${round}/${rounds} ${target.name}: ${Math.round(sample.requests / sample.seconds)} req/s, p99 ${sample.p99} ms, errors ${sample.errors}\n`,
        );
      }
    }
  } finally {
    room?.stop();
    for (const b of baselines) b.stop();
    await Promise.all([stack, ...extraStacks].map((s) => s.stop()));
    await receiver?.close();
  }

  const rows = targets.map((t) => {
    const s = samples.get(t.name)!;
    const requests = s.reduce((sum, x) => sum + x.requests, 0);
    const seconds = s.reduce((sum, x) => sum + x.seconds, 0);
    return {
      target: t.name,
      requestsPerSecond: Math.round(requests / seconds),
      p50: median(s.map((x) => x.p50)),
      p99: median(s.map((x) => x.p99)),
      errors: s.reduce((sum, x) => sum + x.errors, 0),
    };
  });
  const base = rows[0]!.requestsPerSecond;
  const withRatio = rows.map((r) => ({
    ...r,
    ratio: Math.round((r.requestsPerSecond / base) * 1000) / 1000,
  }));
  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}`;
  const settings = `${connections} connections, ${rounds} interleaved rounds of ${duration} s per target after a ${warmup} s warm-up`;

  const table = [
    '| target | requests/s | ratio to baseline | p50 ms | p99 ms | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...withRatio.map(
      (r) =>
        `| ${r.target} | ${r.requestsPerSecond} | ${r.ratio.toFixed(3)}× | ${r.p50} | ${r.p99} | ${r.errors} |`,
    ),
  ].join('\n');
  // The pages of the other stacks against the page of the normal one (tracing off).
  const page = withRatio[1]!;
  const pageTable =
    pageTargets.length === 0
      ? ''
      : [
          '',
          `| the page, against "${page.target}" (tracing off) | requests/s | ratio | p50 ms | p99 ms |`,
          '| --- | ---: | ---: | ---: | ---: |',
          ...withRatio
            .filter((r) => r === page || pageTargets.some((t) => t.name === r.target))
            .map(
              (r) =>
                `| ${r.target} | ${r.requestsPerSecond} | ${(r.requestsPerSecond / page.requestsPerSecond).toFixed(3)}× | ${r.p50} | ${r.p99} |`,
            ),
          ...(receiver
            ? ['', `The receiver got ${receiver.contentTypes.length} OTLP batches.`]
            : []),
        ].join('\n');
  const rate = (name: string) => withRatio.find((r) => r.target === name)!;
  const flowed = (room?.periods ?? []).slice(1); // the first is the warm-up: not counted
  const total = (k: 'seconds' | 'likes' | 'failed' | 'events') =>
    flowed.reduce((sum, p) => sum + p[k], 0);
  const streamsTable =
    streamTargets.length === 0
      ? ''
      : [
          '',
          `| the page, against "${page.target}" (no streams) | requests/s | ratio | p50 ms | p99 ms |`,
          '| --- | ---: | ---: | ---: | ---: |',
          ...[page, rate(streamTargets[0]!.name)].map(
            (r) =>
              `| ${r.target} | ${r.requestsPerSecond} | ${(r.requestsPerSecond / page.requestsPerSecond).toFixed(3)}× | ${r.p50} | ${r.p99} |`,
          ),
          '',
          `While that page was measured: ${(total('likes') / total('seconds')).toFixed(1)} Likes/s counted (${total('failed')} failed), ${Math.round(total('events') / total('seconds'))} events/s received over the ${streams} streams (${Math.min(...flowed.map((p) => p.open))} open at the least). The streams' clients run in another process on the same machine.`,
        ].join('\n');
  const historyTable =
    historyPairs.length === 0
      ? ''
      : [
          '',
          `| route | 1 phase req/s | ${history} phases req/s | ratio | 1 phase bytes | ${history} phases bytes |`,
          '| --- | ---: | ---: | ---: | ---: | ---: |',
          ...historyPairs.map(([a, b]) => {
            const [ra, rb] = [rate(a.name), rate(b.name)];
            return `| ${a.name.replace(/^history: |, 1 phase$/g, '')} | ${ra.requestsPerSecond} | ${rb.requestsPerSecond} | ${(rb.requestsPerSecond / ra.requestsPerSecond).toFixed(3)}× | ${sizes.get(a.name)} | ${sizes.get(b.name)} |`;
          }),
        ].join('\n');
  const markdown = `${table}\n${pageTable}${streamsTable}${historyTable}${nodeTable(binaries, withRatio)}\n\nMeasured ${new Date().toISOString().slice(0, 10)} on ${machine}; ${settings}; everything (load generator, Redis, services) on the same machine.\n`;
  process.stdout.write(`\n${markdown}`);

  const out = args.out || join(root, 'integration-tests', 'bench-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'bench.json'),
    `${JSON.stringify({ date: new Date().toISOString(), machine, connections, rounds, duration, results: withRatio }, null, 2)}\n`,
  );
  writeFileSync(join(out, 'bench.md'), markdown);
  process.stderr.write(`wrote ${join(out, 'bench.json')} and bench.md\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
