import { startRedisServer, type RedisServer } from '@friendly-calculator/common/testing';
import request from './checked-request';
import { AuditPage, ExperimentsPage } from '../../src/http/schemas';
import { freshGreetings, greetingsApp, phaseOne } from './harness';

// History that costs the same at phase 5 and at phase 500: every list is a
// page, newest first, with a link to the older one. Size and shape, not timing.
const TOKEN = 'test-admin-token-0123456789';
const bearer = `Bearer ${TOKEN}`;
const PHASES = 500;

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.stop());

describe.each([
  ['in memory', () => ({})],
  ['on Redis', () => ({ REDIS_URL: redis.url })],
])('with 500 phases %s', (_label, env) => {
  let greetings: ReturnType<typeof greetingsApp>;
  beforeAll(async () => {
    greetings = await freshGreetings(redis.url, { ...env(), ADMIN_TOKEN: TOKEN });
    await request(greetings.app).get('/stats').expect(200); // phase 1
    // Straight through the store: 499 starts, each with its audit entry.
    const entry = (n: number) => {
      const s = { ...phaseOne('2026-11-26T10:00:00.000Z'), phase: n, state: 'running' as const };
      return {
        at: s.startedAt,
        action: 'start' as const,
        actor: 't',
        before: null,
        after: { ...s, shipped: null },
      };
    };
    for (let n = 1; n < PHASES; n++) {
      const result = await greetings.store.transition(
        { phase: n, state: 'running' },
        {
          kind: 'start',
          definition: { ...phaseOne('2026-11-26T10:00:00.000Z'), phase: n + 1 },
          endedAt: '2026-11-26T10:00:00.000Z',
        },
        entry(n + 1),
      );
      expect(result).toEqual({ kind: 'done' });
    }
  }, 60_000);
  afterAll(() => greetings.close());

  it('then GET /experiments is one page of 10, newest first, with a link to the next, whatever the history', async () => {
    const res = await request(greetings.app).get('/experiments').expect(200);
    const page = ExperimentsPage.parse(res.body);
    expect(page.experiments.map((p) => p.phase)).toEqual(
      Array.from({ length: 10 }, (_, i) => PHASES - i),
    );
    expect(page.next).toBe(`/experiments?limit=10&before=${PHASES - 9}`);
    expect(res.text.length).toBeLessThan(15_000);
    const older = ExperimentsPage.parse((await request(greetings.app).get(page.next!)).body);
    expect(older.experiments[0]!.phase).toBe(PHASES - 10);
    // Anonymous: a limit above 20 is answered with 20, and `next` says so.
    const capped = ExperimentsPage.parse(
      (await request(greetings.app).get('/experiments?limit=100&before=51')).body,
    );
    expect(capped.experiments.map((p) => p.phase)).toEqual(
      Array.from({ length: 20 }, (_, i) => 50 - i),
    );
    expect(capped.next).toBe('/experiments?limit=20&before=31');
    // Following `next` reaches phase 1, and the last page's next is null.
    let next: string | null = capped.next;
    const seen: number[] = capped.experiments.map((p) => p.phase);
    while (next) {
      const more = ExperimentsPage.parse((await request(greetings.app).get(next)).body);
      seen.push(...more.experiments.map((p) => p.phase));
      next = more.next;
    }
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => 50 - i));
  });

  it('then a signed-in client reads pages of up to 100 at GET /admin/experiments, with its own next links', async () => {
    await request(greetings.app).get('/admin/experiments').expect(401);
    const page = ExperimentsPage.parse(
      (
        await request(greetings.app)
          .get('/admin/experiments?limit=100')
          .set('Authorization', bearer)
          .expect(200)
      ).body,
    );
    expect(page.experiments.map((p) => p.phase)).toEqual(
      Array.from({ length: 100 }, (_, i) => PHASES - i),
    );
    expect(page.next).toBe(`/admin/experiments?limit=100&before=${PHASES - 99}`);
    const last = ExperimentsPage.parse(
      (
        await request(greetings.app)
          .get('/admin/experiments?limit=100&before=51')
          .set('Authorization', bearer)
          .expect(200)
      ).body,
    );
    expect(last.experiments.map((p) => p.phase)).toEqual(
      Array.from({ length: 50 }, (_, i) => 50 - i),
    );
    expect(last.next).toBeNull();
  });

  it.each(['limit=0', 'limit=101', 'limit=ten', 'before=-1', 'before=1.5'])(
    'then GET /experiments?%s is a 400',
    async (query) => {
      const res = await request(greetings.app)
        .get(`/experiments?${query}`)
        .set('Accept', 'application/json')
        .expect(400);
      expect(res.body).toMatchObject({ reason: 'bad_request' });
    },
  );

  it('then the admin page shows the current phase and three before it, with a link to older ones', async () => {
    const res = await request(greetings.app)
      .get('/admin')
      .set('Authorization', bearer)
      .set('Accept', 'text/html')
      .expect(200);
    expect(res.text.length).toBeLessThan(40_000);
    expect(res.text.match(/<tr>\s*<td>[^<]*<\/td>\s*<td>start/g)).toHaveLength(10);
    expect(res.text).toContain(`Phase ${PHASES} `);
    expect(res.text.match(/<h3>Phase \d+:/g)).toHaveLength(3);
    expect(res.text).toContain(`href="/admin?before=${PHASES - 3}"`);
    const older = await request(greetings.app)
      .get(`/admin?before=${PHASES - 3}`)
      .set('Authorization', bearer)
      .expect(200);
    expect(older.text.match(/<h3>Phase \d+:/g)).toEqual([
      `<h3>Phase ${PHASES - 4}:`,
      `<h3>Phase ${PHASES - 5}:`,
      `<h3>Phase ${PHASES - 6}:`,
    ]);
    expect(older.text.match(/<tr>\s*<td>[^<]*<\/td>\s*<td>start/g)).toHaveLength(10);
    expect(older.text).toContain(`href="/admin?audit_before=${PHASES - 9}"`);
  });

  it('then GET /admin/audit is a page of 20, newest first, with its next link', async () => {
    const res = await request(greetings.app)
      .get('/admin/audit')
      .set('Authorization', bearer)
      .expect(200);
    const page = AuditPage.parse(res.body);
    expect(page.entries.map((e) => e.id)).toEqual(Array.from({ length: 20 }, (_, i) => PHASES - i));
    expect(page.next).toBe(`/admin/audit?limit=20&before=${PHASES - 19}`);
    const first = AuditPage.parse(
      (
        await request(greetings.app)
          .get('/admin/audit?limit=5&before=3')
          .set('Authorization', bearer)
          .expect(200)
      ).body,
    );
    expect(first.entries.map((e) => [e.id, e.action])).toEqual([
      [2, 'start'],
      [1, 'initialize'],
    ]);
    expect(first.next).toBeNull();
  });
});
