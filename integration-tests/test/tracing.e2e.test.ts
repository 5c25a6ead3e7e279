import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../src/otlp-receiver';
import { repoRoot, startLocalStack, type LocalStack, type ServiceName } from '../src/stack';

// OpenTelemetry with the three real service processes, exporting over OTLP to
// a receiver this test runs (no Jaeger here): one page is one trace.

const INTERNAL = 1;
const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;

let logDir: string;
beforeAll(() => {
  // Kept after the run (integration-tests/artifacts, like the other suites' logs) to read on a failure.
  logDir = join(repoRoot(), 'integration-tests', 'artifacts', 'tracing-logs');
  rmSync(logDir, { recursive: true, force: true });
});

async function withStack(
  env: Record<string, string>,
  run: (stack: LocalStack, receiver: OtlpReceiver) => Promise<void>,
): Promise<void> {
  const receiver = await startOtlpReceiver();
  const stack = await startLocalStack({
    logDir,
    env: {
      LOG_LEVEL: 'info',
      // Send batches every 100 ms instead of every 5 s, so the test is quick.
      OTEL_BSP_SCHEDULE_DELAY: '100',
      ...Object.fromEntries(
        Object.entries(env).map(([k, v]) => [k, v.replace('RECEIVER', receiver.url)]),
      ),
    },
  }).catch(async (error: unknown) => {
    await receiver.close();
    throw error;
  });
  try {
    await run(stack, receiver);
  } finally {
    await stack.stop();
    await receiver.close();
  }
}

async function loadPage(
  stack: LocalStack,
  path = '/Bob/1/1',
): Promise<{ traceId: string; spanId: string }> {
  const res = await fetch(`${stack.urls['awesome-app']}${path}`);
  expect(res.status).toBe(200);
  const [, traceId = '', spanId = ''] = (res.headers.get('traceresponse') ?? '').split('-');
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  return { traceId, spanId };
}

function logLines(service: ServiceName, traceId: string): Record<string, unknown>[] {
  return readFileSync(join(logDir, `${service}.log`), 'utf8')
    .split('\n')
    .filter((l) => l.includes(traceId))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('tracing on (OTLP http/json)', () => {
  it('when a page is loaded, then it is one trace: page span, two upstream calls under it, each service handler under its call, Redis under greetings, each operation under maths', async () => {
    await withStack(
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'RECEIVER', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
      async (stack, receiver) => {
        const { traceId, spanId } = await loadPage(stack);
        const ofTrace = (spans: ReceivedSpan[]) => spans.filter((s) => s.traceId === traceId);
        const one = (spans: ReceivedSpan[], what: Partial<ReceivedSpan>) => {
          const found = spans.filter((s) =>
            Object.entries(what).every(([k, v]) => s[k as keyof ReceivedSpan] === v),
          );
          expect(found).toHaveLength(1);
          return found[0]!;
        };
        // The page span ends last, after both handlers' and Redis' spans.
        await receiver.waitFor((all) =>
          ofTrace(all).some((s) => s.service === 'awesome-app' && s.kind === SERVER),
        );
        // The page, its two calls, the two handlers, one Redis script and four operations.
        await receiver.waitFor((all) => ofTrace(all).length >= 10);
        const spans = ofTrace(receiver.spans);

        // The page: a root span named after its route, and the id the visitor got back.
        const page = one(spans, { service: 'awesome-app', kind: SERVER });
        expect(page.name).toBe('GET /:name/:x/:y');
        expect(page.parentSpanId).toBeUndefined();
        expect(page.spanId).toBe(spanId);

        // Its two upstream calls, children of the page span.
        const calls = spans.filter((s) => s.service === 'awesome-app' && s.kind === CLIENT);
        expect(calls).toHaveLength(2);
        for (const call of calls) expect(call.parentSpanId).toBe(page.spanId);

        // Each service's handler under the call that reached it, named by route.
        const greetings = one(spans, { service: 'greetings', kind: SERVER });
        const maths = one(spans, { service: 'maths', kind: SERVER });
        expect(greetings.name).toBe('GET /greeting/:name');
        expect(maths.name).toBe('GET /calculate');
        // Its query as the request logs show it: the names, never the values.
        expect(String(maths.attributes['url.query']).split('&').sort()).toEqual(['ops', 'x', 'y']);
        expect(calls.map((c) => c.spanId).sort()).toEqual(
          [greetings.parentSpanId, maths.parentSpanId].sort(),
        );

        // greetings' Redis script (ioredis EVALSHA) under greetings' handler, without its arguments.
        const script = one(spans, { service: 'greetings', name: 'evalsha' });
        expect(script.parentSpanId).toBe(greetings.spanId);
        expect(script.attributes['db.system.name']).toBe('redis');
        expect(String(script.attributes['db.query.text'])).toMatch(/^evalsha [0-9a-f]{40}$/);

        // maths: one span per operation the page asked for, under maths' handler.
        const operations = spans.filter((s) => s.service === 'maths' && s.kind === INTERNAL);
        expect(operations.map((s) => s.name).sort()).toEqual(
          ['maths.add', 'maths.divide', 'maths.multiply', 'maths.subtract'].sort(),
        );
        for (const op of operations) {
          expect(op.parentSpanId).toBe(maths.spanId);
          expect(`maths.${String(op.attributes['maths.operation'])}`).toBe(op.name);
          expect(op.status).not.toBe(ERROR);
        }

        // A division by zero: its operation's span is an error, the others are not.
        const byZero = await loadPage(stack, '/Bob/1/0');
        await receiver.waitFor(
          (all) =>
            all.filter((s) => s.traceId === byZero.traceId && s.kind === INTERNAL).length >= 4,
        );
        const zeroOps = receiver.spans.filter(
          (s) => s.traceId === byZero.traceId && s.kind === INTERNAL,
        );
        expect(zeroOps.find((s) => s.name === 'maths.divide')?.status).toBe(ERROR);
        expect(zeroOps.filter((s) => s.status === ERROR)).toHaveLength(1);

        // Never a raw path (the name "Bob") in a span name.
        for (const s of spans) expect(s.name).not.toContain('Bob');

        // The log lines carry the OpenTelemetry ids: one id per request, not two.
        const lines = (service: ServiceName) => logLines(service, traceId);
        // Logs are written in batches (up to 100 ms, longer on a busy machine): wait for them.
        const logDeadline = Date.now() + 5000;
        while (
          (['awesome-app', 'greetings', 'maths'] as const).some((s) => lines(s).length === 0) &&
          Date.now() < logDeadline
        )
          await new Promise((r) => setTimeout(r, 100));
        expect(lines('awesome-app').map((l) => l.span_id)).toContain(page.spanId);
        expect(lines('greetings').length).toBeGreaterThan(0);
        for (const l of lines('greetings')) expect(l.span_id).toBe(greetings.spanId);
        for (const l of lines('maths')) expect(l.span_id).toBe(maths.spanId);
        expect(lines('maths').length).toBeGreaterThan(0);
      },
    );
  });
});

describe('tracing on (OTLP http/protobuf, the default protocol)', () => {
  it('when a page is loaded, then protobuf batches reach the receiver, and health checks make no spans', async () => {
    await withStack({ OTEL_EXPORTER_OTLP_ENDPOINT: 'RECEIVER' }, async (stack, receiver) => {
      await loadPage(stack);
      const deadline = Date.now() + 10_000;
      while (!receiver.contentTypes.includes('application/x-protobuf')) {
        if (Date.now() > deadline) throw new Error('no protobuf batch arrived');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(receiver.contentTypes.every((t) => t === 'application/x-protobuf')).toBe(true);
    });
  });
});

describe('tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it('when pages are loaded and the services stop, then nothing at all reaches the receiver', async () => {
    let receiver: OtlpReceiver | undefined;
    // The receiver runs, but nothing tells the services about it.
    await withStack({}, async (stack, r) => {
      receiver = r;
      await loadPage(stack);
      await loadPage(stack);
    });
    // The stack has stopped: a batch would have been flushed on the way out.
    expect(receiver?.contentTypes).toEqual([]);
  });

  it('when a service starts, then not one OpenTelemetry module is loaded', async () => {
    // The real start-up order of server.ts: the tracing module, then the app and its modules.
    const root = repoRoot();
    const script = `
      require(${JSON.stringify(join(root, 'greetings/dist/tracing.js'))});
      require(${JSON.stringify(join(root, 'greetings/dist/compose.js'))});
      require(${JSON.stringify(join(root, 'awesome-app/dist/app.js'))});
      const loaded = Object.keys(require.cache).filter((f) => f.includes('@opentelemetry'));
      process.stdout.write(JSON.stringify(loaded));`;
    const run = (env: Record<string, string>) =>
      promisify(execFile)(process.execPath, ['-e', script], {
        env: { PATH: process.env.PATH, ...env },
      });
    const off = await run({});
    expect(JSON.parse(off.stdout)).toEqual([]);
    // The same check sees OpenTelemetry when it is on (so it can tell the difference).
    const on = await run({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    expect((JSON.parse(on.stdout) as string[]).length).toBeGreaterThan(0);
  });
});
