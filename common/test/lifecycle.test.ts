import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import express from 'express';
import { createReadiness, healthRoutes } from '../src/health';
import { serve } from '../src/lifecycle';
import { trickle } from '../src/testing';
import { silentLogger } from '../src/logger';

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serve', () => {
  afterEach(() => {
    process.removeAllListeners('SIGTERM');
    process.removeAllListeners('SIGINT');
  });

  it('when stopped during a request, then the request finishes before onClose runs and new connections are refused', async () => {
    const events: string[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const app = express();
    app.get('/slow', async (_req, res) => {
      events.push('request started');
      await released;
      res.send('done');
      events.push('request answered');
    });
    const running = await serve({
      app,
      port: 0,
      host: '127.0.0.1',
      logger: silentLogger(),
      onClose: async () => {
        events.push('onClose');
      },
    });

    const inFlight = get(running.port, '/slow');
    await new Promise((r) => setTimeout(r, 50));
    const stopped = running.stop();
    await expect(get(running.port, '/slow')).rejects.toThrow(/ECONNREFUSED/);
    release();

    await expect(inFlight).resolves.toEqual({ status: 200, body: 'done' });
    await stopped;
    expect(events).toEqual(['request started', 'request answered', 'onClose']);
  });

  it('when a request hangs past the shutdown timeout, then its connection is cut and stop completes', async () => {
    const app = express();
    app.get('/forever', () => undefined);
    const running = await serve({
      app,
      port: 0,
      host: '127.0.0.1',
      logger: silentLogger(),
      shutdownTimeoutMs: 100,
    });
    const hanging = get(running.port, '/forever').catch((error: Error) => error.message);
    await new Promise((r) => setTimeout(r, 50));
    await running.stop();
    await expect(hanging).resolves.toMatch(/socket hang up|ECONNRESET/);
  });
});

describe('serve: slow clients', () => {
  afterEach(() => {
    process.removeAllListeners('SIGTERM');
    process.removeAllListeners('SIGINT');
  });

  const start = async (requestTimeoutMs: number) => {
    const app = express();
    app.post('/echo', express.text(), (req, res) => res.send(req.body));
    app.get('/', (_req, res) => res.send('ok'));
    return serve({ app, port: 0, host: '127.0.0.1', logger: silentLogger(), requestTimeoutMs });
  };

  it('when a body trickles in, then the request is answered 408 and cut off after the request timeout', async () => {
    const running = await start(500);
    const head =
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n\r\n';
    const cut = await trickle(running.port, 'x'.repeat(20), {
      head,
      everyMs: 100,
      giveUpMs: 5000,
    }).finally(() => running.stop());
    expect(cut.answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(cut.bytesSent).toBeLessThan(20);
    // The limit, plus at most one check interval (500 ms here), plus slack for a busy machine.
    expect(cut.closedAfterMs).toBeGreaterThanOrEqual(450);
    expect(cut.closedAfterMs).toBeLessThan(2500);
  });

  it('when headers trickle in, then they are cut off too', async () => {
    const running = await start(500);
    const cut = await trickle(
      running.port,
      'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'x'.repeat(50),
      { everyMs: 50, giveUpMs: 5000 },
    ).finally(() => running.stop());
    expect(cut.answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(cut.closedAfterMs).toBeLessThan(2500);
  });

  it('when a keep-alive connection idles longer than the request timeout, then it stays open for the next request', async () => {
    const running = await start(300);
    const socket = connect(running.port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    const answers = (n: number) =>
      new Promise<void>((resolve, reject) => {
        const check = setInterval(() => {
          if ((received.match(/HTTP\/1\.1 200 OK/g) ?? []).length >= n) {
            clearInterval(check);
            resolve();
          }
          if (socket.destroyed) {
            clearInterval(check);
            reject(new Error(`connection closed after ${received.length} bytes`));
          }
        }, 20);
      });
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await answers(1);
    // Several times the request timeout and its check interval: only keepAliveTimeout (65 s) may close it.
    await new Promise((r) => setTimeout(r, 1500));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await answers(2);
    socket.destroy();
    await running.stop();
  });
});

/** A raw keep-alive connection: what a load balancer or an upstream pool holds open. */
async function rawConnection(port: number) {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const answer = (n: number) =>
    new Promise<string>((resolve, reject) => {
      const check = setInterval(() => {
        const answers = received.split(/(?=HTTP\/1\.1 )/);
        if (answers.length >= n && /\r\n\r\n/.test(answers[n - 1]!)) {
          clearInterval(check);
          resolve(answers[n - 1]!);
        } else if (socket.destroyed) {
          clearInterval(check);
          reject(new Error(`connection closed after ${JSON.stringify(received)}`));
        }
      }, 10);
    });
  return { socket, answer, closed };
}

describe('serve: readiness while draining', () => {
  afterEach(() => {
    process.removeAllListeners('SIGTERM');
    process.removeAllListeners('SIGINT');
  });

  it('when the stop begins, then /readyz answers 503 at once on a connection still open, and that connection closes', async () => {
    const readiness = createReadiness();
    const app = express();
    app.use(healthRoutes({ readiness }));
    const running = await serve({
      app,
      port: 0,
      host: '127.0.0.1',
      logger: silentLogger(),
      readiness,
    });
    const { socket, answer, closed } = await rawConnection(running.port);
    // A request begun before the stop (its first bytes sent) keeps its connection through it.
    socket.write('GET /readyz HTTP/1.1\r\nHost: x\r\n');
    await new Promise((r) => setTimeout(r, 50));
    const stopped = running.stop();
    expect(readiness.draining).toBe(true);
    socket.write('\r\n');
    const res = await answer(1);
    expect(res).toMatch(/^HTTP\/1\.1 503 /);
    expect(res).toMatch(/\r\nConnection: close\r\n/i);
    expect(res).toContain('{"status":"draining"}');
    await closed;
    await stopped;
  });

  it('when a keep-alive request is in flight at the stop, then its answer says Connection: close and the drain does not wait for the hard timeout', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const app = express();
    app.get('/slow', async (_req, res) => {
      await released;
      res.send('done');
    });
    const running = await serve({
      app,
      port: 0,
      host: '127.0.0.1',
      logger: silentLogger(),
      shutdownTimeoutMs: 5_000,
    });
    const { socket, answer, closed } = await rawConnection(running.port);
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 50));
    const stopped = running.stop();
    const started = performance.now();
    release();
    const res = await answer(1);
    expect(res).toMatch(/^HTTP\/1\.1 200 /);
    expect(res).toMatch(/\r\nConnection: close\r\n/i);
    await closed;
    await stopped;
    // Without Connection: close, Node keeps the socket and stop waits the whole 5 s.
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
