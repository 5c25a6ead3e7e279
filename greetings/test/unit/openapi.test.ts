import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { documentText } from '@friendly-calculator/common/openapi';
import { greetingsDocument } from '../../src/http/openapi';
import { REASONS } from '../../src/http/schemas';

describe("greetings' OpenAPI document", () => {
  it('when docs/openapi/greetings.json is compared with the code, then it is up to date (else: npm run openapi)', () => {
    const file = join(__dirname, '..', '..', '..', 'docs', 'openapi', 'greetings.json');
    expect(readFileSync(file, 'utf8')).toBe(documentText(greetingsDocument()));
  });

  it('describes every route greetings serves', () => {
    expect(Object.keys(greetingsDocument().paths ?? {}).sort()).toEqual(
      [
        '/admin',
        '/admin/audit',
        '/admin/experiments',
        '/admin/experiments/current/pause',
        '/admin/experiments/current/resume',
        '/admin/experiments/current/ship',
        '/admin/sign-in',
        '/admin/sign-out',
        '/docs/',
        '/experiments',
        '/experiments/current',
        '/greeting/{name}',
        '/health/dependencies',
        '/healthz',
        '/impressions/{id}',
        '/like_greeting',
        '/openapi.json',
        '/readyz',
        '/stats',
        '/style.css',
      ].sort(),
    );
  });

  it('names every reason of REASONS somewhere, so none is left undocumented', () => {
    const text = JSON.stringify(greetingsDocument());
    const missing = Object.keys(REASONS).filter((reason) => !text.includes(`"${reason}"`));
    expect(missing).toEqual([]);
  });
});
