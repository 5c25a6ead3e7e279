import { silentLogger, type Metrics } from '@friendly-calculator/common';
import {
  checkEveryAnswer,
  startStatsdPair,
  type StatsdPair,
  type StatsdReceiver,
} from '@friendly-calculator/common/testing';
import supertest from 'supertest';
import { createApp } from '../../src/app';
import { mathsDocument } from '../../src/http/openapi';

// Answers here are checked against maths' OpenAPI document too.
// One document object, so its schemas are compiled once (not inside a timed request).
const DOC = mathsDocument();
const request = (target: Parameters<typeof supertest>[0]) =>
  checkEveryAnswer(supertest(target), DOC);

// The real hot-shots client sends real UDP datagrams to a real socket.
describe('maths metrics over StatsD', () => {
  let statsd: StatsdPair;
  let receiver: StatsdReceiver;
  let metrics: Metrics;
  beforeAll(async () => {
    statsd = await startStatsdPair('maths');
    ({ receiver, metrics } = statsd);
  });
  afterAll(() => statsd.close());
  beforeEach(() => receiver.clear());

  const app = () => createApp({ logger: silentLogger(), metrics });
  const timerLine = (name: string) =>
    new RegExp(`^${name.replace(/\./g, '\\.')}:\\d+(\\.\\d+)?\\|ms$`);

  it('when add is called, then its counter and timer arrive with the maths. prefix', async () => {
    await request(app()).get('/add?x=1&y=1').expect(200);
    await receiver.waitFor((lines) => lines.some((l) => l.startsWith('maths.http.latency:')));

    expect(receiver.lines).toContain('maths.requests.add:1|c');
    expect(receiver.lines.filter((l) => timerLine('maths.latency.add').test(l))).toHaveLength(1);
    expect(receiver.lines).toContain('maths.http.requests:1|c');
    expect(receiver.lines).toContain('maths.http.status.2xx:1|c');
    expect(receiver.lines).not.toContainEqual(expect.stringMatching(/^maths\.rejected\./));
  });

  it('when each operation is called, then each gets its own counter', async () => {
    for (const op of ['add', 'subtract', 'multiply', 'divide']) {
      await request(app()).get(`/${op}?x=6&y=3`).expect(200);
    }
    await receiver.waitFor(
      (lines) => lines.filter((l) => l.startsWith('maths.latency.')).length === 4,
    );
    for (const op of ['add', 'subtract', 'multiply', 'divide']) {
      expect(receiver.lines).toContain(`maths.requests.${op}:1|c`);
    }
  });

  it('when a call is refused, then it is counted, rejected and timed', async () => {
    await request(app()).get('/divide?x=1&y=0').expect(422);
    await receiver.waitFor((lines) => lines.some((l) => l.startsWith('maths.http.latency:')));
    expect(receiver.lines).toContain('maths.requests.divide:1|c');
    expect(receiver.lines).toContain('maths.rejected.divide:1|c');
    expect(receiver.lines).toContain('maths.http.status.4xx:1|c');
    expect(receiver.lines.some((l) => timerLine('maths.latency.divide').test(l))).toBe(true);
  });

  it('when a path cannot be decoded, then 400, counted as a 4xx, never as a 5xx', async () => {
    await request(app()).get('/add%ZZ?x=1&y=1').set('Accept', 'application/json').expect(400);
    await receiver.waitFor((lines) => lines.some((l) => l.startsWith('maths.http.latency:')));
    expect(receiver.lines).toContain('maths.http.status.4xx:1|c');
    expect(receiver.lines).not.toContainEqual(expect.stringMatching(/5xx/));
  });

  it('when the page asks for four operations at once, then each is counted and timed', async () => {
    await request(app()).get('/calculate?x=6&y=0&ops=add,subtract,multiply,divide').expect(200);
    await receiver.waitFor((lines) => lines.some((l) => l.startsWith('maths.http.latency:')));
    for (const op of ['add', 'subtract', 'multiply', 'divide']) {
      expect(receiver.lines).toContain(`maths.requests.${op}:1|c`);
      expect(receiver.lines.filter((l) => timerLine(`maths.latency.${op}`).test(l))).toHaveLength(
        1,
      );
    }
    // 6 ÷ 0 has no answer: only divide is rejected.
    expect(receiver.lines.filter((l) => l.startsWith('maths.rejected.'))).toEqual([
      'maths.rejected.divide:1|c',
    ]);
  });

  it('when the operands of a batch are bad, then every operation is counted, rejected and timed', async () => {
    await request(app()).get('/calculate?x=abc&y=1&ops=add,divide').expect(400);
    await receiver.waitFor((lines) => lines.some((l) => l.startsWith('maths.http.latency:')));
    for (const op of ['add', 'divide']) {
      expect(receiver.lines).toContain(`maths.requests.${op}:1|c`);
      expect(receiver.lines).toContain(`maths.rejected.${op}:1|c`);
      expect(receiver.lines.filter((l) => timerLine(`maths.latency.${op}`).test(l))).toHaveLength(
        1,
      );
    }
    expect(receiver.lines).toContain('maths.http.status.4xx:1|c');
  });

  it('when the operation is unknown, then no operation counter is made up for it', async () => {
    await request(app()).get('/nope?x=1&y=1').expect(404);
    await receiver.waitFor((lines) => lines.some((l) => l.startsWith('maths.http.latency:')));
    expect(receiver.lines.some((l) => l.includes('nope'))).toBe(false);
  });
});
