import { createNullMetrics, silentLogger } from '@friendly-calculator/common';
import { freePort } from '@friendly-calculator/common/testing';
import { checkEveryAnswer } from '@friendly-calculator/common/testing';
import request from 'supertest';
import { buildGreetings } from '../../../greetings/src/compose';
import { loadGreetingsConfig } from '../../../greetings/src/config';
import { greetingsDocument } from '../../../greetings/src/http/openapi';
import { createApp as createMathsApp } from '../../../maths/src/app';
import { createApp } from '../../src/app';
import { awesomeAppDocument } from '../../src/http/openapi';
import { createGreetingsClient } from '../../src/clients/greetings';
import { createMathsClient } from '../../src/clients/maths';
import { createUpstream, type Upstream } from '../../src/clients/upstream';
import { listen, listenAndHang, type TestServer } from '../servers';

// Every answer is checked against its service's OpenAPI document: the page's and greetings'.
// One document object each, so its schemas are compiled once, not inside a timed request.
const pageDoc = awesomeAppDocument();
const pageRequest = (target: Parameters<typeof request>[0]) =>
  checkEveryAnswer(request(target), pageDoc);
const greetingsDoc = greetingsDocument();
const greetingsRequest = (target: Parameters<typeof request>[0]) =>
  checkEveryAnswer(request(target), greetingsDoc);

/**
 * The page with the real maths and the real greetings (in-memory store),
 * each listening on a free port in this process, talking real HTTP. No mocks.
 */
const APP_URL = 'http://app.test:5000';
const TIMEOUT_MS = 300;

let maths: TestServer;
let greetings: TestServer;
let closeGreetings: () => Promise<void>;
const upstreams: Upstream[] = [];

beforeAll(async () => {
  const logger = silentLogger();
  const metrics = createNullMetrics();
  maths = await listen(createMathsApp({ logger, metrics }));
  const built = buildGreetings(loadGreetingsConfig({ AWESOME_APP_URL: APP_URL }), {
    logger,
    metrics,
  });
  closeGreetings = () => built.close();
  greetings = await listen(built.app);
});

afterEach(async () => {
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});

afterAll(async () => {
  await Promise.all([maths.close(), greetings.close()]);
  await closeGreetings();
});

/** The awesome-app, wired to whichever greetings and maths addresses a test wants. */
function page(urls: { greetings?: string; maths?: string } = {}) {
  const metrics = createNullMetrics();
  const upstream = (name: string, baseUrl: string) => {
    const u = createUpstream({ name, baseUrl, timeoutMs: TIMEOUT_MS, metrics });
    upstreams.push(u);
    return u;
  };
  return createApp({
    greetings: createGreetingsClient(upstream('greetings', urls.greetings ?? greetings.url)),
    maths: createMathsClient(upstream('maths', urls.maths ?? maths.url)),
    logger: silentLogger(),
    metrics,
    greetingsPublicUrl: greetings.url,
    grafanaUrl: 'http://localhost:3000',
    graphiteUrl: 'http://localhost:8080',
    dependencyTimeoutMs: TIMEOUT_MS + 200,
  });
}

const textOf = (html: string, id: string) =>
  new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(html)?.[1]?.trim();
const hidden = (html: string, field: string) =>
  new RegExp(`name="${field}" value="([^"]*)"`).exec(html)?.[1];

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = Date.now();
  const result = await work();
  return [result, Date.now() - started];
}

describe('the whole page, with real maths and greetings', () => {
  it('when Bob asks for 1 and 1, then he is greeted by name and #result says 1 + 1 = 2', async () => {
    const res = await pageRequest(page()).get('/Bob/1/1').expect(200);
    expect(textOf(res.text, 'greeting')).toMatch(/^\w+ Bob$/);
    expect(textOf(res.text, 'result')).toBe('1 + 1 = 2');
    expect(textOf(res.text, 'difference')).toBe('1 - 1 = 0');
    expect(textOf(res.text, 'product')).toBe('1 × 1 = 1');
    expect(textOf(res.text, 'quotient')).toBe('1 ÷ 1 = 1');
    expect(res.text).toContain('How the experiment is going');
    expect(res.text).toMatch(/<svg\s+class="chart"/);
    expect(textOf(res.text, 'experiment-verdict')).toMatch(/^Still learning/);
  });

  it('when 0.1 and 0.2 are added, then maths’ friendly 0.3 is shown', async () => {
    const res = await pageRequest(page()).get('/Ann/0.1/0.2').expect(200);
    expect(textOf(res.text, 'result')).toBe('0.1 + 0.2 = 0.3');
  });

  it('when Bob likes his greeting, then greetings counts it and sends him back to the same page, which thanks him', async () => {
    const app = page();
    const before = await greetingsRequest(greetings.url).get('/stats').expect(200);
    const likesBefore = (before.body.variants as { liked: number }[]).reduce(
      (n, v) => n + v.liked,
      0,
    );

    const first = await pageRequest(app).get('/Bob/1/1').expect(200);
    const impression = hidden(first.text, 'impression');
    expect(impression).toBeDefined();
    expect(first.text).toContain(`action="${greetings.url}/like_greeting"`);

    // What the browser does with the Like form: a plain form post, cross-origin.
    const liked = await greetingsRequest(greetings.url)
      .post('/like_greeting')
      .type('form')
      .set('Referer', `${APP_URL}/`)
      .send({ impression, return_to: hidden(first.text, 'return_to') })
      .expect(303);
    expect(liked.headers.location).toBe(`${APP_URL}/Bob/1/1?like=${impression}`);

    const location = new URL(String(liked.headers.location));
    const back = await pageRequest(app)
      .get(location.pathname + location.search)
      .expect(200);
    expect(textOf(back.text, 'like-notice')).toMatch(/^Thank you for the Like!/);
    const after = await greetingsRequest(greetings.url).get('/stats').expect(200);
    const likesAfter = (after.body.variants as { liked: number }[]).reduce(
      (n, v) => n + v.liked,
      0,
    );
    expect(likesAfter).toBe(likesBefore + 1);

    // The same impression cannot be liked twice.
    const again = await greetingsRequest(greetings.url)
      .post('/like_greeting')
      .type('form')
      .send({ impression, return_to: '/Bob/1/1' });
    // Back to the page again, which says it is counted (once).
    expect(again.status).toBe(303);
    const stats = await greetingsRequest(greetings.url).get('/stats').expect(200);
    expect((stats.body.variants as { liked: number }[]).reduce((n, v) => n + v.liked, 0)).toBe(
      likesAfter,
    );
  });

  it('when both services are up, then /readyz is ready', async () => {
    await pageRequest(page()).get('/readyz').expect(200);
  });
});

describe('when a service is down or hangs, the page is still prompt and friendly', () => {
  it('when greetings is down, then the sums show with a notice and no Like button', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const [res, ms] = await timed(() => pageRequest(page({ greetings: down })).get('/Bob/1/1'));
    expect(res.status).toBe(200);
    expect(ms).toBeLessThan(TIMEOUT_MS);
    expect(textOf(res.text, 'greetings-unavailable')).toMatch(
      /greetings is not running \(connection refused\)/,
    );
    expect(res.text).not.toContain('like_greeting');
    expect(textOf(res.text, 'result')).toBe('1 + 1 = 2');
    expect(res.text).toContain('id="stats-unavailable"');
  });

  it('when maths is down, then the greeting shows with a notice in place of the results', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const res = await pageRequest(page({ maths: down }))
      .get('/Bob/1/1')
      .expect(200);
    expect(textOf(res.text, 'greeting')).toMatch(/Bob$/);
    expect(textOf(res.text, 'maths-unavailable')).toMatch(/maths is not running/);
    expect(res.text).not.toContain('id="result"');
  });

  it.each(['greetings', 'maths'] as const)(
    'when %s accepts the connection but never answers, then the page renders within the timeout',
    async (service) => {
      const hanging = await listenAndHang();
      try {
        const [res, ms] = await timed(() =>
          pageRequest(page({ [service]: hanging.url })).get('/Bob/1/1'),
        );
        expect(res.status).toBe(200);
        expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 10);
        expect(ms).toBeLessThan(TIMEOUT_MS + 700);
        expect(res.text).toContain(`${service} did not answer within ${TIMEOUT_MS} ms`);
        // The other service's part is there.
        if (service === 'greetings') expect(textOf(res.text, 'result')).toBe('1 + 1 = 2');
        else expect(textOf(res.text, 'greeting')).toMatch(/Bob$/);
      } finally {
        await hanging.close();
      }
    },
  );

  it('when greetings hangs, then /readyz is ready at once and /health/dependencies names it within the deadline', async () => {
    const hanging = await listenAndHang();
    try {
      const app = page({ greetings: hanging.url });
      const [ready, readyMs] = await timed(() => pageRequest(app).get('/readyz'));
      expect(ready.status).toBe(200);
      expect(readyMs).toBeLessThan(TIMEOUT_MS);
      const [res, ms] = await timed(() => pageRequest(app).get('/health/dependencies'));
      expect(res.status).toBe(200);
      expect(ms).toBeLessThan(TIMEOUT_MS + 700);
      expect(res.body).toMatchObject({
        status: 'degraded',
        dependencies: [
          {
            name: 'greetings',
            state: 'down',
            error: `greetings did not answer within ${TIMEOUT_MS} ms`,
          },
          { name: 'maths', state: 'up' },
        ],
      });
    } finally {
      await hanging.close();
    }
  });

  it('when greetings and maths are both unreachable, then the page is ready, renders with both notices, and /health/dependencies says what is down', async () => {
    const app = page({
      greetings: `http://127.0.0.1:${await freePort()}`,
      maths: `http://127.0.0.1:${await freePort()}`,
    });
    await pageRequest(app).get('/readyz').expect(200, { status: 'ready' });
    const res = await pageRequest(app).get('/Bob/1/1').expect(200);
    expect(textOf(res.text, 'greetings-unavailable')).toMatch(/greetings is not running/);
    expect(textOf(res.text, 'maths-unavailable')).toMatch(/maths is not running/);
    const deps = await pageRequest(app).get('/health/dependencies').expect(200);
    expect(deps.body).toEqual({
      status: 'degraded',
      dependencies: ['greetings', 'maths'].map((name) => ({
        name,
        state: 'down',
        checkMs: expect.any(Number),
        checkedAt: expect.any(String),
        error: expect.stringMatching(new RegExp(`^${name} is not running`)),
      })),
    });
  });
});
