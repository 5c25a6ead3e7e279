import { commonEnv, ConfigError, env, loadConfig } from '../src/config';

describe('loadConfig', () => {
  it('when nothing is set, then the defaults apply and the result is frozen', () => {
    const config = loadConfig(commonEnv(5001), {});
    expect(config).toEqual({
      PORT: 5001,
      LOG_LEVEL: 'info',
      STATSD_HOST: 'localhost',
      STATSD_PORT: 8125,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('when values are set, then they are parsed and typed', () => {
    const config = loadConfig(
      {
        ...commonEnv(5001),
        EPSILON: env.number(0.1, 0, 1),
        URL: env.httpUrl('http://localhost:1'),
      },
      {
        PORT: '8000',
        LOG_LEVEL: 'WARN',
        STATSD_HOST: 'graphite',
        EPSILON: '0.25',
        URL: 'http://maths:5001/',
      },
    );
    expect(config).toMatchObject({
      PORT: 8000,
      LOG_LEVEL: 'warn',
      STATSD_HOST: 'graphite',
      EPSILON: 0.25,
    });
    expect(config.URL).toBe('http://maths:5001');
  });

  it('when a variable is empty, then it counts as unset', () => {
    expect(loadConfig(commonEnv(5002), { PORT: '', LOG_LEVEL: ' ' }).PORT).toBe(5002);
  });

  it('when several values are bad, then one error line names every one of them', () => {
    const load = () =>
      loadConfig(
        { ...commonEnv(5001), EPSILON: env.number(0.1, 0, 1), URL: env.httpUrl('http://x') },
        { PORT: 'abc', LOG_LEVEL: 'loud', EPSILON: '1.5', URL: 'ftp://nope' },
      );
    expect(load).toThrow(ConfigError);
    let message = '';
    try {
      load();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toContain('PORT: expected a whole number from 0 to 65535 (got "abc")');
    expect(message).toContain(
      'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    );
    expect(message).toContain('EPSILON: expected a number from 0 to 1 (got "1.5")');
    expect(message).toContain('URL: expected an http:// or https:// URL (got "ftp://nope")');
  });

  it.each(['65536', '-1', '80.5', '1e3'])('when PORT is %j, then it is refused', (port) => {
    expect(() => loadConfig(commonEnv(1), { PORT: port })).toThrow(/PORT: expected a whole number/);
  });

  it('when an optional URL has the wrong scheme, then it is refused; unset stays undefined', () => {
    const shape = { REDIS_URL: env.optionalUrl(['redis:', 'rediss:']) };
    expect(loadConfig(shape, {}).REDIS_URL).toBeUndefined();
    expect(loadConfig(shape, { REDIS_URL: 'redis://redis:6379' }).REDIS_URL).toBe(
      'redis://redis:6379',
    );
    expect(() => loadConfig(shape, { REDIS_URL: 'http://redis' })).toThrow(
      'REDIS_URL: expected a URL starting with redis:// or rediss://',
    );
  });

  it('when a refused value holds a secret, then the error never prints it', () => {
    const shape = {
      REDIS_URL: env.optionalUrl(['redis:', 'rediss:']),
      ADMIN_TOKEN: env.number(0, 0, 1),
    };
    let message = '';
    try {
      loadConfig(shape, { REDIS_URL: 'http://:s3cret@redis:6379', ADMIN_TOKEN: 'tok3n' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(
      'REDIS_URL: expected a URL starting with redis:// or rediss:// (got "http://***@redis:6379")',
    );
    expect(message).toContain('ADMIN_TOKEN: expected a number from 0 to 1 (got (hidden))');
    expect(message).not.toMatch(/s3cret|tok3n/);
  });

  // Each kind of URL variable, each way of being wrong; a value that is not
  // even a URL (a space, a port out of range) was printed whole before.
  it.each([
    ['REDIS_URL', 'redis://:pw@127.0.0.1:6390 x', env.optionalUrl(['redis:', 'rediss:'])],
    ['REDIS_URL', 'redis://default:pw@127.0.0.1:99999', env.optionalUrl(['redis:', 'rediss:'])],
    ['REDIS_URL', 'http://default:pw@redis:6379', env.optionalUrl(['redis:', 'rediss:'])],
    ['GRAPHITE_URL', 'http://admin:pw@graphite :8080', env.optionalUrl(['http:', 'https:'])],
    ['GREETINGS_URL', 'http://u:pw@greetings:5002 x', env.httpUrl('http://localhost:5002')],
    ['MATHS_URL', 'ftp://u:pw@maths', env.httpUrl('http://localhost:5001')],
    ['TRACES_URL', 'jaeger:16686/trace?token=pw', env.optionalUrl(['http:', 'https:'])],
  ])(
    'when %s is refused (%j), then the error line never shows the password',
    (key, value, schema) => {
      let message = '';
      try {
        loadConfig({ [key]: schema }, { [key]: value });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(
        new RegExp(`^Invalid configuration: ${key}: .*\\(got ".*\\*\\*\\*.*"\\)$`),
      );
      expect(message).not.toContain('pw');
    },
  );
});
