import { createReadiness, serve, silentLogger, type Running } from '@friendly-calculator/common';
import { startRedisServer, type RedisServer } from '@friendly-calculator/common/testing';
import { EventSource } from 'eventsource';
import { buildGreetings } from '../../src/compose';
import { loadGreetingsConfig } from '../../src/config';
import type { LiveSnapshot } from '../../src/greeting/live-feed';
import { createNullMetrics, fixedScenarios, type Scenarios } from '@friendly-calculator/common';
import { eventually } from './harness';

// Real HTTP servers (as server.ts runs them: common's serve()), a real Redis,
// real EventSource clients.
jest.setTimeout(60_000);

type Replica = { running: Running; url: string; close: () => Promise<void> };

async function replica(env: Record<string, string>, scenarios?: Scenarios): Promise<Replica> {
  const readiness = createReadiness();
  const logger = silentLogger();
  const g = buildGreetings(
    loadGreetingsConfig({ AWESOME_APP_URL: 'http://localhost:5000', ...env }),
    { logger, metrics: createNullMetrics(), readiness, ...(scenarios ? { scenarios } : {}) },
  );
  await eventually(() => g.store.ping());
  await g.warmUp();
  const running = await serve({
    app: g.app,
    port: 0,
    host: '127.0.0.1',
    logger,
    readiness,
    shutdownTimeoutMs: 30_000,
    onClose: () => g.close(),
  });
  // serve() listens to the signals: this test stops its servers itself.
  process.removeAllListeners('SIGTERM');
  process.removeAllListeners('SIGINT');
  let stopped: Promise<void> | undefined;
  const close = () => (stopped ??= running.stop());
  opened.push({ close });
  return { running, url: `http://127.0.0.1:${running.port}`, close };
}

// Every stream and replica a test opens, closed after it even when it fails:
// an EventSource left open reconnects for ever and jest would never exit.
const opened: { close: () => unknown }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

/** An EventSource that keeps every `experiment` snapshot it gets. */
function watch(url: string) {
  const snapshots: LiveSnapshot[] = [];
  const source = new EventSource(`${url}/experiments/current/events`);
  opened.push(source);
  source.addEventListener('experiment', (e) => snapshots.push(JSON.parse(e.data) as LiveSnapshot));
  return { snapshots, source, last: () => snapshots[snapshots.length - 1] };
}

const liked = (s: LiveSnapshot | undefined) => s?.variants.reduce((n, v) => n + v.liked, 0) ?? -1;

async function showAndLike(url: string, name: string): Promise<void> {
  const shown = (await (
    await fetch(`${url}/greeting/${name}`, { headers: { accept: 'application/json' } })
  ).json()) as { impression: string };
  const res = await fetch(`${url}/like_greeting`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ impression: shown.impression }),
  });
  expect(res.status).toBe(200);
}

describe('live experiment stream, two replicas on one Redis', () => {
  let redis: RedisServer;
  let a: Replica;
  let b: Replica;
  const env = () => ({ REDIS_URL: redis.url, LIKES_PER_MINUTE_PER_CLIENT: '100000' });

  beforeAll(async () => {
    redis = await startRedisServer();
    a = await replica(env());
    b = await replica(env());
    opened.splice(0); // these two live for the whole file (afterAll)
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await redis.stop();
  });

  it('when a stream opens, then it is an event stream with the contract headers and the current phase at once', async () => {
    const controller = new AbortController();
    const res = await fetch(`${a.url}/experiments/current/events`, { signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    const reader = res.body!.getReader();
    let text = '';
    // The event-stream format: `field:value` lines (a space after the colon is optional).
    const event = /^event: ?experiment\n(?:.*\n)*?data: ?(.*)\n/m;
    while (!event.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended before an event: ${text}`);
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    const data = event.exec(text)![1]!;
    const snapshot = JSON.parse(data) as LiveSnapshot;
    expect(snapshot.phase).toBe(1);
    expect(snapshot.state).toBe('running');
    expect(snapshot.variants.map((v) => Object.keys(v).sort())[0]).toEqual(
      expect.arrayContaining(['name', 'shown', 'liked', 'pBest', 'interval']),
    );
  });

  it("when Likes arrive through the other replica, then this replica's stream shows each of them, and who was greeted how", async () => {
    const viewer = watch(a.url);
    await eventually(async () => expect(viewer.snapshots.length).toBeGreaterThan(0));
    for (let round = 1; round <= 5; round++) {
      const before = liked(viewer.last());
      await showAndLike(b.url, `Phone${round}`);
      await eventually(async () => expect(liked(viewer.last())).toBe(before + 1));
      expect(viewer.last()!.decisions[0]).toMatchObject({ name: `Phone${round}` });
      expect(['explore', 'exploit']).toContain(viewer.last()!.decisions[0]!.strategy);
    }
    viewer.source.close();
  });

  it('when Likes arrive much faster than 4 a second, then each stream gets at most about 4 events a second, the last one whole and current', async () => {
    const viewer = watch(a.url);
    await eventually(async () => expect(viewer.snapshots.length).toBeGreaterThan(0));
    const start = liked(viewer.last());
    const first = viewer.snapshots.length;
    const began = Date.now();
    const burst = 120;
    // Ten at a time: still far faster than 4 a second, without pushing each
    // Redis command past its 500 ms timeout on a loaded machine (a 503 then).
    for (let i = 0; i < burst; i += 10) {
      await Promise.all(Array.from({ length: 10 }, (_, j) => showAndLike(b.url, `Burst${i + j}`)));
    }
    await eventually(async () => expect(liked(viewer.last())).toBe(start + burst));
    const seconds = (Date.now() - began) / 1000;
    const events = viewer.snapshots.length - first;
    // Uncoalesced this would be one event per showing and per Like (240).
    expect(events).toBeLessThanOrEqual(Math.ceil(seconds * 4) + 2);
    viewer.source.close();
  });

  it("when an awesome-app process reports its viewers to one replica, then the other replica's stream carries the count by name, a newer report replaces it, and bad reports are refused with 400", async () => {
    const viewer = watch(a.url);
    await eventually(async () => expect(viewer.snapshots.length).toBeGreaterThan(0));
    const put = (source: string, body: unknown) =>
      fetch(`${b.url}/experiments/current/viewers/${source}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await put('app-1', { count: 7 })).status).toBe(204);
    expect((await put('app-2', { count: 3 })).status).toBe(204);
    await eventually(async () =>
      expect(viewer.last()!.viewers).toMatchObject({ 'app-1': 7, 'app-2': 3 }),
    );
    expect((await put('app-1', { count: 2 })).status).toBe(204);
    await eventually(async () =>
      expect(viewer.last()!.viewers).toMatchObject({ 'app-1': 2, 'app-2': 3 }),
    );
    for (const [source, body] of [
      ['app-1', { count: -1 }],
      ['app-1', { count: 1.5 }],
      ['app-1', { count: '4' }],
      ['app-1', {}],
      ['app-1', { count: 1_000_001 }],
      ['bad%20name', { count: 1 }],
      ['x'.repeat(65), { count: 1 }],
    ] as const) {
      const res = await put(source, body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        status: 400,
        reason: 'bad_request',
        error: expect.stringMatching(/count|source/) as unknown,
      });
    }
    // Nothing changed by the refused ones: the next snapshot still says 2 and 3.
    await showAndLike(b.url, 'AfterBadReports');
    await eventually(async () =>
      expect(viewer.last()!.decisions[0]).toMatchObject({ name: 'AfterBadReports' }),
    );
    expect(viewer.last()!.viewers).toEqual({ 'app-1': 2, 'app-2': 3 });
    viewer.source.close();
  });

  it('when LIVE_MAX_CONNECTIONS streams are open, then one more is refused with 503 and the open ones still flow', async () => {
    const small = await replica({ ...env(), LIVE_MAX_CONNECTIONS: '3' });
    const viewers = [watch(small.url), watch(small.url), watch(small.url)];
    await eventually(async () => {
      for (const v of viewers) expect(v.snapshots.length).toBeGreaterThan(0);
    });
    const refused = await fetch(`${small.url}/experiments/current/events`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    const before = liked(viewers[0]!.last());
    await showAndLike(b.url, 'Capped');
    await eventually(async () => {
      for (const v of viewers) expect(liked(v.last())).toBe(before + 1);
    });
    for (const v of viewers) v.source.close();
    await small.close();
  });

  it('when a replica drains (SIGTERM) with streams open, then the streams end at once and it stops without waiting for them', async () => {
    const leaving = await replica(env());
    const viewers = Array.from({ length: 5 }, () => watch(leaving.url));
    await eventually(async () => {
      for (const v of viewers) expect(v.snapshots.length).toBeGreaterThan(0);
    });
    const ended = viewers.map(
      (v) => new Promise<void>((resolve) => v.source.addEventListener('error', () => resolve())),
    );
    // The drain's hard timeout is 30 s, the test's 60 s: a drain that waited
    // for the streams would end only at the hard timeout, with an error log.
    const began = Date.now();
    await leaving.close();
    await Promise.all(ended);
    expect(Date.now() - began).toBeLessThan(15_000);
    for (const v of viewers) v.source.close();
  });

  it('when the scenario flags are read (the store behind the slow-store scenario), then the stream still hears the other replica and the replica closes cleanly', async () => {
    // Every flag off, but the store wrapped, as under FLAGD_RESOLVER.
    const flagged = await replica(env(), fixedScenarios([]));
    const viewer = watch(flagged.url);
    await eventually(async () => expect(viewer.snapshots.length).toBeGreaterThan(0));
    const before = liked(viewer.last());
    await showAndLike(b.url, 'Flagged');
    await eventually(async () => expect(liked(viewer.last())).toBe(before + 1));
    expect(viewer.last()!.decisions[0]).toMatchObject({ name: 'Flagged' });
    viewer.source.close();
    await flagged.close();
  });
});
