import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestHandler } from 'express';

/**
 * The one stylesheet of the project's pages: awesome-app's page and
 * greetings' admin page (the experiment chart is drawn by both). It lives in
 * common/public, next to common's `src/` and `dist/`, so the sources (tests),
 * the build and the images (the Dockerfile copies it) find it alike.
 */
export const STYLESHEET_PATH = join(__dirname, '..', 'public', 'style.css');

/**
 * The stylesheet, read once, and its address: `/style.css?v=<hash>`, so
 * browsers may cache it for a week and still see every change.
 */
export function stylesheet(): { href: string; handler: RequestHandler } {
  const css = readFileSync(STYLESHEET_PATH);
  const version = createHash('sha256').update(css).digest('hex').slice(0, 10);
  return {
    href: `/style.css?v=${version}`,
    handler: (_req, res) => {
      res.set('Cache-Control', 'public, max-age=604800').type('text/css').send(css);
    },
  };
}
