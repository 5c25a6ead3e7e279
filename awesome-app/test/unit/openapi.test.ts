import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { documentText } from '@friendly-calculator/common/openapi';
import { awesomeAppDocument } from '../../src/http/openapi';

describe("awesome-app's OpenAPI document", () => {
  it('when docs/openapi/awesome-app.json is compared with the code, then it is up to date (else: npm run openapi)', () => {
    const file = join(__dirname, '..', '..', '..', 'docs', 'openapi', 'awesome-app.json');
    expect(readFileSync(file, 'utf8')).toBe(documentText(awesomeAppDocument()));
  });

  it('describes every route awesome-app serves', () => {
    expect(Object.keys(awesomeAppDocument().paths ?? {}).sort()).toEqual(
      [
        '/',
        '/calculate',
        '/health/dependencies',
        '/healthz',
        '/join',
        '/like_greeting',
        '/openapi.json',
        '/present',
        '/present/events',
        '/readyz',
        '/style.css',
        '/{name}/{x}/{y}',
      ].sort(),
    );
  });
});
