import { join } from 'node:path';
import express, { type Router } from 'express';

/**
 * `GET /docs/`: the service's OpenAPI document in Swagger UI, for people
 * exploring the API by hand. Served from the swagger-ui-dist package (no CDN:
 * it works offline and nothing is loaded from elsewhere), with our own page
 * and initializer (swagger-ui-dist's own point at the Petstore example).
 */
const ASSETS = join(require.resolve('swagger-ui-dist/package.json'), '..');
// Next to `src/` and `dist/`, so the sources (tests) and the build find it alike.
const OWN = join(__dirname, '..', 'swagger-ui');

/**
 * Only what Swagger UI needs: its own scripts and styles, the document and
 * "Try it out" requests to this same origin; SVG icons as data: URLs; inline
 * style attributes (its syntax highlighter sets them). No inline script.
 */
export const SWAGGER_UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function swaggerUi(): Router {
  const router = express.Router();
  router.use('/docs', (_req, res, next) => {
    res.setHeader('Content-Security-Policy', SWAGGER_UI_CSP);
    next();
  });
  // `/docs` → `/docs/`, so the page's relative addresses resolve under it
  // (Express matches both with one route: tell them apart by the URL).
  router.get('/docs', (req, res) => {
    if (req.originalUrl.split('?')[0]!.endsWith('/')) res.sendFile(join(OWN, 'index.html'));
    else res.redirect(301, '/docs/');
  });
  router.get('/docs/initializer.js', (_req, res) => void res.sendFile(join(OWN, 'initializer.js')));
  router.use('/docs', express.static(ASSETS, { index: false, maxAge: '1d' }));
  return router;
}
