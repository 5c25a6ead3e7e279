/**
 * A URL as it may be printed: its password, if any, replaced by `***`
 * (`redis://:s3cret@redis:6379` → `redis://:***@redis:6379`). Text that is
 * not a URL is not printed at all: it may be a secret put in the wrong place.
 */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return redactedQuery(u.toString());
  } catch {
    return '(not a URL)';
  }
}

/** Query parameters whose values are credentials (`?token=…`, `&access_key=…`, `;password=…`). */
const SECRET_PARAMETER =
  /([?&;][^=&;#\s]*(?:token|secret|password|passwd|pwd|key|auth|sig)[^=&;#\s]*=)[^&;#\s)"'<>]*/gi;

const redactedQuery = (text: string) => text.replace(SECRET_PARAMETER, '$1***');

/** `scheme://` at the start of a value. */
const SCHEME = /^\s*[a-z][a-z0-9+.-]*:\/\//i;

/**
 * A configuration value as an error may print it, valid URL or not: the
 * credentials part (everything up to the last `@`, after the `scheme://` if
 * there is one) becomes `***`, and so do the values of query parameters
 * named like secrets. `redis://:pw@127.0.0.1:6390 x` (no URL: the space)
 * → `redis://***@127.0.0.1:6390 x`. A value without `@` or such a
 * parameter is shown as it is: it is what the reader must fix.
 */
export function redactedValue(value: string): string {
  const at = value.lastIndexOf('@');
  let shown = value;
  if (at >= 0 && !isUrlWithoutCredentials(value)) {
    const scheme = SCHEME.exec(value)?.[0] ?? '';
    shown = `${scheme}***${value.slice(at)}`;
  }
  return redactedQuery(shown);
}

/** A parseable URL with an `@` only in its path, query or fragment (no user, no password). */
function isUrlWithoutCredentials(value: string): boolean {
  try {
    const u = new URL(value);
    return u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/**
 * Free text (an error message, a log line) as it may be printed: in every
 * `scheme://…@` inside it, the part before the `@` becomes `***`, and
 * secret-looking query parameters lose their values
 * (`… URL that includes credentials: http://u:pw@graphite/events/` →
 * `… http://***@graphite/events/`).
 */
export function redactedText(text: string): string {
  return redactedQuery(text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s]*@/gi, '$1***@'));
}
