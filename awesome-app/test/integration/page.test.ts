import { createNullMetrics, createReadiness, silentLogger } from '@friendly-calculator/common';
import { checkEveryAnswer } from '@friendly-calculator/common/testing';
import supertest from 'supertest';
import { createApp, type AppDeps } from '../../src/app';
import { awesomeAppDocument } from '../../src/http/openapi';
import type { LikeCheck } from '../../src/page';
import { allOps, fakeGreetings, fakeMaths, unavailable } from '../fakes';

// supertest against createApp, with fake clients: the page's logic, escaping and notices.
function app(overrides: Partial<AppDeps> = {}) {
  return createApp({
    greetings: fakeGreetings(),
    maths: fakeMaths(),
    logger: silentLogger(),
    metrics: createNullMetrics(),
    greetingsPublicUrl: 'http://greetings.example:5002',
    grafanaUrl: 'http://localhost:3000',
    graphiteUrl: 'http://localhost:8080',
    ...overrides,
  });
}

// Every answer in this file is also checked against awesome-app's OpenAPI document.
const document = awesomeAppDocument();
const request = (target: ReturnType<typeof app>) => checkEveryAnswer(supertest(target), document);

/** The text of the (innermost, tag-free) element with this id, or undefined. */
function textOf(html: string, id: string): string | undefined {
  return new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(html)?.[1]?.trim();
}

describe('GET /{name}/{x}/{y}', () => {
  it('when Bob asks for 1 and 1, then he is greeted and #result says 1 + 1 = 2', async () => {
    const res = await request(app()).get('/Bob/1/1').expect(200);
    expect(res.type).toBe('text/html');
    expect(textOf(res.text, 'greeting')).toBe('Hello Bob');
    expect(textOf(res.text, 'result')).toBe('1 + 1 = 2');
    expect(textOf(res.text, 'difference')).toBe('1 - 1 = 0');
    expect(textOf(res.text, 'product')).toBe('1 × 1 = 1');
    expect(textOf(res.text, 'quotient')).toBe('1 ÷ 1 = 1');
  });

  it('when the numbers are written oddly, then they are shown normalised', async () => {
    const res = await request(app()).get('/Ann/1e3/.5').expect(200);
    expect(textOf(res.text, 'result')).toBe('1000 + 0.5 = 1000.5');
  });

  it('when y is negative, then it is shown in brackets', async () => {
    const res = await request(app()).get('/Ann/5/-2').expect(200);
    expect(textOf(res.text, 'difference')).toBe('5 - (-2) = 7');
  });

  it('when the page renders, then the Like form posts the impression to greetings, with the way back', async () => {
    const res = await request(app()).get('/Zo%C3%AB/1/2?like=o7TPnknh3vRWfgDDSkdbNw').expect(200);
    expect(res.text).toContain(
      '<form class="like" method="post" action="http://greetings.example:5002/like_greeting">',
    );
    expect(res.text).toContain('<input type="hidden" name="impression" value="imp-1">');
    // The page's own address, without the ?like=… greetings added.
    expect(res.text).toContain('<input type="hidden" name="return_to" value="/Zo%C3%AB/1/2">');
  });

  it('when the page renders, then it is never cached (each view is a new impression)', async () => {
    await request(app()).get('/Bob/1/1').expect('Cache-Control', 'no-store');
  });

  it('when dividing by zero, then maths’ reason stands in place of the quotient only', async () => {
    const res = await request(app()).get('/Bob/7/0').expect(200);
    expect(textOf(res.text, 'result')).toBe('7 + 0 = 7');
    expect(textOf(res.text, 'quotient')).toBe('7 ÷ 0');
    expect(res.text).toContain('Division by zero: y must not be 0 when dividing');
  });

  it('when the greeting comes back with HTML in it, then it is escaped', async () => {
    const greetings = fakeGreetings({
      greet: async () => ({
        ok: true,
        value: {
          greeting: '<b>Hi</b>',
          variant: '<i>v</i>',
          strategy: 'explore',
          impression: '"x',
        },
      }),
    });
    const res = await request(app({ greetings })).get('/Bob/1/1').expect(200);
    expect(res.text).toContain('&lt;b&gt;Hi&lt;/b&gt;');
    expect(res.text).toContain('value="&#34;x"');
    expect(res.text).not.toMatch(/<b>|<i>/);
  });
});

describe('escaping what the visitor typed', () => {
  it.each([
    ['<img src=x onerror=alert(1)>', '<img src=x'],
    ['"><script>alert(1)</script>', '<script>'],
    ["'onmouseover='alert(1)", "'onmouseover='"],
  ])('when the name is %s, then it appears only escaped', async (name, raw) => {
    const res = await request(app())
      .get(`/${encodeURIComponent(name)}/1/1`)
      .expect(200);
    expect(res.text).not.toContain(raw);
    expect(res.text).toMatch(/Hello (&lt;|&#34;|&#39;)/);
  });

  it('when the name is HTML and the input is bad, then the 400 form echoes it escaped', async () => {
    const res = await request(app()).get(`/${encodeURIComponent('"><script>x</script>')}/abc/1`);
    expect(res.status).toBe(400);
    expect(res.text).not.toContain('<script>');
    expect(res.text).toContain('value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"');
  });

  it('when a bad number is HTML, then the message quotes it escaped', async () => {
    const res = await request(app())
      .get(`/Bob/${encodeURIComponent('<b>1</b>')}/1`)
      .expect(400);
    expect(res.text).not.toContain('<b>1</b>');
    expect(res.text).toContain('“&lt;b&gt;1&lt;/b&gt;” is not one');
  });
});

describe('a friendly 400 that says what to fix', () => {
  it.each([
    [
      '/Bob/abc/1',
      /first number \(x\) must be a plain decimal number such as 3, -2.5 or 1e3; “abc”/,
    ],
    ['/Bob/1/1e999', /second number \(y\) is too large to calculate with/],
    ['/Bob/Infinity/1', /first number \(x\) must be a plain decimal number.*“Infinity”/],
    ['/Bob/NaN/1', /“NaN” is not one/],
    ['/Bob/0x10/1', /“0x10” is not one/],
    ['/Bob/1,5/1', /“1,5” is not one/],
    [`/${'a'.repeat(65)}/1/1`, /at most 64 characters long \(this one has 65\)/],
    ['/%20/1/1', /Please tell us your name/],
    ['/Bob%C2%85/1/1', /Your name cannot contain line breaks or control characters/],
  ])('when GET %s, then 400 naming the problem', async (url, message) => {
    const greetings = fakeGreetings();
    const res = await request(app({ greetings })).get(url).expect(400);
    expect(res.type).toBe('text/html');
    expect(res.text).toMatch(message);
    expect(res.text).toContain('<form class="calc" method="get" action="/calculate">');
    // Nothing is asked of the services for input we refuse.
    expect(greetings.names).toEqual([]);
  });

  it('when a name is exactly 64 characters (an emoji counts as one), then it is fine', async () => {
    await request(app())
      .get(`/${encodeURIComponent('😀'.repeat(64))}/1/1`)
      .expect(200);
  });

  it('when both numbers are wrong, then both problems are listed at once', async () => {
    const res = await request(app()).get('/Bob/x/y').expect(400);
    expect(res.text.match(/<li>/g)).toHaveLength(2);
  });
});

describe('when a service is down or says no', () => {
  it('when greetings is unavailable, then the sums still show, with a notice and no Like button', async () => {
    const down = unavailable('greetings did not answer within 1000 ms');
    const greetings = fakeGreetings({ greet: async () => down });
    const res = await request(app({ greetings })).get('/Bob/1/1').expect(200);
    expect(textOf(res.text, 'greetings-unavailable')).toBe(
      'No greeting this time: greetings did not answer within 1000 ms.',
    );
    expect(res.text).not.toContain('id="greeting"');
    expect(res.text).not.toContain('like_greeting');
    expect(textOf(res.text, 'result')).toBe('1 + 1 = 2');
    expect(textOf(res.text, 'stats-unavailable')).toMatch(/numbers are not available right now/);
  });

  it('when maths is unavailable, then one notice replaces the results and the greeting stays', async () => {
    const maths = fakeMaths({
      calculateAll: async () => allOps(unavailable('maths is not running (connection refused)')),
    });
    const res = await request(app({ maths })).get('/Bob/1/1').expect(200);
    expect(textOf(res.text, 'maths-unavailable')).toBe(
      'No results this time: maths is not running (connection refused). Please try again in a moment.',
    );
    expect(res.text).not.toContain('id="result"');
    expect(textOf(res.text, 'greeting')).toBe('Hello Bob');
  });

  it('when greetings falls back (no store), then the greeting shows but no Like button', async () => {
    const greetings = fakeGreetings({
      greet: async () => ({
        ok: true,
        value: { greeting: 'Hello Bob', variant: 'hello', strategy: 'fallback', impression: null },
      }),
    });
    const res = await request(app({ greetings })).get('/Bob/1/1').expect(200);
    expect(textOf(res.text, 'greeting')).toBe('Hello Bob');
    expect(res.text).not.toContain('like_greeting');
    expect(res.text).toContain('id="likes-paused"');
  });
});

describe('after a Like', () => {
  const ID = 'o7TPnknh3vRWfgDDSkdbNw';
  const checking = (value: LikeCheck) => {
    const asked: string[] = [];
    const greetings = fakeGreetings({
      checkImpression: async (impression) => {
        asked.push(impression);
        return { ok: true, value };
      },
    });
    return { greetings, asked };
  };

  it('when greetings sends the visitor back with an impression it counted, then the page thanks them', async () => {
    const { greetings, asked } = checking({ status: 'liked', phase: 2, variant: 'hello' });
    const res = await request(app({ greetings })).get(`/Bob/1/1?like=${ID}`).expect(200);
    expect(asked).toEqual([ID]);
    expect(textOf(res.text, 'like-notice')).toMatch(/^Thank you for the Like!/);
    expect(textOf(res.text, 'result')).toBe('1 + 1 = 2');
  });

  it('when a link claims a Like (?liked=1, or an impression nobody liked), then there is no thank-you', async () => {
    const forged = await request(app()).get('/Bob/1/1?liked=1').expect(200);
    expect(forged.text).not.toContain('like-notice');
    const { greetings } = checking({ status: 'unknown' });
    const res = await request(app({ greetings })).get(`/Bob/1/1?like=${ID}`).expect(200);
    expect(textOf(res.text, 'like-notice')).toMatch(/unknown or has expired/);
    expect(res.text).not.toContain('Thank you');
  });

  it('when the Like could not be stored, then the notice offers to try again with the same impression', async () => {
    const { greetings } = checking({ status: 'pending', phase: 2, variant: 'hello' });
    const res = await request(app({ greetings })).get(`/Bob/1/1?like=${ID}`).expect(200);
    expect(textOf(res.text, 'like-notice')).toMatch(/not counted: greetings could not store it/);
    expect(res.text).toMatch(
      new RegExp(
        `<input type="hidden" name="impression" value="${ID}">\\s*<input type="hidden" name="return_to" value="/Bob/1/1">\\s*<button id="like-retry"`,
      ),
    );
  });

  it('when like is not an impression id, then greetings is not asked and nothing is echoed', async () => {
    const { greetings, asked } = checking({ status: 'liked', phase: 2, variant: 'hello' });
    const res = await request(app({ greetings })).get('/Bob/1/1?like=%3Cscript%3E').expect(200);
    expect(asked).toEqual([]);
    expect(res.text).not.toContain('like-notice');
    expect(res.text).not.toContain('script');
  });

  it('when the Like came back to the form page, then it says what became of it there too', async () => {
    const { greetings } = checking({ status: 'liked', phase: 2, variant: 'hello' });
    const res = await request(app({ greetings })).get(`/?like=${ID}`).expect(200);
    expect(textOf(res.text, 'like-notice')).toMatch(/^Thank you for the Like!/);
  });

  it('when the page is only fetched with HEAD or prefetched, then greetings is asked not to record an impression', async () => {
    const records: (boolean | undefined)[] = [];
    const greetings = fakeGreetings({
      greet: async (name, options) => {
        records.push(options?.record);
        return {
          ok: true,
          value: {
            greeting: `Hello ${name}`,
            variant: 'hello',
            strategy: 'exploit',
            impression: null,
          },
        };
      },
    });
    await request(app({ greetings })).head('/Bob/1/1').expect(200);
    await request(app({ greetings })).get('/Bob/1/1').set('Sec-Purpose', 'prefetch').expect(200);
    await request(app({ greetings })).get('/Bob/1/1').expect(200);
    expect(records).toEqual([false, false, true]);
  });
});

describe('GET / and the form', () => {
  it('when the visitor opens /, then the form asks for a name and two numbers', async () => {
    const res = await request(app()).get('/').expect(200);
    for (const field of ['name', 'x', 'y']) expect(res.text).toContain(`name="${field}"`);
  });

  it('when the form is submitted, then it lands on /{name}/{x}/{y}', async () => {
    await request(app())
      .get('/calculate')
      .query({ name: ' Zoë Smith ', x: '1', y: '2.50' })
      .expect(303)
      .expect('Location', '/Zo%C3%AB%20Smith/1/2.5');
  });

  it('when the form is submitted with a bad number, then it comes back pre-filled with a 400', async () => {
    const res = await request(app())
      .get('/calculate')
      .query({ name: 'Bob', x: 'one', y: '2' })
      .expect(400);
    expect(res.text).toContain('value="Bob"');
    expect(res.text).toContain('value="one"');
    expect(res.text).toMatch(/<input id="x"[^>]*aria-invalid="true"/);
  });

  it.each(['name=Bob&name=Ann&x=1&y=2', 'name=Bob&x=1&x=2&y=2', 'name=Bob&x=1&y=2&y='])(
    'when a field is repeated (%s), then a 400 names it, as maths would say it',
    async (query) => {
      const name = /(\w+)=[^&]*&\1=/.exec(query)![1];
      const page = await request(app()).get(`/calculate?${query}`).expect(400);
      expect(page.type).toBe('text/html');
      expect(page.text).toContain(`&#39;${name}&#39; must be given exactly once`);
      const text = await request(app())
        .get(`/calculate?${query}`)
        .set('Accept', 'text/plain')
        .expect(400);
      expect(text.text).toBe(`'${name}' must be given exactly once\n`);
    },
  );
});

describe('security headers', () => {
  it('when any page is served, then the CSP forbids scripts and allows forms only to us and greetings', async () => {
    const res = await request(app()).get('/Bob/1/1').expect(200);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('script-src');
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("form-action 'self' http://greetings.example:5002");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.text).not.toContain('<script');
    expect(res.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it.each([
    ['the form', '/', 'text/html', 200],
    ['a form with mistakes', '/calculate?name=%3Cb%3E&x=a&y=1', 'text/html', 400],
    ['a 404 page', '/a/b/c/d', 'text/html', 404],
    ['a 404 for curl', '/%3Cscript%3E', '*/*', 404],
    ['an address Express cannot decode', '/%E0%A4%A/1/1', 'text/html', 400],
    ['the stylesheet', '/style.css', 'text/css', 200],
    ['a health check', '/healthz', '*/*', 200],
  ])(
    'when it serves %s, then helmet says X-Content-Type-Options: nosniff',
    async (_what, url, accept, status) => {
      const res = await request(app()).get(url).set('Accept', accept).expect(status);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    },
  );

  it('when a bug answers 500, then the error page says nosniff too', async () => {
    const broken = app({
      greetings: { ...fakeGreetings(), greet: () => Promise.reject(new Error('a bug')) },
    });
    const res = await request(broken).get('/Bob/1/1').set('Accept', 'text/html').expect(500);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('the rest of the app', () => {
  it('when the stylesheet is asked for, then it is served as CSS', async () => {
    const page = await request(app()).get('/').expect(200);
    const href = /<link rel="stylesheet" href="([^"]+)"/.exec(page.text)?.[1];
    expect(href).toMatch(/^\/style\.css\?v=[0-9a-f]{10}$/);
    await request(app())
      .get(String(href))
      .expect(200)
      .expect('Content-Type', /text\/css/);
  });

  it('when a browser asks for a page that does not exist, then it gets a friendly 404 page', async () => {
    const res = await request(app()).get('/a/b').set('Accept', 'text/html').expect(404);
    expect(res.text).toContain('Addresses look like /Bob/1/1');
  });

  it('when a JSON client asks for a page that does not exist, then it gets a JSON 404', async () => {
    const res = await request(app()).get('/a/b').set('Accept', 'application/json').expect(404);
    expect(res.body).toEqual({ error: 'Not found: GET /a/b', status: 404 });
  });

  it('when the address has a broken %-escape, then a 400 page, not a 500', async () => {
    const res = await request(app()).get('/%E0%A4%A/1/1').set('Accept', 'text/html').expect(400);
    expect(res.text).toContain('That address is not quite right');
  });

  it.each(['application/json', 'text/plain'])(
    'when a %s client asks for an address with a broken %%-escape, then a 400, not a 500',
    async (accept) => {
      const res = await request(app()).get('/%ZZ/1/1').set('Accept', accept).expect(400);
      expect(res.text).toContain('Malformed percent-encoding in the path');
    },
  );

  it('when both services answer, then /readyz is ready and /health/dependencies says both are up', async () => {
    await request(app()).get('/readyz').expect(200, { status: 'ready' });
    const res = await request(app()).get('/health/dependencies').expect(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      dependencies: [
        { name: 'greetings', state: 'up' },
        { name: 'maths', state: 'up' },
      ],
    });
  });

  it('when maths is down, then /readyz is still ready and /health/dependencies names it', async () => {
    const maths = fakeMaths({ ping: async () => unavailable('maths is not running') });
    await request(app({ maths })).get('/readyz').expect(200, { status: 'ready' });
    const res = await request(app({ maths })).get('/health/dependencies').expect(200);
    expect(res.body).toMatchObject({
      status: 'degraded',
      dependencies: [
        { name: 'greetings', state: 'up' },
        { name: 'maths', state: 'down', error: 'maths is not running' },
      ],
    });
  });

  it('when it drains (SIGTERM), then /readyz is 503 while /healthz stays 200', async () => {
    const readiness = createReadiness();
    const draining = app({ readiness });
    await request(draining).get('/readyz').expect(200);
    readiness.drain();
    await request(draining).get('/readyz').expect(503, { status: 'draining' });
    await request(draining).get('/healthz').expect(200);
  });

  it('when /healthz is asked, then it is alive without asking anyone', async () => {
    const down = async () => unavailable('down');
    await request(app({ maths: fakeMaths({ ping: down }) }))
      .get('/healthz')
      .expect(200, { status: 'ok' });
  });
});

describe('the trace id in the footer', () => {
  const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
  const traceparent = `00-${TRACE}-00f067aa0ba902b7-01`;

  it('when a page is served, then its footer shows the same trace id as the traceresponse header', async () => {
    const res = await request(app()).get('/Bob/1/1').set('traceparent', traceparent).expect(200);
    expect(textOf(res.text, 'trace-id')).toBe(TRACE);
    expect(res.headers.traceresponse).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
  });

  it('when the input is refused, then the 400 page shows its trace id too', async () => {
    const res = await request(app()).get('/Bob/one/1').expect(400);
    const traceId = (res.headers.traceresponse as string).split('-')[1];
    expect(textOf(res.text, 'trace-id')).toBe(traceId);
  });

  it('when TRACES_URL is set, then the id links to the trace there', async () => {
    const res = await request(app({ tracesUrl: 'http://localhost:16686/trace/{traceId}' }))
      .get('/Bob/1/1')
      .set('traceparent', traceparent)
      .expect(200);
    expect(res.text).toContain(
      `<a id="trace-id" href="http://localhost:16686/trace/${TRACE}" rel="noreferrer">${TRACE}</a>`,
    );
  });
});

describe('links to Grafana and Graphite', () => {
  it('when GRAFANA_URL and GRAPHITE_URL are unset (npm start), then the page links to neither', async () => {
    const res = await request(app({ grafanaUrl: undefined, graphiteUrl: undefined }))
      .get('/Bob/1/1')
      .expect(200);
    expect(res.text).not.toContain('id="watch-live"');
    expect(res.text).not.toMatch(/localhost:(3000|8080)/);
  });

  it('when both are set (compose, Kubernetes), then the page links to both', async () => {
    const res = await request(app()).get('/Bob/1/1').expect(200);
    expect(res.text).toContain('<a href="http://localhost:3000" rel="noreferrer">Grafana</a>');
    expect(res.text).toContain('<a href="http://localhost:8080" rel="noreferrer">Graphite</a>');
  });

  it('when only Grafana is set, then only Grafana is linked', async () => {
    const res = await request(app({ graphiteUrl: undefined }))
      .get('/Bob/1/1')
      .expect(200);
    expect(res.text).toContain('>Grafana</a>');
    expect(res.text).not.toContain('>Graphite</a>');
  });
});

describe('GET /openapi.json', () => {
  it('serves the OpenAPI 3.1 document the answers above were checked against', async () => {
    const res = await request(app())
      .get('/openapi.json')
      .expect(200)
      .expect('Content-Type', /json/);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(document)));
  });
});
