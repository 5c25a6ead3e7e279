import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { documentText } from '@friendly-calculator/common/openapi';
import { OpenApiChecker } from '@friendly-calculator/common/testing';
import type { Response } from 'supertest';
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
        '/experiments/current/events',
        '/experiments/current/viewers/{source}',
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

  it('when an answer is not as documented, then the check that every API test runs says why', () => {
    const checker = new OpenApiChecker(greetingsDocument());
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      ({
        status,
        text: JSON.stringify(body),
        headers: {
          'content-type': 'application/json; charset=utf-8',
          traceresponse: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
          ...headers,
        },
      }) as unknown as Response;
    const refusal = { error: 'slow down', status: 429, reason: 'rate_limited' };
    expect(
      checker.problems('POST', '/like_greeting', answer(429, refusal, { 'retry-after': '3' })),
    ).toEqual([]);
    // Without Retry-After, with a reason it cannot have, with a status it never answers:
    expect(checker.problems('POST', '/like_greeting', answer(429, refusal))).toHaveLength(1);
    expect(
      checker.problems(
        'POST',
        '/like_greeting',
        answer(409, { ...refusal, status: 409, reason: 'stale' }),
      ),
    ).toHaveLength(1);
    expect(checker.problems('GET', '/stats', answer(418, refusal))).toHaveLength(1);
  });
});
