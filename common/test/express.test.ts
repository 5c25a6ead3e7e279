import express from 'express';
import request from 'supertest';
import { errorHandler, noSniff, notFoundHandler, requestLogger } from '../src/express';
import { healthRoutes } from '../src/health';
import { HttpError } from '../src/http-error';
import { silentLogger } from '../src/logger';
import { capturingLogger, PINO_ERROR } from '../src/testing/capturing-logger';

function appWith(setup: (app: express.Express) => void) {
  const app = express();
  setup(app);
  app.use(notFoundHandler);
  app.use(errorHandler(silentLogger()));
  return app;
}

describe('error handling', () => {
  const app = appWith((a) => {
    a.use(express.json({ limit: '1kb' }));
    a.get('/teapot', () => {
      throw new HttpError(418, 'I am a teapot', { hint: 'tea' });
    });
    a.get('/boom', async () => {
      throw new Error('secret database password in message');
    });
    a.post('/echo', (req, res) => res.json(req.body));
  });

  it('when a route throws an HttpError, then its status and message are sent as text by default', async () => {
    const res = await request(app).get('/teapot').expect(418);
    expect(res.text).toBe('I am a teapot\n');
  });

  it('when the client wants JSON, then the error is JSON with its details', async () => {
    const res = await request(app).get('/teapot').set('Accept', 'application/json').expect(418);
    expect(res.body).toEqual({ error: 'I am a teapot', status: 418, hint: 'tea' });
  });

  it('when an async route rejects with an unknown error, then 500 with a safe message', async () => {
    const res = await request(app).get('/boom').expect(500);
    expect(res.text).toBe('Internal server error\n');
  });

  it('when a JSON body is malformed or too large, then a 4xx, not a 500', async () => {
    await request(app)
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send('{"a":')
      .expect(400);
    await request(app)
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ a: 'x'.repeat(5000) }))
      .expect(413);
  });

  it('when nothing matches, then a 404 names the path', async () => {
    const res = await request(app).get('/nowhere').expect(404);
    expect(res.text).toBe('Not found: GET /nowhere\n');
  });
});

describe('a path Express cannot decode', () => {
  const logged = () => {
    const { lines, logger } = capturingLogger();
    const app = express();
    app.use(requestLogger(logger));
    app.get('/greeting/:name', (req, res) => res.send(req.params.name));
    app.get('/:op', (req, res) => res.send(req.params.op));
    app.use(notFoundHandler);
    app.use(errorHandler(logger));
    return { app, lines };
  };

  it.each([
    ['a broken escape', '/greeting/%ZZ'],
    ['a lone surrogate in UTF-8', '/greeting/%ED%A0%80'],
    ['a truncated escape', '/greeting/%E0%A4%A'],
    ['an escape glued to a name', '/add%ZZ'],
  ])(
    'when the path has %s, then 400 saying so, and no error-level log line',
    async (_what, path) => {
      const { app, lines } = logged();
      const text = await request(app).get(path).expect(400);
      expect(text.text).toMatch(/^Malformed percent-encoding in the path/);
      const json = await request(app).get(path).set('Accept', 'application/json').expect(400);
      expect(json.body).toMatchObject({ status: 400, reason: 'malformed_path' });
      expect(lines.filter((l) => Number(l.level) >= PINO_ERROR)).toEqual([]);
      expect(lines.filter((l) => l.msg === 'request').map((l) => l.status)).toEqual([400, 400]);
    },
  );

  it('when a valid escape is in the path, then it is decoded as before', async () => {
    await request(logged().app).get('/greeting/Zo%C3%AB').expect(200, 'Zoë');
  });
});

describe('request log lines', () => {
  it.each([
    ['/add?x=1&y=2', '/add?x&y'],
    ['/admin?token=s3cret-value-here', '/admin?token'],
    ['/a?=v&flag&', '/a?&flag'],
    ['/plain', '/plain'],
    ['/empty?', '/empty'],
  ])('when %s is asked for, then the line says %s: names, never values', async (url, shown) => {
    const { lines, logger } = capturingLogger();
    const app = express();
    app.use(requestLogger(logger));
    app.use((_req, res) => res.send('ok'));
    await request(app).get(url).expect(200);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'request', url: shown });
    expect(JSON.stringify(lines)).not.toContain('s3cret');
  });
});

describe('noSniff', () => {
  const app = appWith((a) => {
    a.use(noSniff);
    a.use(express.json({ limit: '1kb' }));
    a.use(healthRoutes());
    a.get('/echo/:text', (req, res) => res.type('text/plain').send(req.params.text));
    a.get('/boom', () => {
      throw new Error('boom');
    });
    a.post('/json', (req, res) => res.json(req.body));
  });

  it.each([
    [
      'an answer echoing the visitor',
      (r: request.Agent) => r.get('/echo/%3Cb%3Ehi%3C%2Fb%3E'),
      200,
    ],
    ['a 404', (r: request.Agent) => r.get('/%3Cscript%3E'), 404],
    ['a 500', (r: request.Agent) => r.get('/boom'), 500],
    [
      'a body parser refusal',
      (r: request.Agent) => r.post('/json').set('Content-Type', 'application/json').send('{'),
      400,
    ],
    ['a health check', (r: request.Agent) => r.get('/healthz'), 200],
  ])('when it is %s, then it says X-Content-Type-Options: nosniff', async (_what, send, status) => {
    const res = await send(request.agent(app)).expect(status);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('per-route metrics', () => {
  function recording() {
    const sent: string[] = [];
    const metrics = {
      increment: (name: string) => void sent.push(`${name}:c`),
      timing: (name: string) => void sent.push(`${name}:ms`),
      gauge: (name: string) => void sent.push(`${name}:g`),
      close: () => Promise.resolve(),
    };
    return { sent, metrics };
  }

  function routedApp(metrics: ReturnType<typeof recording>['metrics']) {
    const app = express();
    app.use(requestLogger(silentLogger(), metrics));
    app.use(healthRoutes());
    app.get('/', (_req, res) => res.send('home'));
    app.get('/:name/:x/:y', (_req, res) => res.send('page'));
    app.post('/admin/experiments/current/pause', () => {
      throw new HttpError(503, 'down');
    });
    app.use(notFoundHandler);
    app.use(errorHandler(silentLogger()));
    return app;
  }

  const settle = () => new Promise((r) => setImmediate(r));

  it('when the same routes answer again and again (names remembered), then every request gets its own route and status', async () => {
    const { sent, metrics } = recording();
    const app = routedApp(metrics);
    const cases = [
      ['/Bob/1/2', 200, 'get_name_x_y.status.2xx'],
      ['/', 200, 'get_root.status.2xx'],
      ['/no/such/page/here', 404, 'other.status.4xx'],
    ] as const;
    for (let i = 0; i < 30; i++) {
      const [path, status, name] = cases[i % cases.length]!;
      sent.length = 0;
      await request(app).get(path).expect(status);
      await settle();
      expect(sent).toEqual([
        'http.requests:c',
        `http.status.${String(status)[0]}xx:c`,
        'http.latency:ms',
        `http.route.${name}:c`,
        `http.route.${name.split('.')[0]}.latency:ms`,
      ]);
    }
  });

  it('when routes answer, then each is counted and timed under its route pattern, never the raw path', async () => {
    const { sent, metrics } = recording();
    const app = routedApp(metrics);
    await request(app).get('/Bob/1/2').expect(200);
    await request(app).get('/').expect(200);
    await request(app).post('/admin/experiments/current/pause').expect(503);
    await request(app).get('/no/such/page/here').expect(404);
    await settle();
    expect(sent).toEqual(
      expect.arrayContaining([
        'http.route.get_name_x_y.status.2xx:c',
        'http.route.get_name_x_y.latency:ms',
        'http.route.get_root.status.2xx:c',
        'http.route.post_admin_experiments_current_pause.status.5xx:c',
        'http.route.post_admin_experiments_current_pause.latency:ms',
        'http.route.other.status.4xx:c',
      ]),
    );
    for (const name of sent) {
      expect(name).not.toMatch(/bob/i);
      // One Graphite path: dot-separated segments of [a-z0-9_] only.
      expect(name.split(':')[0]).toMatch(/^[a-z0-9_]+(\.[a-z0-9_]+)*$/);
    }
  });

  it('when a health check is asked, then no metric is sent', async () => {
    const { sent, metrics } = recording();
    await request(routedApp(metrics)).get('/healthz').expect(200);
    await settle();
    expect(sent).toEqual([]);
  });
});
