import { startRedisServer, type RedisServer } from '@friendly-calculator/common/testing';
import request from './checked-request';
import { freshGreetings, greetingsApp } from './harness';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.stop());

describe.each([
  ['in memory', () => ({})],
  ['on Redis', () => ({ REDIS_URL: redis.url })],
])('greetings API %s', (_label, env) => {
  let greetings: ReturnType<typeof greetingsApp>;
  beforeEach(async () => {
    // Every test starts from an empty Redis, connected (readiness does not wait for it).
    greetings = await freshGreetings(redis.url, env());
  });
  afterEach(() => greetings.close());

  const showGreeting = async (name = 'Bob') => {
    const res = await request(greetings.app)
      .get(`/greeting/${encodeURIComponent(name)}`)
      .set('Accept', 'application/json')
      .expect(200);
    return res.body as { greeting: string; variant: string; strategy: string; impression: string };
  };

  it('when curl asks, then the greeting is plain text, never HTML', async () => {
    const res = await request(greetings.app).get('/greeting/Bob').expect(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(['Hello Bob', 'Howdy Bob']).toContain(res.text);
  });

  it('when a browser asks with Accept text/html, then it still gets text/plain', async () => {
    const res = await request(greetings.app)
      .get('/greeting/%3Cb%3EBob%3C%2Fb%3E')
      .set('Accept', 'text/html,*/*;q=0.8')
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/^(Hello|Howdy) <b>Bob<\/b>$/);
  });

  it('when JSON is asked for, then it has greeting, variant, strategy and an unguessable impression', async () => {
    const body = await showGreeting('  Ann ');
    expect(body.greeting).toBe(body.variant === 'hello' ? 'Hello Ann' : 'Howdy Ann');
    expect(['explore', 'exploit']).toContain(body.strategy);
    expect(body.impression).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect((await showGreeting()).impression).not.toBe(body.impression);
  });

  it('when many greetings are asked for in a row (one snapshot of the numbers), then each answer is the JSON of its own greeting', async () => {
    const impressions = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const res = await request(greetings.app)
        .get(`/greeting/Bob${i}`)
        .set('Accept', 'application/json')
        .expect(200)
        .expect('Content-Type', 'application/json; charset=utf-8');
      const body = res.body as { greeting: string; impression: string; experiment: unknown };
      expect(res.text).toBe(JSON.stringify(body));
      expect(body.greeting).toMatch(new RegExp(` Bob${i}$`));
      expect(body.experiment).toMatchObject({ phase: 1, state: 'running' });
      impressions.add(body.impression);
    }
    expect(impressions.size).toBe(30);
  });

  it('when JSON is asked for, then the experiment after this impression comes along (as /stats says it)', async () => {
    const res = await request(greetings.app)
      .get('/greeting/Bob')
      .set('Accept', 'application/json')
      .expect(200);
    const stats = await request(greetings.app).get('/stats').expect(200);
    expect(res.body.experiment).toEqual(stats.body);
    const row = (stats.body.variants as { name: string; shown: number }[]).find(
      (v) => v.name === res.body.variant,
    );
    expect(row?.shown).toBe(1);
  });

  it.each([
    ['%20%20', 'The name must be 1 to 64 characters long (got 0)'],
    ['x'.repeat(65), 'The name must be 1 to 64 characters long (got 65)'],
    // A C1 control (NEL), refused as the page refuses it: one rule for both.
    ['Bob%C2%85', 'The name must not contain control characters'],
  ])('when the name is %j, then 400 says why', async (name, message) => {
    const res = await request(greetings.app).get(`/greeting/${name}`).expect(400);
    expect(res.text).toBe(`${message}\n`);
  });

  it('when a shown greeting is liked (JSON), then it counts once and a replay is refused', async () => {
    const shown = await showGreeting();
    await request(greetings.app)
      .post('/like_greeting')
      .send({ impression: shown.impression })
      .expect(200, { liked: true, phase: 1, variant: shown.variant });
    const replay = await request(greetings.app)
      .post('/like_greeting')
      .set('Accept', 'application/json')
      .send({ impression: shown.impression })
      .expect(409);
    expect(replay.body).toEqual({
      error: 'This greeting was already liked: one Like per greeting shown',
      status: 409,
      reason: 'used',
    });
    const stats = await request(greetings.app).get('/stats').expect(200);
    const row = (stats.body.variants as { name: string }[]).find((v) => v.name === shown.variant);
    expect(row).toMatchObject({ name: shown.variant, shown: 1, liked: 1, likeRate: 1 });
  });

  it('when the page posts the Like form, then 303 back to the page with the impression to ask about', async () => {
    const shown = await showGreeting();
    const res = await request(greetings.app)
      .post('/like_greeting')
      .type('form')
      .send({ impression: shown.impression, return_to: '/Bob/1/1?liked=1&like=forged' })
      .expect(303);
    expect(res.headers.location).toBe(`http://localhost:5000/Bob/1/1?like=${shown.impression}`);
    await request(greetings.app).get(`/impressions/${shown.impression}`).expect(200, {
      impression: shown.impression,
      status: 'liked',
      phase: 1,
      variant: shown.variant,
    });
  });

  it.each([
    ['already liked', true],
    ['unknown', false],
  ])(
    'when a form Like is refused (%s), then the browser still goes back to the page, and nothing more is counted',
    async (_label, likeFirst) => {
      const shown = await showGreeting();
      const id = likeFirst ? shown.impression : 'AAAAAAAAAAAAAAAAAAAAAA';
      if (likeFirst)
        await request(greetings.app).post('/like_greeting').send({ impression: id }).expect(200);
      const res = await request(greetings.app)
        .post('/like_greeting')
        .type('form')
        .send({ impression: id, return_to: '/Bob/1/1' })
        .expect(303);
      expect(res.headers.location).toBe(
        `http://localhost:5000/Bob/1/1?like=${id}${likeFirst ? '&already=1' : ''}`,
      );
      const stats = await request(greetings.app).get('/stats').expect(200);
      const liked = (stats.body.variants as { liked: number }[]).reduce((n, v) => n + v.liked, 0);
      expect(liked).toBe(likeFirst ? 1 : 0);
    },
  );

  it('when a JSON client says it accepts only text, then a refusal is still JSON with a reason', async () => {
    const res = await request(greetings.app)
      .post('/like_greeting')
      .set('Accept', 'text/plain')
      .send({ impression: 'AAAAAAAAAAAAAAAAAAAAAA' })
      .expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ status: 404, reason: 'unknown' });
    const big = await request(greetings.app)
      .post('/like_greeting')
      .set('Accept', 'text/plain')
      .send({ impression: 'x'.repeat(5000) })
      .expect(413);
    expect(big.body).toMatchObject({ status: 413, reason: 'too-large' });
  });

  it('when a greeting is only looked at (HEAD, plain text, a prefetch), then no impression is recorded', async () => {
    await request(greetings.app)
      .head('/greeting/Bob')
      .set('Accept', 'application/json')
      .expect(200);
    const text = await request(greetings.app).get('/greeting/Bob').expect(200);
    expect(text.headers['cache-control']).toBe('no-store');
    const prefetch = await request(greetings.app)
      .get('/greeting/Bob')
      .set('Accept', 'application/json')
      .set('Sec-Purpose', 'prefetch')
      .expect(200);
    expect(prefetch.body.impression).toBeNull();
    const stats = await request(greetings.app).get('/stats').expect(200);
    expect((stats.body.variants as { shown: number }[]).map((v) => v.shown)).toEqual([0, 0]);
    const real = await request(greetings.app)
      .get('/greeting/Bob')
      .set('Accept', 'application/json')
      .expect(200);
    expect(real.headers['cache-control']).toBe('no-store');
    // The greeting's own view may be a moment old (one snapshot); /stats reads now.
    const after = await request(greetings.app).get('/stats').expect(200);
    expect((after.body.variants as { shown: number }[]).map((v) => v.shown).sort()).toEqual([0, 1]);
  });

  it('when the name holds $ patterns, then it is inserted literally', async () => {
    const res = await request(greetings.app)
      .get(`/greeting/${encodeURIComponent("$& $' $$")}`)
      .expect(200);
    expect(res.text).toMatch(/^(Hello|Howdy) \$& \$' \$\$$/);
  });

  it('when the name holds a C1 control character, then 400', async () => {
    await request(greetings.app)
      .get(`/greeting/${encodeURIComponent('Bob\u0085')}`)
      .expect(400);
  });

  it('when a form post comes with a foreign Referer and no return_to, then it goes to the app, not away', async () => {
    const shown = await showGreeting();
    const res = await request(greetings.app)
      .post('/like_greeting')
      .type('form')
      .set('Referer', 'https://evil.example/phish')
      .send({ impression: shown.impression })
      .expect(303);
    expect(res.headers.location).toBe(`http://localhost:5000/?like=${shown.impression}`);
  });

  it.each([
    [{}, 400, /Missing impression/],
    [{ impression: '' }, 400, /Missing impression/],
    [{ impression: 'not-an-id' }, 400, /Malformed impression/],
    [{ impression: ['a', 'b'] }, 400, /Malformed impression/],
    [{ impression: 'AAAAAAAAAAAAAAAAAAAAAA' }, 404, /Unknown or expired impression/],
  ])('when the JSON body is %j, then %d and nothing is counted', async (body, status, message) => {
    const res = await request(greetings.app).post('/like_greeting').send(body).expect(status);
    expect(res.text).toMatch(message);
    const stats = await request(greetings.app).get('/stats').expect(200);
    expect((stats.body.variants as { liked: number }[]).every((v) => v.liked === 0)).toBe(true);
  });

  it('when the body is neither a form nor JSON, then 415 explains what is expected', async () => {
    const res = await request(greetings.app)
      .post('/like_greeting')
      .set('Content-Type', 'text/plain')
      .send('impression=x')
      .expect(415);
    expect(res.text).toMatch(/form field .* or as JSON/);
  });

  it('when the body is too large or broken, then a 4xx', async () => {
    await request(greetings.app)
      .post('/like_greeting')
      .send({ impression: 'x'.repeat(5000) })
      .expect(413);
    await request(greetings.app)
      .post('/like_greeting')
      .set('Content-Type', 'application/json')
      .send('{"impression":')
      .expect(400);
  });

  it('when /stats is read, then it is the current phase with honest statistics and no best at 0 to 0', async () => {
    const fresh = await request(greetings.app).get('/stats').expect(200);
    expect(fresh.body).toMatchObject({
      phase: 1,
      state: 'running',
      policy: 'epsilon-greedy',
      epsilon: 0.1,
      shipped: null,
      best: null,
      minShownForBest: 100,
      variants: [
        {
          name: 'hello',
          template: 'Hello {name}',
          shown: 0,
          liked: 0,
          likeRate: 0,
          interval: [0.025, 0.975],
          pBest: 0.5,
        },
        {
          name: 'howdy',
          template: 'Howdy {name}',
          shown: 0,
          liked: 0,
          likeRate: 0,
          interval: [0.025, 0.975],
          pBest: 0.5,
        },
      ],
    });
    const shown = await showGreeting();
    await request(greetings.app)
      .post('/like_greeting')
      .send({ impression: shown.impression })
      .expect(200);
    const after = await request(greetings.app).get('/stats').expect(200);
    // One Like in one showing is no winner.
    expect(after.body.best).toBeNull();
    await request(greetings.app).get('/experiments/current').expect(200, after.body);
    const all = await request(greetings.app).get('/experiments').expect(200);
    expect(all.body).toEqual({ experiments: [after.body], next: null });
  });

  it('is alive and ready', async () => {
    await request(greetings.app).get('/healthz').expect(200);
    await request(greetings.app).get('/readyz').expect(200, { status: 'ready' });
    // In memory, greetings depends on nothing; on Redis, Redis is its one dependency.
    const deps = await request(greetings.app).get('/health/dependencies').expect(200);
    expect(deps.body).toMatchObject({
      status: 'ok',
      dependencies: greetings.store.kind === 'redis' ? [{ name: 'redis', state: 'up' }] : [],
    });
  });
});

describe('every greetings response', () => {
  const greetings = greetingsApp();
  afterAll(() => greetings.close());

  it.each([
    ['GET /greeting/%3Cb%3EBob%3C%2Fb%3E', 200],
    ['GET /stats', 200],
    ['GET /healthz', 200],
    ['GET /greeting/%20', 400],
    ['GET /%3Cscript%3E', 404],
    ['POST /like_greeting', 415],
  ])('when %s (%d), then it says X-Content-Type-Options: nosniff', async (line, status) => {
    const [method, url] = line.split(' ') as ['GET' | 'POST', string];
    const res = await (
      method === 'GET'
        ? request(greetings.app).get(url)
        : request(greetings.app).post(url).set('Content-Type', 'text/plain').send('x')
    ).expect(status);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('when a Like body is too large (a body parser refusal), then it says nosniff too', async () => {
    const res = await request(greetings.app)
      .post('/like_greeting')
      .send({ impression: 'x'.repeat(2000) })
      .expect(413);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});
