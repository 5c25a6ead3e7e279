import { refuseDeepJson } from '../../src/http/admin-bodies';
import { publicUrlsEnv } from '../../src/http/public-origins';
import { validName } from '../../src/routes/greeting';
import { redirectTarget } from '../../src/routes/like';
import { loadGreetingsConfig } from '../../src/config';
import { CATALOG, render } from '../../src/experiment/variants';

describe('validName', () => {
  it('trims, and accepts 1 to 64 characters (counting emoji as one)', () => {
    expect(validName('  Bob ')).toBe('Bob');
    expect(validName('x'.repeat(64))).toHaveLength(64);
    expect(validName('😀'.repeat(64))).toBe('😀'.repeat(64));
  });

  it.each(['', '   ', 'x'.repeat(65), 'a\nb', 'tab\there', 'Bob\u0085', '..'])(
    'refuses %j',
    (name) => {
      expect(() => validName(name)).toThrow(/name must/);
    },
  );
});

describe('redirectTarget (no open redirect)', () => {
  const app = 'http://localhost:5000';
  const target = (returnTo: unknown, referer?: string) =>
    redirectTarget(app, returnTo, referer).toString();

  it('when the page says where it is, then the Like goes back there', () => {
    expect(target('/Bob/1/2')).toBe('http://localhost:5000/Bob/1/2');
    expect(target('/Bob/1/2?liked=0')).toBe('http://localhost:5000/Bob/1/2?liked=0');
  });

  it('when only a same-origin Referer is known, then it goes back to it', () => {
    expect(target(undefined, 'http://localhost:5000/Ann/3/4')).toBe(
      'http://localhost:5000/Ann/3/4',
    );
  });

  it.each([
    ['//evil.example/x', undefined],
    ['/\\evil.example', undefined],
    ['http://evil.example/', undefined],
    ['https://localhost:5000.evil.example/', undefined],
    [undefined, 'http://evil.example/Bob/1/1'],
    [undefined, 'http://localhost:5000.evil.example/'],
    [undefined, 'https://localhost:5000/'],
    [undefined, 'http://localhost:5001/'],
    [undefined, 'not a url'],
    [['/a', '/b'], undefined],
    [undefined, undefined],
  ])('when return_to is %j and Referer %j, then it goes to the app itself', (returnTo, referer) => {
    expect(target(returnTo, referer)).toBe('http://localhost:5000/');
  });

  it('keeps a path prefix of AWESOME_APP_URL', () => {
    expect(redirectTarget('http://example.test/calc', undefined, undefined).toString()).toBe(
      'http://example.test/calc/',
    );
  });
});

describe('variants and config', () => {
  it('has the seed-compatible greetings in its catalog', () => {
    expect(render(CATALOG.hello!, 'Bob')).toBe('Hello Bob');
    expect(render(CATALOG.howdy!, 'Bob')).toBe('Howdy Bob');
  });

  it('takes whole numbers only where Redis and counts need them, and a real token', () => {
    expect(
      loadGreetingsConfig({ IMPRESSION_TTL_SECONDS: '600', MIN_SHOWN_FOR_BEST: '50' }),
    ).toMatchObject({
      IMPRESSION_TTL_SECONDS: 600,
      MIN_SHOWN_FOR_BEST: 50,
      ADMIN_TOKEN: undefined,
    });
    expect(() => loadGreetingsConfig({ IMPRESSION_TTL_SECONDS: '3600.5' })).toThrow(
      /IMPRESSION_TTL_SECONDS: expected a whole number from 1 to 604800 \(got "3600.5"\)/,
    );
    expect(() => loadGreetingsConfig({ MIN_SHOWN_FOR_BEST: '1e2' })).toThrow(
      /MIN_SHOWN_FOR_BEST: expected a whole number/,
    );
    // Too short, and never echoed back.
    expect(() => loadGreetingsConfig({ ADMIN_TOKEN: 'hunter2' })).toThrow(
      'Invalid configuration: ADMIN_TOKEN: expected at least 16 characters without spaces (got (hidden))',
    );
  });

  it('defaults to hello and howdy, epsilon-greedy with epsilon 0.1, in memory', () => {
    expect(loadGreetingsConfig({})).toMatchObject({
      PORT: 5002,
      EPSILON: 0.1,
      POLICY: 'epsilon-greedy',
      GREETING_VARIANTS: ['hello', 'howdy'],
      AWESOME_APP_URL: 'http://localhost:5000',
      REDIS_URL: undefined,
    });
  });

  it('reads a variant list and the policy', () => {
    expect(
      loadGreetingsConfig({ GREETING_VARIANTS: 'hello, howdy,HI', POLICY: 'thompson' }),
    ).toMatchObject({ GREETING_VARIANTS: ['hello', 'howdy', 'hi'], POLICY: 'thompson' });
  });

  it('refuses unknown, repeated or single variants, a bad epsilon or Redis URL, in one line', () => {
    expect(() => loadGreetingsConfig({ GREETING_VARIANTS: 'hello,bonjour' })).toThrow(
      /GREETING_VARIANTS: expected two or more distinct variants from hello, howdy/,
    );
    expect(() => loadGreetingsConfig({ GREETING_VARIANTS: 'hello,hello' })).toThrow(
      /GREETING_VARIANTS/,
    );
    expect(() => loadGreetingsConfig({ GREETING_VARIANTS: 'hello' })).toThrow(/GREETING_VARIANTS/);
    expect(() => loadGreetingsConfig({ EPSILON: '2', REDIS_URL: 'localhost:6379' })).toThrow(
      /REDIS_URL: expected a URL starting with redis:\/\/ .*; EPSILON: expected a number from 0 to 1/,
    );
  });
});

describe('admin bodies and origins', () => {
  const depth = (text: string) => () => refuseDeepJson(Buffer.from(text));
  it('refuses JSON deeper than 32 levels from its bytes; brackets in strings do not count', () => {
    expect(depth(`${'['.repeat(32)}${']'.repeat(32)}`)).not.toThrow();
    expect(depth(`${'['.repeat(33)}${']'.repeat(33)}`)).toThrow(/deeper than 32/);
    expect(depth(`{"a":${'{"b":'.repeat(40)}1${'}'.repeat(41)}`)).toThrow(/deeper than 32/);
    expect(depth(JSON.stringify({ a: '['.repeat(100), b: '\\"['.repeat(50) }))).not.toThrow();
    expect(depth(`[${'['.repeat(3000)}`)).toThrow(/deeper than 32/);
  });

  it('GREETINGS_PUBLIC_URL: one origin or several, scheme, host and port only', () => {
    expect(publicUrlsEnv.parse(undefined)).toBeUndefined();
    expect(publicUrlsEnv.parse('http://LocalHost:5002/admin')).toEqual(['http://localhost:5002']);
    expect(publicUrlsEnv.parse('https://a.example:443, http://10.0.0.2:5002')).toEqual([
      'https://a.example',
      'http://10.0.0.2:5002',
    ]);
    for (const bad of ['ftp://a.example', 'a.example', 'http://a.example,'])
      expect(publicUrlsEnv.safeParse(bad).success).toBe(false);
  });
});
