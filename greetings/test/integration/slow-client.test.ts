import { REQUEST_TIMEOUT_MS, serve, silentLogger, type Running } from '@friendly-calculator/common';
import { trickle } from '@friendly-calculator/common/testing';
import { greetingsApp } from './harness';

// The real greetings app, served as server.ts serves it (common's serve, its default limits).
let greetings: ReturnType<typeof greetingsApp>;
let running: Running;
beforeAll(async () => {
  greetings = greetingsApp();
  running = await serve({ app: greetings.app, port: 0, host: '127.0.0.1', logger: silentLogger() });
});
afterAll(async () => {
  await running.stop();
  process.removeAllListeners('SIGTERM');
  process.removeAllListeners('SIGINT');
});

describe('a Like whose body trickles in, one byte a second', () => {
  it('when it takes longer than the request timeout, then greetings answers 408 and hangs up within the limit', async () => {
    const body = `impression=${'A'.repeat(22)}`;
    const head = [
      'POST /like_greeting HTTP/1.1',
      'Host: localhost',
      'Content-Type: application/x-www-form-urlencoded',
      `Content-Length: ${body.length}`,
      '',
      '',
    ].join('\r\n');
    const cut = await trickle(running.port, body, { head, everyMs: 1000, giveUpMs: 20_000 });
    expect(cut.answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    // 5 s of trickling, then Node's check (every second) cuts it; slack for a busy machine.
    expect(cut.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
    expect(cut.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 2500);
    expect(cut.bytesSent).toBeLessThan(body.length);
  }, 30_000);
});
