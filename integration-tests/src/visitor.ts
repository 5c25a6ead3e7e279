/**
 * A visitor as the browser is one, over plain HTTP: load the page, read the
 * greeting and the Like form from the HTML, and post the form like the
 * button does. Used by the load generator and the fault tests.
 */
export interface PageVisit {
  status: number;
  ms: number;
  greeting?: string;
  /** The Like form's target and fields; absent when the page offers no Like. */
  like?: { action: string; impression: string; returnTo: string };
  html: string;
}

const decode = (s: string) =>
  s
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

export async function visitPage(url: string, timeoutMs = 10_000): Promise<PageVisit> {
  const started = performance.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const html = await res.text();
  const ms = performance.now() - started;
  const greeting = /<h1 id="greeting">([^<]*)<\/h1>/.exec(html)?.[1];
  const action = /<form class="like" method="post" action="([^"]+)"/.exec(html)?.[1];
  const impression = /name="impression" value="([^"]+)"/.exec(html)?.[1];
  const returnTo = /name="return_to" value="([^"]+)"/.exec(html)?.[1];
  return {
    status: res.status,
    ms,
    ...(greeting === undefined ? {} : { greeting: decode(greeting) }),
    ...(action && impression && returnTo
      ? {
          like: {
            action: decode(action),
            impression: decode(impression),
            returnTo: decode(returnTo),
          },
        }
      : {}),
    html,
  };
}

/** Posts the Like form as the browser does (no redirect following). */
export async function clickLike(like: NonNullable<PageVisit['like']>, timeoutMs = 10_000) {
  const res = await fetch(like.action, {
    method: 'POST',
    body: new URLSearchParams({ impression: like.impression, return_to: like.returnTo }),
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, location: res.headers.get('location'), body: await res.text() };
}

/**
 * Posts the Like as an API client does, as JSON to the form's target: the
 * answer says what happened (200 counted; 503 with `reason` "unavailable" or
 * "uncertain"; 409 already liked...). A browser's form post is always sent
 * back to the page instead, which then asks greetings.
 */
export async function likeAsJson(like: NonNullable<PageVisit['like']>, timeoutMs = 10_000) {
  const res = await fetch(like.action, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ impression: like.impression }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, body: await res.text() };
}

/** "Howdy Bob" → "howdy". */
export const variantOf = (greeting: string): string => greeting.split(/[\s,]/)[0]!.toLowerCase();
