import { createNullMetrics } from '@friendly-calculator/common';
import express from 'express';
import request from 'supertest';
import { historyLimit } from '../../src/http/history-limit';

// The history route's own limit: pages one at a time, a bounded queue, a
// deadline; a refusal is 503 `busy` with Retry-After, and every turn is
// handed on (a refused or finished request never keeps the slot).

/** An app whose one route holds its turn until `open()` is called. */
function slowApp(options: Omit<Parameters<typeof historyLimit>[0], 'metrics'>) {
  const waiting: (() => void)[] = [];
  const app = express();
  app.get(
    '/h',
    historyLimit({ ...options, pagesPerSecond: 1000, metrics: createNullMetrics() }),
    (_req, res) => {
      waiting.push(() => res.json({ ok: true }));
    },
  );
  return { app, open: () => waiting.splice(0).forEach((f) => f()), held: () => waiting.length };
}

const until = async (check: () => boolean) => {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
};

it('when more requests wait than the queue holds, then the extra ones are 503 busy with Retry-After, and the rest are served in turn', async () => {
  for (let run = 0; run < 10; run++) {
    const { app, open, held } = slowApp({ concurrency: 1, queue: 2, maxWaitMs: 10_000 });
    const server = app.listen(0);
    const done: request.Response[] = [];
    const answers = Array.from({ length: 6 }, () =>
      request(server)
        .get('/h')
        .set('Accept', 'application/json')
        .then((r) => done.push(r)),
    );
    // One is served (held), two wait, the other three are refused at once.
    await until(() => done.length === 3);
    for (const r of done) {
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toBe('1');
      expect(r.body).toMatchObject({ reason: 'busy' });
    }
    for (let served = 0; served < 3; served++) {
      await until(() => held() === 1);
      open();
    }
    await Promise.all(answers);
    expect(done.slice(3).map((r) => r.status)).toEqual([200, 200, 200]);
    await new Promise((r) => server.close(r));
  }
});

it('when a request has waited longer than maxWaitMs, then it is refused and its turn is handed on', async () => {
  const { app, open, held } = slowApp({ concurrency: 1, queue: 10, maxWaitMs: 100 });
  const server = app.listen(0);
  const first = request(server)
    .get('/h')
    .then((r) => r);
  await until(() => held() === 1);
  const late = await request(server).get('/h').set('Accept', 'application/json');
  expect(late.status).toBe(503);
  expect(late.body).toMatchObject({ reason: 'busy' });
  open();
  expect((await first).status).toBe(200);
  // The refused request's turn came and went: the next one is served.
  const next = request(server)
    .get('/h')
    .then((r) => r);
  await until(() => held() === 1);
  open();
  expect((await next).status).toBe(200);
  await new Promise((r) => server.close(r));
});
