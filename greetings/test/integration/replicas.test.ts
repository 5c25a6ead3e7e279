import { startRedisServer, type RedisServer } from '@friendly-calculator/common/testing';
import request from './checked-request';
import { eventually, greetingsApp } from './harness';

const TOKEN = 'replica-admin-token-0123';
type Shown = {
  variant: string;
  impression: string;
  strategy: string;
  experiment: { phase: number; state: string };
};

/**
 * Posts a Like as a careful client does: a 503 (the store did not answer, or
 * did not confirm in time) is tried again, which is safe because a Like never
 * counts twice. Resolves with the first definitive answer.
 */
async function likeUntilDefinitive(app: Parameters<typeof request>[0], impression: string) {
  for (let attempt = 0; ; attempt++) {
    const res = await request(app).post('/like_greeting').send({ impression });
    if (res.status !== 503 || attempt === 50) return res;
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Two greetings instances on one Redis, as two replicas behind a load balancer.
// Hundreds of real HTTP exchanges and Redis scripts per test, on a shared machine.
jest.setTimeout(30_000);

describe('two replicas on one Redis', () => {
  let redis: RedisServer;
  let a: ReturnType<typeof greetingsApp>;
  let b: ReturnType<typeof greetingsApp>;

  beforeAll(async () => {
    redis = await startRedisServer();
    // Hundreds of Likes from one test client within a minute: above the per-client default.
    const env = { REDIS_URL: redis.url, ADMIN_TOKEN: TOKEN, LIKES_PER_MINUTE_PER_CLIENT: '100000' };
    a = greetingsApp(env);
    b = greetingsApp(env);
    await eventually(async () => {
      await a.store.ping();
      await b.store.ping();
    });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await redis.stop();
  });

  const greet = (replica: typeof a, i: number) =>
    request(replica.app)
      .get(`/greeting/visitor${i}`)
      .set('Accept', 'application/json')
      .expect(200)
      .then((res) => res.body as Shown);
  it('when hundreds of greetings and likes go through both at once, then the totals are exact', async () => {
    // 400 greetings, 100 at a time through both replicas.
    const shown: Shown[] = [];
    for (let i = 0; i < 400; i += 100)
      shown.push(
        ...(await Promise.all(
          Array.from({ length: 100 }, (_, j) => greet((i + j) % 2 ? a : b, i + j)),
        )),
      );
    expect(shown.every((s) => s.strategy !== 'fallback')).toBe(true);

    // Like 3 of every 4 impressions; each one posted to BOTH replicas at the same time.
    const liked = shown.filter((_, i) => i % 4 !== 0);
    const answers = await Promise.all(
      liked.map((s) =>
        Promise.all([a, b].map((replica) => likeUntilDefinitive(replica.app, s.impression))),
      ),
    );
    // Per impression: both answers are definitive, at most one counted it
    // (both 409 only when a 503'd first try had in fact counted it).
    for (const pair of answers) {
      expect(pair.map((r) => r.status).every((status) => status === 200 || status === 409)).toBe(
        true,
      );
      expect(pair.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
    }

    const expected = (variant: string, list: typeof shown) =>
      list.filter((s) => s.variant === variant).length;
    for (const replica of [a, b]) {
      const stats = await request(replica.app).get('/stats').expect(200);
      for (const row of stats.body.variants as { name: string; shown: number; liked: number }[]) {
        expect(row.shown).toBe(expected(row.name, shown));
        expect(row.liked).toBe(expected(row.name, liked));
      }
    }
  });

  /** An admin action meant for the phase greet shows now (ifPhase, as the page sends it). */
  const admin = async (path: string, body: object = {}) => {
    const { phase } = (await request(a.app).get('/experiments/current').expect(200)).body as {
      phase: number;
    };
    return request(a.app)
      .post(path)
      .set('Authorization', `Bearer ${TOKEN}`)
      .set('Accept', 'application/json')
      .send({ ifPhase: phase, ...body });
  };

  it('when a new phase starts while Likes are in flight through both, then each Like counts once in its own phase or is refused as ended', async () => {
    // A fresh phase to start from, so its counts are this test's alone.
    const phase = (
      await admin('/admin/experiments', {
        variants: [
          { name: 'hello', template: 'Hello {name}' },
          { name: 'howdy', template: 'Howdy {name}' },
        ],
      })
    ).body.phase as number;
    const shown: Shown[] = [];
    for (let i = 0; i < 300; i += 50)
      shown.push(
        ...(await Promise.all(
          Array.from({ length: 50 }, (_, j) => greet((i + j) % 2 ? a : b, i + j)),
        )),
      );
    expect(shown.every((s) => s.experiment.phase === phase && s.strategy !== 'fallback')).toBe(
      true,
    );

    // Likes go out through both replicas; half-way, phase N+1 starts through replica a.
    // Likes go out through both replicas in waves of 50 at once; with the
    // third wave, phase N+1 starts through replica a, so that wave is in
    // flight during the change, and the later waves come after it.
    const answers: Awaited<ReturnType<typeof likeUntilDefinitive>>[] = [];
    for (let wave = 0; wave * 50 < shown.length; wave++) {
      const likes = shown
        .slice(wave * 50, wave * 50 + 50)
        .map((s, i) => likeUntilDefinitive((i % 2 ? b : a).app, s.impression));
      const change =
        wave === 2
          ? admin('/admin/experiments', {
              variants: [
                { name: 'hi', template: 'Hi {name}' },
                { name: 'hey', template: 'Hey {name}' },
              ],
            }).then((res) => expect(res.status).toBe(201))
          : undefined;
      answers.push(...(await Promise.all(likes)));
      await change;
    }
    const statuses = answers.map((r) => r.status);
    expect([...new Set(statuses)].filter((s) => s !== 200 && s !== 409 && s !== 410)).toEqual([]);
    // 409: a first try that got a 503 had counted it after all.
    const counted = answers.filter((r) => r.status === 200 || r.status === 409).length;
    const ended = answers.filter((r) => r.status === 410).length;
    expect(counted + ended).toBe(shown.length);
    expect(ended).toBeGreaterThan(0);
    expect(answers.filter((r) => r.status === 410).every((r) => r.body.reason === 'ended')).toBe(
      true,
    );

    const experiments = (await request(b.app).get('/experiments').expect(200)).body.experiments as {
      phase: number;
      variants: { shown: number; liked: number }[];
    }[];
    const [next, previous] = experiments;
    const total = (p: typeof next, key: 'shown' | 'liked') =>
      p!.variants.reduce((n, v) => n + v[key], 0);
    expect(previous!.phase).toBe(phase);
    expect(total(previous, 'liked')).toBe(counted);
    expect(total(next, 'liked')).toBe(0);

    // Posting every Like again changes nothing: counted ones are "used", refused ones stay refused.
    const again = [];
    for (let i = 0; i < shown.length; i += 50)
      again.push(
        ...(await Promise.all(
          shown.slice(i, i + 50).map((s) => likeUntilDefinitive(a.app, s.impression)),
        )),
      );
    expect(again.filter((r) => r.status === 409)).toHaveLength(counted);
    expect(again.filter((r) => r.status === 410)).toHaveLength(ended);
    const after = (await request(a.app).get('/experiments').expect(200)).body.experiments;
    expect(after[1].variants).toEqual(previous!.variants);
  });

  it('when the phase changes through one replica, then the other agrees within a second', async () => {
    const now = (await greet(b, 1)).experiment.phase;
    expect((await admin('/admin/experiments/current/pause')).status).toBe(200);
    // b was running: its very next write finds out.
    expect(await greet(b, 2)).toMatchObject({ strategy: 'paused', impression: null });
    const started = Date.now();
    expect((await admin('/admin/experiments/current/resume')).status).toBe(200);
    // b is paused and holds no write to learn from: it reads the phase again within REFRESH_MS.
    await eventually(async () => {
      expect((await greet(b, 3)).strategy).not.toBe('paused');
    }, 1000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await greet(b, 4)).experiment).toMatchObject({ phase: now, state: 'running' });
  });
});
