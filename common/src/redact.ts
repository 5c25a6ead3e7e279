/**
 * A URL as it may be printed: its password, if any, replaced by `***`
 * (`redis://:s3cret@redis:6379` → `redis://:***@redis:6379`). Text that is
 * not a URL is not printed at all: it may be a secret put in the wrong place.
 */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}
