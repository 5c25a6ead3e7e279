import { request as httpRequest } from 'node:http';
import express from 'express';
import { serve } from '../src/lifecycle';
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
