import { createNullMetrics, createReadiness, silentLogger } from '@friendly-calculator/common';
import { checkEveryAnswer } from '@friendly-calculator/common/testing';
import supertest from 'supertest';
import { createApp } from '../../src/app';
import { mathsDocument } from '../../src/http/openapi';

const app = createApp({ logger: silentLogger(), metrics: createNullMetrics() });
// Every answer below is also checked against maths' OpenAPI document.
const request = (target: typeof app) => checkEveryAnswer(supertest(target), mathsDocument());

describe('GET /{op}', () => {
  it('when curl adds 1 and 1, then the body is plain text 2', async () => {
    const res = await request(app).get('/add?x=1&y=1').expect(200);
    expect(res.type).toBe('text/plain');
    expect(res.text).toBe('2\n');
  });

  it('when adding 0.1 and 0.2, then it prints 0.3', async () => {
    const res = await request(app).get('/add?x=0.1&y=0.2').expect(200);
    expect(res.text).toBe('0.3\n');
  });

  it.each([
    ['subtract', '5', '7', '-2'],
    ['multiply', '1.5', '4', '6'],
    ['divide', '7', '2', '3.5'],
    ['power', '2', '8', '256'],
  ])('when %s(%s, %s), then %s', async (op, x, y, expected) => {
    const res = await request(app).get(`/${op}`).query({ x, y }).expect(200);
    expect(res.text).toBe(`${expected}\n`);
  });

  it('when the client accepts JSON, then it gets operation, x, y and result', async () => {
    const res = await request(app)
      .get('/divide?x=7&y=2')
      .set('Accept', 'application/json')
      .expect('Content-Type', /application\/json/)
      .expect(200);
    expect(res.body).toEqual({ operation: 'divide', x: 7, y: 2, result: 3.5 });
  });

  it('when dividing by zero, then a 422 says why', async () => {
    const res = await request(app).get('/divide?x=1&y=0').expect(422);
    expect(res.type).toBe('text/plain');
    expect(res.text).toBe('Division by zero: y must not be 0 when dividing\n');
  });

  it('when dividing by zero and asking for JSON, then the JSON error says why', async () => {
    const res = await request(app)
      .get('/divide?x=1&y=0')
      .set('Accept', 'application/json')
      .expect(422);
    expect(res.body).toEqual({
      error: 'Division by zero: y must not be 0 when dividing',
      status: 422,
    });
  });

  it.each([
    ['/add?y=1', 400, /Missing number: 'x' is required/],
    ['/add?x=1', 400, /Missing number: 'y' is required/],
    ['/add?x=&y=1', 400, /Missing number: 'x'/],
    ['/add?x=abc&y=1', 400, /'x' must be a decimal number .*"abc"/],
    ['/add?x=1&y=NaN', 400, /'y' must be a decimal number .*"NaN"/],
    ['/add?x=Infinity&y=1', 400, /'x' must be a decimal number/],
    ['/add?x=0x1A&y=1', 400, /'x' must be a decimal number .*"0x1A"/],
    ['/add?x=1e999&y=1', 400, /'x' is too large to represent/],
    ['/add?x=1&x=2&y=1', 400, /^'x' must be given exactly once\n$/],
    ['/add?x=1&y=2&y=2', 400, /^'y' must be given exactly once\n$/],
    ['/add?x[a]=1&y=1', 400, /Missing number: 'x'/],
    ['/multiply?x=1e200&y=1e200', 422, /too large to represent/],
    ['/power?x=-8&y=0.5', 422, /not a real number/],
  ])('when GET %s, then %d naming the problem', async (url, status, message) => {
    const res = await request(app).get(url).expect(status);
    expect(res.text).toMatch(message);
  });

  it('when the operation is unknown, then 404 lists the ones there are', async () => {
    const res = await request(app)
      .get('/modulo?x=1&y=1')
      .set('Accept', 'application/json')
      .expect(404);
    expect(res.body.error).toBe(
      "Unknown operation 'modulo': try add, subtract, multiply, divide, power",
    );
    expect(res.body.operations).toEqual(['add', 'subtract', 'multiply', 'divide', 'power']);
  });

  it('when the path is deeper than an operation, then 404', async () => {
    await request(app).get('/add/more').expect(404);
  });
});

describe('GET / and health', () => {
  it('lists the operations', async () => {
    const res = await request(app).get('/').set('Accept', 'application/json').expect(200);
    expect(res.body).toEqual({
      service: 'maths',
      operations: ['add', 'subtract', 'multiply', 'divide', 'power'],
    });
  });

  it('is alive and ready, and depends on nothing', async () => {
    await request(app).get('/healthz').expect(200, { status: 'ok' });
    await request(app).get('/readyz').expect(200, { status: 'ready' });
    await request(app).get('/health/dependencies').expect(200, { status: 'ok', dependencies: [] });
  });

  it('when it drains (SIGTERM), then /readyz is 503 and /healthz still 200', async () => {
    const readiness = createReadiness();
    const draining = createApp({ logger: silentLogger(), metrics: createNullMetrics(), readiness });
    await request(draining).get('/readyz').expect(200);
    readiness.drain();
    await request(draining).get('/readyz').expect(503, { status: 'draining' });
    await request(draining).get('/healthz').expect(200);
  });

  it('does not advertise Express', async () => {
    const res = await request(app).get('/add?x=1&y=1');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});

describe('GET /calculate (several operations at once)', () => {
  it('when asked for JSON, then every operation answers, each with its own result or error', async () => {
    const res = await request(app)
      .get('/calculate?x=7&y=0&ops=add,subtract,multiply,divide')
      .set('Accept', 'application/json')
      .expect(200);
    expect(res.body).toEqual({
      x: 7,
      y: 0,
      results: {
        add: { result: 7 },
        subtract: { result: 7 },
        multiply: { result: 0 },
        divide: { error: 'Division by zero: y must not be 0 when dividing', status: 422 },
      },
    });
  });

  it('when ops is left out, then all operations answer; curl gets one line each', async () => {
    const res = await request(app).get('/calculate?x=0.1&y=0.2').expect(200);
    expect(res.text).toBe(
      'add 0.3\nsubtract -0.1\nmultiply 0.02\ndivide 0.5\npower 0.630957344480193\n',
    );
  });

  it.each([
    ['/calculate?x=1&y=1&ops=add,modulo', /'ops' must list distinct operations/],
    ['/calculate?x=1&y=1&ops=add,add', /'ops' must list distinct operations/],
    ['/calculate?x=abc&y=1&ops=add', /'x' must be a decimal number/],
    ['/calculate?y=1', /Missing number: 'x'/],
    ['/calculate?x=1&y=1&ops=add&ops=divide', /^'ops' must be given exactly once\n$/],
    ['/calculate?x=1&y=1&ops=add,divide&ops=', /^'ops' must be given exactly once\n$/],
    ['/calculate?x=1&x=2&y=1', /^'x' must be given exactly once\n$/],
    ['/calculate?x=1&y=1&y=1', /^'y' must be given exactly once\n$/],
  ])('when GET %s, then 400 naming the problem', async (url, message) => {
    const res = await request(app).get(url).expect(400);
    expect(res.text).toMatch(message);
  });
});

describe('a repeated query parameter', () => {
  it('when ops is repeated and JSON is asked for, then the 400 names it', async () => {
    const res = await request(app)
      .get('/calculate?x=1&y=1&ops=add&ops=divide')
      .set('Accept', 'application/json')
      .expect(400);
    expect(res.body).toEqual({
      error: "'ops' must be given exactly once",
      status: 400,
      parameter: 'ops',
    });
  });
});

describe('every response', () => {
  it.each([
    ['/add?x=1&y=1', 200],
    ['/calculate?x=1&y=0', 200],
    ['/', 200],
    ['/healthz', 200],
    ['/add?x=%3Cb%3E&y=1', 400],
    ['/divide?x=1&y=0', 422],
    ['/%3Cscript%3E', 404],
    ['/add/extra', 404],
  ])('when GET %s (%d), then it says X-Content-Type-Options: nosniff', async (url, status) => {
    const res = await request(app).get(url).expect(status);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('GET /openapi.json', () => {
  it('serves the OpenAPI 3.1 document the answers above were checked against', async () => {
    const res = await request(app).get('/openapi.json').expect(200).expect('Content-Type', /json/);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(mathsDocument())));
    expect(res.body.openapi).toBe('3.1.0');
  });
});

describe('GET /docs/ (Swagger UI)', () => {
  it('serves Swagger UI from this service, under a CSP without inline scripts or other origins', async () => {
    const res = await request(app).get('/docs/').expect(200).expect('Content-Type', /html/);
    expect(res.text).toContain('<script src="./swagger-ui-bundle.js"');
    expect(res.text).not.toMatch(/https?:\/\//);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
  });

  it('serves its script and the initializer that points at ../openapi.json', async () => {
    await supertest(app)
      .get('/docs/swagger-ui-bundle.js')
      .expect(200)
      .expect('Content-Type', /javascript/);
    const init = await supertest(app).get('/docs/initializer.js').expect(200);
    expect(init.text).toContain("url: '../openapi.json'");
    expect(init.text).toContain('validatorUrl: null');
  });

  it('when /docs is asked for without its slash, then it redirects to /docs/', async () => {
    await supertest(app).get('/docs').expect(301).expect('Location', '/docs/');
  });
});
