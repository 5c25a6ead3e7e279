import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { freePort } from '@friendly-calculator/common/testing';
import { repoRoot, waitForHealthy } from '../src/stack';

// Tracing switched on and nothing listening where spans go (a receiver not
// started yet, a typo in the endpoint): the service must say so once, without
// stack traces, and still stop promptly. Seen before: silence while running,
// ~9 s to stop and an ECONNREFUSED stack trace per service.

/** A port on which nothing listens: taken, then closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

it('when the OTLP endpoint refuses connections, then one warning line, no stack trace, and the service stops within 2 s', async () => {
  const [port, nowhere] = [await freePort(), await closedPort()];
  const child = spawn(process.execPath, [join(repoRoot(), 'maths', 'dist', 'server.js')], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      STATSD_PORT: String(await freePort()),
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${nowhere}`,
      // Batches every 100 ms, so several exports fail before the stop.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await waitForHealthy(`http://127.0.0.1:${port}`, 15_000);
  for (let i = 0; i < 5; i += 1) {
    await fetch(`http://127.0.0.1:${port}/add?x=1&y=${i}`);
    await new Promise((r) => setTimeout(r, 150));
  }
  // The last request's span is still in the batch: the stop tries to send it.
  await fetch(`http://127.0.0.1:${port}/add?x=2&y=2`);
  const stopping = Date.now();
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  const stopMs = Date.now() - stopping;

  const lines = output.trim().split('\n');
  const warnings = lines.filter((l) => /traces cannot be sent/.test(l));
  expect(warnings).toHaveLength(1);
  expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 'warn', service: 'maths' });
  expect(warnings[0]).toContain(`http://127.0.0.1:${nowhere}/v1/traces`);
  expect(output).not.toMatch(/\n\s+at /); // no stack trace
  expect(lines.filter((l) => /"level":"(error|fatal)"/.test(l))).toEqual([]);
  expect(stopMs).toBeLessThan(2000);
});
