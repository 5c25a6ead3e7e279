import { HttpError } from '../src/http-error';
import { queryParam } from '../src/query';

describe('queryParam (a parameter is given at most once)', () => {
  it.each([
    [{ x: '1' }, 'x', '1'],
    [{ x: '' }, 'x', ''],
    [{}, 'x', undefined],
    [{ y: ['1', '2'] }, 'x', undefined],
  ])('when the query is %j, then %s is %j', (query, name, value) => {
    expect(queryParam(query, name)).toBe(value);
  });

  it.each([
    [{ ops: ['add', 'divide'] }, 'ops'],
    [{ x: ['1', '1'] }, 'x'],
    [{ x: { a: '1' } }, 'x'],
  ])('when the query is %j, then a 400 says %s must be given exactly once', (query, name) => {
    let error: unknown;
    try {
      queryParam(query, name);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({
      status: 400,
      message: `'${name}' must be given exactly once`,
      details: { parameter: name },
    });
  });
});
