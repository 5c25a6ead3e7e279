/**
 * `npm run bench:cpu`: what one page costs each service in CPU time, in
 * microseconds, for this build and (with `--before DIR`) another built
 * checkout, in the same run. Each stack's page is driven by autocannon in
 * short rounds, taking turns; each service's user + system CPU time is read
 * from /proc before and after every round (Linux only) and divided by the
 * pages served. CPU time per page moves far less with a busy machine than
 * requests per second do. A benchmark, not a test: it never fails on a time.
 *
 *   npm run bench:cpu -- --before DIR --rounds 12 --duration 3
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { repoRoot, SERVICES, startLocalStack, type LocalStack } from '../stack';

const { values: args } = parseArgs({
  options: {
    before: { type: 'string', default: '' },
    rounds: { type: 'string', default: '12' },
    duration: { type: 'string', default: '3' },
    connections: { type: 'string', default: '16' },
  },
});
const rounds = Number(args.rounds);
const duration = Number(args.duration);
const connections = Number(args.connections);
for (const [name, value] of Object.entries({ rounds, duration, connections })) {
  if (!(value > 0)) {
    process.stderr.write(`--${name} must be a positive number\n`);
    process.exit(2);
  }
}

/** Seconds of CPU (user + system) a process has used so far, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticksPerSecond = 100; // USER_HZ: 100 on every Linux architecture Node runs on
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

function pages(url: string): Promise<{ requests: number; seconds: number; errors: number }> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration, timeout: 10 }, (error, result) => {
      if (error) reject(error instanceof Error ? error : new Error(String(error)));
      else
        resolve({
          requests: result.requests.total,
          seconds: result.duration,
          errors: result.errors + result.timeouts + result.non2xx,
        });
    });
  });
}

interface Run {
  label: string;
  stack: LocalStack;
  requests: number;
  seconds: number;
  errors: number;
  cpu: Record<string, number>;
}

async function main(): Promise<void> {
  if (process.platform !== 'linux') throw new Error('bench:cpu reads /proc: Linux only');
  const root = repoRoot();
  const runs: Run[] = [];
  try {
    const roots = [root, ...(args.before ? [args.before] : [])];
    for (const [i, from] of roots.entries()) {
      const stack = await startLocalStack({
        env: { LOG_LEVEL: 'info' },
        root: from,
        logDir: join(root, 'integration-tests', 'artifacts', `logs-cpu-${i}`),
      });
      const cpu = Object.fromEntries(SERVICES.map((s) => [s, 0]));
      runs.push({
        label: i === 0 ? 'this build' : from,
        stack,
        requests: 0,
        seconds: 0,
        errors: 0,
        cpu,
      });
    }
    for (const run of runs) await pages(`${run.stack.urls['awesome-app']}/Bob/1/1`); // warm-up
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? runs : [...runs].reverse();
      for (const run of order) {
        const pids = SERVICES.map((s) => run.stack.pid(s)!);
        const before = pids.map(cpuSeconds);
        const sample = await pages(`${run.stack.urls['awesome-app']}/Bob/1/1`);
        SERVICES.forEach((s, i) => {
          run.cpu[s] = (run.cpu[s] ?? 0) + cpuSeconds(pids[i]!) - before[i]!;
        });
        run.requests += sample.requests;
        run.seconds += sample.seconds;
        run.errors += sample.errors;
        process.stderr.write(
          `round ${round + 1}/${rounds} ${run.label}: ${Math.round(sample.requests / sample.seconds)} pages/s\n`,
        );
      }
    }
  } finally {
    await Promise.all(runs.map((r) => r.stack.stop()));
  }
  const us = (run: Run, s: string) => Math.round((run.cpu[s]! / run.requests) * 1e6);
  const lines = [
    `| build | pages | pages/s | ${SERVICES.map((s) => `${s} µs/page`).join(' | ')} | sum µs/page | errors |`,
    `| --- | ---: | ---: | ${SERVICES.map(() => '---:').join(' | ')} | ---: | ---: |`,
    ...runs.map((run) => {
      const each = SERVICES.map((s) => us(run, s));
      return `| ${run.label} | ${run.requests} | ${Math.round(run.requests / run.seconds)} | ${each.join(' | ')} | ${each.reduce((a, b) => a + b, 0)} | ${run.errors} |`;
    }),
  ];
  process.stdout.write(
    `\n${lines.join('\n')}\n\n${connections} connections, ${rounds} rounds of ${duration} s per build, taking turns; Node ${process.version}.\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
