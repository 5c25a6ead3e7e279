import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { watchReadiness, type ReadinessSeen } from '../src/readiness-watch';
import { SERVICES, startLocalStack, type LocalStack, type ServiceName } from '../src/stack';
import { stats, totalLikes, visitors } from '../src/fault-load';
import { likeAsJson, visitPage } from '../src/visitor';

// Faults under load, against the real services and a real Redis on this
// machine. Every loop is bounded in count and time.

const rssKb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The Kubernetes view: every service still running stayed ready all along
 * (not one failed readiness ask, where two in a row take a pod out of its
 * Service), asked often enough to have seen the whole outage.
 */
function expectStayedReady(seen: Record<string, ReadinessSeen>, running: readonly string[]) {
  for (const service of running) {
    const { failed, failures } = seen[service]!;
    expect({ service, failed, failures }).toEqual({ service, failed: 0, failures: [] });
    expect(seen[service]!.asked).toBeGreaterThan(20);
  }
}

describe('when Redis dies under load', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    // Redis as in docker-compose: append-only file, here fsynced on every write.
    const dir = mkdtempSync(join(tmpdir(), 'fc-redis-'));
    stack = await startLocalStack({
      redisArgs: ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir],
    });
  });
  afterAll(() => stack?.stop());

  it('then pages answer within 3 s, every acknowledged Like is counted, refusals are clear 503s, and greetings recovers by itself', async () => {
    const greetingsPid = stack.pid('greetings');
    const before = totalLikes(await stats(stack));
    const load = visitors(stack, 6, true);
    const readiness = watchReadiness(stack.urls);
    await sleep(8_000);
    // Pages served just before Redis dies, whose Like is clicked while it is away.
    const held = await Promise.all(
      Array.from({ length: 5 }, (_, i) => visitPage(`${stack.urls['awesome-app']}/Held${i}/1/1`)),
    );
    await stack.redis.kill();
    await sleep(1_000);
    const heldStarted = performance.now();
    const heldLikes = await Promise.all(
      held.map((page) => {
        if (!page.like) throw new Error('a page served with Redis up had no Like form');
        return likeAsJson(page.like);
      }),
    );
    const heldMs = performance.now() - heldStarted;
    await sleep(7_000);
    await stack.redis.restart();
    await sleep(14_000);
    await load.stop();
    // While Redis was away every pod, greetings' included, would have stayed in its Service.
    expectStayedReady(await readiness.stop(), SERVICES);

    expect(load.pages.length).toBeGreaterThan(300);
    expect(load.pages.filter((p) => p.status !== 200)).toEqual([]);
    expect(Math.max(...load.pages.map((p) => p.ms))).toBeLessThan(3000);
    expect(load.likes.other).toEqual([]);
    expect(load.likes.ok).toBeGreaterThan(50);
    // A Like clicked while Redis is away is refused with a clear 503, promptly.
    for (const res of heldLikes) {
      expect(res.status).toBe(503);
      expect(res.body).toMatch(/"reason":"unavailable"/);
    }
    expect(heldMs).toBeLessThan(3000);

    // No acknowledged Like is lost. (A Like whose answer was lost with the
    // connection may have counted although its sender saw a 503.)
    const counted = totalLikes(await stats(stack)) - before;
    expect(counted).toBeGreaterThanOrEqual(load.likes.ok);
    expect(counted).toBeLessThanOrEqual(load.likes.ok + load.likes.uncertain);
    // A refused Like used nothing up: clicked again now, each one counts once.
    for (const page of held) expect((await likeAsJson(page.like!)).status).toBe(200);
    expect(totalLikes(await stats(stack))).toBe(before + counted + held.length);

    // The same greetings process, back to normal.
    expect(stack.pid('greetings')).toBe(greetingsPid);
    const res = await fetch(`${stack.urls.greetings}/greeting/Bob`, {
      headers: { accept: 'application/json' },
    });
    expect(((await res.json()) as { strategy: string }).strategy).not.toBe('fallback');
  }, 90_000);
});

describe.each(['greetings', 'maths'] as const)(
  'when %s is killed under load',
  (service: ServiceName) => {
    let stack: LocalStack;
    beforeAll(async () => {
      stack = await startLocalStack();
    });
    afterAll(() => stack?.stop());

    it('then the page keeps answering promptly with a notice, and is complete again when it returns', async () => {
      const load = visitors(stack, 6, false);
      const readiness = watchReadiness(stack.urls);
      await sleep(3_000);
      await stack.killService(service);
      await sleep(5_000);
      const down = load.pages.length;
      await stack.startService(service);
      await sleep(5_000);
      await load.stop();
      const seen = await readiness.stop();

      // Every other pod, the page's included, would have stayed in its Service;
      // the killed one was seen to fail (the watch is not blind) and to come back.
      expectStayedReady(
        seen,
        SERVICES.filter((s) => s !== service),
      );
      expect(seen[service]!.failed).toBeGreaterThan(5);
      expect(seen[service]!.readyAtEnd).toBe(true);

      expect(load.pages.filter((p) => p.status !== 200)).toEqual([]);
      expect(Math.max(...load.pages.map((p) => p.ms))).toBeLessThan(3000);
      expect(load.pages.some((p) => !p.complete)).toBe(true);
      // The last pages are complete again.
      expect(load.pages.slice(-20).every((p) => p.complete)).toBe(true);
      expect(down).toBeGreaterThan(50);
      const page = await visitPage(`${stack.urls['awesome-app']}/Bob/1/1`);
      expect(page.html).toContain('1 + 1 = 2');
      expect(page.greeting).toMatch(/Bob/);
    }, 60_000);
  },
);

describe('bad input at volume, and memory', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack();
  });
  afterAll(() => stack?.stop());

  it('when hundreds of malformed requests of each kind arrive, then every one is a 4xx, nothing is counted and nothing crashes', async () => {
    const pids = Object.fromEntries(
      (['maths', 'greetings', 'awesome-app'] as const).map((s) => [s, stack.pid(s)]),
    );
    const statsBefore = await stats(stack);
    const { maths, greetings } = stack.urls;
    const app = stack.urls['awesome-app'];
    const forged = () =>
      Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url');
    const kinds: [string, () => Promise<Response>][] = [
      ['bad number on the page', () => fetch(`${app}/Bob/0x1F/NaN`)],
      ['huge name on the page', () => fetch(`${app}/${'n'.repeat(4000)}/1/1`)],
      ['bad number in maths', () => fetch(`${maths}/divide?x=1e999&y=abc`)],
      ['huge name in greetings', () => fetch(`${greetings}/greeting/${'n'.repeat(4000)}`)],
      [
        'forged impression',
        () =>
          fetch(`${greetings}/like_greeting`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ impression: forged() }),
          }),
      ],
      [
        'malformed impression',
        () =>
          fetch(`${greetings}/like_greeting`, {
            method: 'POST',
            body: new URLSearchParams({ impression: '../../etc/passwd' }),
          }),
      ],
      [
        'wrong content type',
        () =>
          fetch(`${greetings}/like_greeting`, {
            method: 'POST',
            headers: { 'content-type': 'text/xml' },
            body: '<impression/>',
          }),
      ],
      [
        'oversized body',
        () =>
          fetch(`${greetings}/like_greeting`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ impression: 'x'.repeat(200_000) }),
          }),
      ],
    ];
    for (const [kind, send] of kinds) {
      const statuses = new Map<number, number>();
      for (let batch = 0; batch < 10; batch++) {
        const answers = await Promise.all(Array.from({ length: 30 }, () => send()));
        for (const res of answers) {
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      }
      const non4xx = [...statuses].filter(([s]) => s < 400 || s >= 500);
      expect({ kind, non4xx }).toEqual({ kind, non4xx: [] });
    }
    // Nothing counted, nobody restarted, everybody healthy.
    expect(await stats(stack)).toEqual(statsBefore);
    for (const [service, pid] of Object.entries(pids))
      expect(stack.pid(service as ServiceName)).toBe(pid);
    for (const url of Object.values(stack.urls))
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
  }, 120_000);

  it('when 50,000 pages have been served, then RSS stays within 40 MB of what it was after 5,000', async () => {
    const url = `${stack.urls['awesome-app']}/Bob/1/1`;
    const run = (amount: number) =>
      new Promise<void>((resolve, reject) =>
        autocannon({ url, connections: 16, amount, timeout: 10 }, (error, result) =>
          error
            ? reject(error instanceof Error ? error : new Error(String(error)))
            : result.non2xx + result.errors > 0
              ? reject(new Error('errors under load'))
              : resolve(),
        ),
      );
    const services = ['awesome-app', 'greetings', 'maths'] as const;
    await run(5_000);
    const after5k = Object.fromEntries(services.map((s) => [s, rssKb(stack.pid(s)!)]));
    await run(45_000);
    const after50k = Object.fromEntries(services.map((s) => [s, rssKb(stack.pid(s)!)]));
    console.log(
      `RSS (kB) after 5,000 pages: ${JSON.stringify(after5k)}; after 50,000: ${JSON.stringify(after50k)}`,
    );
    for (const s of services) expect(after50k[s]! - after5k[s]!).toBeLessThan(40 * 1024);
  }, 240_000);
});
