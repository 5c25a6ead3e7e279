import type { Request, Response } from 'express';
import QRCode from 'qrcode';
import { request } from 'undici';

/**
 * `GET /present`: the projector's page. The QR code of the join URL is made
 * here, as SVG (the `qrcode` package), once, and inlined; the page's one
 * script (/present.js, from 'self') listens to /present/events.
 */
export function presentHandler(joinUrl: string, publicUrlSet: boolean) {
  let svg: Promise<string> | undefined;
  return async (_req: Request, res: Response): Promise<void> => {
    svg ??= QRCode.toString(joinUrl, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' }).then(
      (s) =>
        s.replace(
          '<svg ',
          `<svg id="join-qr" role="img" aria-label="QR code of ${joinUrl.replace(/[<>&"]/g, '')}" `,
        ),
    );
    // This page alone runs a script: its own, from 'self', and it may open the stream.
    res.set(
      'Content-Security-Policy',
      "default-src 'none';script-src 'self';connect-src 'self';style-src 'self';img-src 'self';base-uri 'none';form-action 'self';frame-ancestors 'none'",
    );
    res.set('Cache-Control', 'no-store').render('present', {
      qrSvg: await svg,
      joinUrl,
      publicUrlSet,
    });
  };
}

/** `GET /join`: the phone's form (first name, two numbers), on to the usual page. */
export function joinHandler(_req: Request, res: Response): void {
  res.render('join', { values: { name: '', x: '', y: '' }, problems: [] });
}

/**
 * `POST /like_greeting` on the page's own address (PUBLIC_URL set): a phone
 * reaches everything through the one address it scanned. The Like is passed
 * on to greetings as a trusted proxy would: the phone's address in
 * `X-Forwarded-For` (greetings believes it only from proxies its
 * TRUST_PROXY names, and counts its per-client limit by it), greetings'
 * answer passed back, its redirect made relative to this address.
 */
export function likeForwardHandler(greetingsUrl: string, timeoutMs: number) {
  return async (req: Request, res: Response): Promise<void> => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const headers: Record<string, string> = {
      'x-forwarded-for': req.socket.remoteAddress ?? '',
      accept: req.get('accept') ?? '*/*',
    };
    for (const name of ['content-type', 'referer'] as const) {
      const value = req.get(name);
      if (value) headers[name] = value;
    }
    let answer;
    try {
      answer = await request(`${greetingsUrl}/like_greeting`, {
        method: 'POST',
        headers,
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch {
      res
        .status(503)
        .json({ error: 'The greetings service did not answer: nothing was counted.', status: 503 });
      return;
    }
    const text = await answer.body.text();
    res.status(answer.statusCode);
    for (const name of ['content-type', 'retry-after'] as const) {
      const value = answer.headers[name];
      if (typeof value === 'string') res.set(name, value);
    }
    const location = answer.headers.location;
    if (typeof location === 'string') {
      // Back to the same page on this address (greetings names its own idea of the page's origin).
      const target = new URL(location, 'http://relative.invalid');
      res.set('Location', `${target.pathname}${target.search}`);
    }
    res.send(text);
  };
}
