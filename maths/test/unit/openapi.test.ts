import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { documentText } from '@friendly-calculator/common/openapi';
import { mathsDocument } from '../../src/http/openapi';

describe("maths' OpenAPI document", () => {
  it('when docs/openapi/maths.json is compared with the code, then it is up to date (else: npm run openapi)', () => {
    const file = join(__dirname, '..', '..', '..', 'docs', 'openapi', 'maths.json');
    expect(readFileSync(file, 'utf8')).toBe(documentText(mathsDocument()));
  });

  it('describes every route maths serves', () => {
    expect(Object.keys(mathsDocument().paths ?? {}).sort()).toEqual(
      [
        '/',
        '/calculate',
        '/docs/',
        '/health/dependencies',
        '/healthz',
        '/openapi.json',
        '/readyz',
        '/{op}',
      ].sort(),
    );
  });
});
