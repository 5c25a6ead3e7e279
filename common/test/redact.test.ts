import { redactedUrl } from '../src/redact';

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
