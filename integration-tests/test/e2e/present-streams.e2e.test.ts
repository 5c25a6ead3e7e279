import { readFileSync } from 'node:fs';
import { EventSource } from 'eventsource';
import { startLocalStack, type LocalStack } from '../../src/stack';

// 500 open live streams on one awesome-app (as 500 phones and projectors):
// the cap holds, memory stays flat while Likes flow, and every stream still
// gets the current numbers.
jest.setTimeout(180_000);
const STREAMS = 500;

let stack: LocalStack;
const sources: EventSource[] = [];
beforeAll(async () => {
  stack = await startLocalStack({ env: { LIVE_MAX_CONNECTIONS: String(STREAMS) } });
});
afterAll(async () => {
  for (const s of sources) s.close();
  await stack?.stop();
});

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const sum = (s: { variants?: { liked: number }[] } | undefined) =>
  s?.variants?.reduce((n, v) => n + v.liked, 0) ?? -1;

async function likeOnce(name: string): Promise<void> {
  const shown = (await (
    await fetch(`${stack.urls.greetings}/greeting/${name}`, {
      headers: { accept: 'application/json' },
    })
  ).json()) as { impression: string };
  const res = await fetch(`${stack.urls.greetings}/like_greeting`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ impression: shown.impression }),
  });
  expect(res.status).toBe(200);
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('when 500 streams are open, then one more is refused (503), memory stays flat while Likes flow, and every stream sees every Like', async () => {
  const last: ({ variants?: { liked: number }[]; live?: number } | undefined)[] = [];
  for (let i = 0; i < STREAMS; i++) {
    const source = new EventSource(`${stack.urls['awesome-app']}/present/events`);
    last.push(undefined);
    source.addEventListener('experiment', (e) => {
      last[i] = JSON.parse(String(e.data)) as (typeof last)[number];
    });
    sources.push(source);
  }
  await until(() => last.every((s) => s?.variants !== undefined), 60_000);
  await until(() => last.every((s) => s?.live === STREAMS), 30_000);

  const refused = await fetch(`${stack.urls['awesome-app']}/present/events`);
  expect(refused.status).toBe(503);

  const pid = stack.pid('awesome-app')!;
  const before = rssMb(pid);
  const start = sum(last[0]);
  for (let round = 0; round < 5; round++)
    await Promise.all(Array.from({ length: 40 }, (_, i) => likeOnce(`Room${round}x${i}`)));
  await until(() => last.every((s) => sum(s) === start + 200), 60_000);
  const after = rssMb(pid);
  console.log(
    `awesome-app RSS with ${STREAMS} streams: ${before.toFixed(1)} MB before 200 Likes, ${after.toFixed(1)} MB after`,
  );
  // A leak per event (200 Likes × 500 streams) would grow far beyond this.
  expect(after - before).toBeLessThan(60);
});
