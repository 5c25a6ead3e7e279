import { redactedText, redactedUrl, redactedValue } from '../src/redact';

describe('redactedUrl', () => {
  it.each([
    ['redis://:s3cret@redis:6379', 'redis://:***@redis:6379'],
    ['redis://default:s3cret@redis:6379/2', 'redis://default:***@redis:6379/2'],
    ['rediss://user:p%40ss@cache.example:6380', 'rediss://user:***@cache.example:6380'],
    ['redis://redis:6379', 'redis://redis:6379'],
    ['http://localhost:5002', 'http://localhost:5002/'],
    ['s3cret', '(not a URL)'],
    ['', '(not a URL)'],
  ])('when the URL is %j, then it is printed as %j', (url, printed) => {
    expect(redactedUrl(url)).toBe(printed);
  });
});

describe('redactedValue (a configuration value in an error, URL or not)', () => {
  it.each([
    // Not a URL (the space): today's code printed it whole, password included.
    ['redis://:pw@127.0.0.1:6390 x', 'redis://***@127.0.0.1:6390 x'],
    ['redis://user:pw@127.0.0.1:99999', 'redis://***@127.0.0.1:99999'],
    ['http://u:p w@graphite:8080', 'http://***@graphite:8080'],
    [':pw@redis:6379', '***@redis:6379'],
    ['redis://:p@ss/w@rd@redis:6379', 'redis://***@redis:6379'],
    [
      'http://collector:4318/v1/traces?access_token=abc123',
      'http://collector:4318/v1/traces?access_token=***',
    ],
    ['http://collector:4318 ?api_key=abc123&x=1', 'http://collector:4318 ?api_key=***&x=1'],
    // Nothing to hide: shown as written, for the reader to fix.
    ['http://graphite:8080/@events', 'http://graphite:8080/@events'],
    ['ftp://nope', 'ftp://nope'],
    ['1.5', '1.5'],
  ])('when the value is %j, then it is shown as %j', (value, shown) => {
    expect(redactedValue(value)).toBe(shown);
    expect(redactedValue(value)).not.toMatch(/pw|p w|abc123|ss\/w/);
  });
});

describe('redactedText (an error message that quotes a URL)', () => {
  it('when a message quotes URLs with credentials, then only their credentials are hidden', () => {
    expect(
      redactedText(
        'Request cannot be constructed from a URL that includes credentials: http://u:pw@graphite:8080/events/ (and redis://:s3cret@redis:6379?token=t0k)',
      ),
    ).toBe(
      'Request cannot be constructed from a URL that includes credentials: http://***@graphite:8080/events/ (and redis://***@redis:6379?token=***)',
    );
  });
});
