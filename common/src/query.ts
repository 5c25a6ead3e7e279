import { HttpError } from './http-error';

/**
 * The one rule for query parameters, in every service: each is given at most
 * once. A repeated one (`?ops=add&ops=divide`, `?x=1&x=2`) is a 400 naming
 * it, never quietly read as a list, as its first value or as its last.
 * Returns the value, or `undefined` when the parameter is absent.
 */
export function queryParam(
  query: Readonly<Record<string, unknown>>,
  name: string,
): string | undefined {
  const value = query[name];
  if (value === undefined || typeof value === 'string') return value;
  throw new HttpError(400, `'${name}' must be given exactly once`, { parameter: name });
}

/** The query's parameter names without their values (`x&y`); undefined when it has none. */
export function queryNames(url: string): string | undefined {
  const q = url.indexOf('?');
  if (q === -1) return undefined;
  const names = url
    .slice(q + 1)
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => pair.split('=', 1)[0]);
  return names.length > 0 ? names.join('&') : undefined;
}
