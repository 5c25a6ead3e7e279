import {
  createNullMetrics,
  runWithTrace,
  silentLogger,
  withTimeout,
  type Metrics,
} from '@friendly-calculator/common';
import { freePort } from '@friendly-calculator/common/testing';
import type { RequestListener } from 'node:http';
import { createApp as createMathsApp } from '../../../maths/src/app';
import { createGreetingsClient } from '../../src/clients/greetings';
import { createMathsClient } from '../../src/clients/maths';
import { createUpstream, MAX_BODY_BYTES, type Upstream } from '../../src/clients/upstream';
import { recordingMetrics } from '../recording-metrics';
import { listen, listenAndHang, type TestServer } from '../servers';

// The clients against real HTTP servers on free ports: no HTTP mocking.
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  // Pools first, so the servers have no keep-alive sockets left to wait for.
  const all = opened.splice(0).reverse();
  for (const thing of all) await thing.close();
});

async function serve(handler: RequestListener): Promise<TestServer> {
  const server = await listen(handler);
  opened.push(server);
  return server;
}

function upstream(baseUrl: string, timeoutMs = 1000, metrics: Metrics = createNullMetrics()) {
  const u = createUpstream({ name: 'maths', baseUrl, timeoutMs, metrics });
  opened.push(u);
  return u;
}

const json =
  (status: number, body: string): RequestListener =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  };

const anything = (json: unknown) => json;

describe('maths client, against the real maths app', () => {
  let maths: TestServer;
  beforeEach(async () => {
    maths = await serve(createMathsApp({ logger: silentLogger(), metrics: createNullMetrics() }));
  });

  it('when adding 1 and 1, then the result is 2', async () => {
    const client = createMathsClient(upstream(maths.url));
    expect((await client.calculateAll(1, 1)).add).toEqual({ ok: true, value: 2 });
  });

  it('when dividing by zero, then maths’ reason comes back as rejected', async () => {
    const client = createMathsClient(upstream(maths.url));
    expect((await client.calculateAll(1, 0)).divide).toEqual({
      ok: false,
      kind: 'rejected',
      status: 422,
      message: 'Division by zero: y must not be 0 when dividing',
    });
  });

  it('when a number prints with an exponent (1e+21), then the + survives the query string', async () => {
    const client = createMathsClient(upstream(maths.url));
    expect((await client.calculateAll(1e21, 1)).add).toEqual({ ok: true, value: 1e21 });
  });

  it('when the page asks many times, then keep-alive connections carry the calls', async () => {
    const client = createMathsClient(upstream(maths.url));
    for (let i = 0; i < 20; i++) await client.calculateAll(i, 2);
    // undici may open a second socket while the first is being released; never one per call.
    expect(maths.connections()).toBeLessThanOrEqual(2);
  });
});

describe('greetings client', () => {
  it('when greetings answers, then name is encoded and the greeting read', async () => {
    let path = '';
    const server = await serve((req, res) => {
      path = String(req.url);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"greeting":"Hello Zoë","variant":"hello","strategy":"explore","impression":"abc"}');
    });
    const client = createGreetingsClient(upstream(server.url));
    expect(await client.greet('Zoë/1')).toEqual({
      ok: true,
      value: { greeting: 'Hello Zoë', variant: 'hello', strategy: 'explore', impression: 'abc' },
    });
    expect(path).toBe('/greeting/Zo%C3%AB%2F1');
  });

  it('when the body arrives in pieces that split a character, then it is read whole', async () => {
    const body = Buffer.from(
      '{"greeting":"Grüß dich Zoë","variant":"gruss","strategy":"explore","impression":"abc"}',
    );
    const cut = body.indexOf('ü') + 1; // between the two bytes of ü
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(body.subarray(0, cut));
      setTimeout(() => res.end(body.subarray(cut)), 20);
    });
    const client = createGreetingsClient(upstream(server.url));
    expect(await client.greet('Zoë')).toMatchObject({
      ok: true,
      value: { greeting: 'Grüß dich Zoë', variant: 'gruss' },
    });
  });

  it('when the experiment has a surprising shape, then the greeting comes without it', async () => {
    const server = await serve(
      json(
        200,
        '{"greeting":"Hello Bob","variant":"hello","strategy":"exploit","impression":"abc","experiment":{"epsilon":0.1,"variants":[{"variant":"hello"}]}}',
      ),
    );
    const client = createGreetingsClient(upstream(server.url));
    expect(await client.greet('Bob')).toEqual({
      ok: true,
      value: { greeting: 'Hello Bob', variant: 'hello', strategy: 'exploit', impression: 'abc' },
    });
  });
});

describe('an upstream that misbehaves', () => {
  it('when it accepts the connection but never answers, then the call fails within the timeout', async () => {
    const hanging = await listenAndHang();
    opened.push(hanging);
    const started = Date.now();
    const outcome = await upstream(hanging.url, 200).getJson('/add', anything);
    const elapsed = Date.now() - started;
    expect(outcome).toEqual({
      ok: false,
      kind: 'unavailable',
      message: 'maths did not answer within 200 ms',
    });
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(600);
  });

  it('when the deadline passes, then the request is aborted: the upstream sees its connection closed', async () => {
    const hanging = await listenAndHang();
    opened.push(hanging);
    const outcome = await upstream(hanging.url, 200).getJson('/add', anything);
    expect(outcome).toMatchObject({ ok: false, message: 'maths did not answer within 200 ms' });
    const carried = hanging.firstRequestClosed();
    expect(carried).toBeDefined();
    await expect(withTimeout(carried!, 2000, 'the socket stayed open')).resolves.toBeUndefined();
  });

  it('when it sends headers but never finishes the body, then the call still fails within the timeout', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"result":');
    });
    const started = Date.now();
    const outcome = await upstream(server.url, 200).getJson('/add', anything);
    expect(outcome).toMatchObject({ ok: false, message: 'maths did not answer within 200 ms' });
    expect(Date.now() - started).toBeLessThan(600);
  });

  it('when nothing listens, then it says the service is not running', async () => {
    const port = await freePort();
    expect(await upstream(`http://127.0.0.1:${port}`).getJson('/add', anything)).toEqual({
      ok: false,
      kind: 'unavailable',
      message: 'maths is not running (connection refused)',
    });
  });

  it.each([
    [500, '{"error":"boom"}', 'maths answered with status 500'],
    [200, 'not json', 'maths answered with something unexpected'],
    [404, '{"error":"Not found"}', 'maths answered 404 Not Found for /add (is its URL right?)'],
  ])('when it answers %d %s, then: %s', async (status, body, message) => {
    const server = await serve(json(status, body));
    expect(await upstream(server.url).getJson('/add', anything)).toEqual({
      ok: false,
      kind: 'unavailable',
      message,
    });
  });

  it('when a call fails, then upstream.<name>.errors is counted and every call is timed', async () => {
    const metrics = recordingMetrics();
    const ok = await serve(json(200, '{}'));
    const broken = await serve(json(503, '{}'));
    await upstream(ok.url, 1000, metrics).getJson('/x', anything);
    await upstream(broken.url, 1000, metrics).getJson('/x', anything);
    expect(metrics.calls).toEqual([
      'timing:upstream.maths.latency',
      'increment:upstream.maths.errors',
      'timing:upstream.maths.latency',
    ]);
  });
});

describe('an answer larger than MAX_BODY_BYTES (64 KiB)', () => {
  /** A JSON object of exactly `bytes` bytes. */
  const jsonOf = (bytes: number) => `{"pad":"${'x'.repeat(bytes - 10)}"}`;

  it('when the body is exactly 64 KiB, then it is read', async () => {
    expect(jsonOf(MAX_BODY_BYTES)).toHaveLength(MAX_BODY_BYTES);
    const server = await serve(json(200, jsonOf(MAX_BODY_BYTES)));
    expect(await upstream(server.url).getJson('/x', anything)).toMatchObject({ ok: true });
  });

  it('when the body is one byte more, then the call fails as unavailable and is counted', async () => {
    const metrics = recordingMetrics();
    const server = await serve(json(200, jsonOf(MAX_BODY_BYTES + 1)));
    expect(await upstream(server.url, 1000, metrics).getJson('/x', anything)).toEqual({
      ok: false,
      kind: 'unavailable',
      message: 'maths answered with more than 64 KiB',
    });
    expect(metrics.calls).toEqual([
      'increment:upstream.maths.errors',
      'timing:upstream.maths.latency',
    ]);
  });

  it('when a server streams a body without end, then the call fails at once and the request is aborted', async () => {
    let sent = 0;
    let closed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.on('close', () => closed());
      const chunk = Buffer.alloc(16 * 1024, 'x');
      // Writes as fast as the client reads, until the client hangs up.
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
        if (!res.destroyed) res.once('drain', pump);
      };
      res.write('{"pad":"');
      pump();
    });
    // A deadline far away: only the size limit can end this call.
    const outcome = await upstream(server.url, 10_000).getJson('/x', anything);
    expect(outcome).toEqual({
      ok: false,
      kind: 'unavailable',
      message: 'maths answered with more than 64 KiB',
    });
    await expect(
      withTimeout(connectionClosed, 2000, 'the server kept sending'),
    ).resolves.toBeUndefined();
    // What the server managed to push is what sat in socket buffers, not megabytes read.
    expect(sent).toBeLessThan(16 * 1024 * 1024);
  });
});

describe('a base URL with a path', () => {
  it('when GREETINGS_URL has a path prefix, then calls go under it', async () => {
    let path = '';
    const server = await serve((req, res) => {
      path = String(req.url);
      res.end('{}');
    });
    const u: Upstream = upstream(`${server.url}/behind/a/proxy`);
    await u.getJson('/healthz', anything);
    expect(path).toBe('/behind/a/proxy/healthz');
  });
});

describe('the trace goes along', () => {
  it('when a call is made while handling a request, then it carries the trace of that request as traceparent', async () => {
    const seen: (string | undefined)[] = [];
    const server = await serve((req, res) => {
      seen.push(req.headers.traceparent as string | undefined);
      json(200, '{}')(req, res);
    });
    const u = upstream(server.url);
    const first = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), sampled: true };
    const second = { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), sampled: false };
    await runWithTrace(first, () => u.getJson('/x', anything));
    await runWithTrace(second, () => u.getJson('/x', anything));
    // Outside a request (a readiness ping at start-up, say): no header.
    await u.getJson('/x', anything);
    expect(seen).toEqual([
      `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
      `00-${'c'.repeat(32)}-${'d'.repeat(16)}-00`,
      undefined,
    ]);
  });
});
