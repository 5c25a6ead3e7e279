import { checkCalculation, pagePath, showNumber } from '../../src/input';

describe('checkCalculation', () => {
  it('when name and numbers are fine, then they come back trimmed and parsed', () => {
    expect(checkCalculation({ name: '  Bob ', x: ' 1e3', y: '-.5' })).toEqual({
      ok: true,
      value: { name: 'Bob', x: 1000, y: -0.5, typed: { x: '1e3', y: '-.5' } },
    });
  });

  it.each(['1', '-2.5', '+3', '.5', '5.', '1e3', '1E-7', '0'])(
    'when x is %s, then it is accepted',
    (x) => {
      expect(checkCalculation({ name: 'a', x, y: '1' }).ok).toBe(true);
    },
  );

  it.each(['abc', 'NaN', 'Infinity', '-Infinity', '0x10', '1,5', '1e', '--1', '1 2', '½'])(
    'when x is %s, then it is refused',
    (x) => {
      expect(checkCalculation({ name: 'a', x, y: '1' })).toEqual({
        ok: false,
        problems: [{ field: 'x', message: expect.stringContaining('plain decimal number') }],
      });
    },
  );

  it('when a number overflows a double, then the message says it is too large', () => {
    expect(checkCalculation({ name: 'a', x: '1', y: '-1e400' })).toMatchObject({
      problems: [{ field: 'y', message: expect.stringContaining('too large') }],
    });
  });

  it('when a number is absurdly long, then the message does not repeat it', () => {
    const x = '1'.repeat(101);
    const checked = checkCalculation({ name: 'a', x, y: '1' });
    expect(checked).toMatchObject({ problems: [{ field: 'x' }] });
    expect(JSON.stringify(checked)).not.toContain(x);
  });

  it.each([
    ['', 'Please tell us your name.'],
    ['   ', 'Please tell us your name.'],
    ['a'.repeat(65), 'Your name can be at most 64 characters long (this one has 65).'],
    ['Bob\nSmith', 'Your name cannot contain line breaks or control characters.'],
    ['Bob\u0085Smith', 'Your name cannot contain line breaks or control characters.'],
    ['..', 'Your name cannot be just dots.'],
  ])('when the name is %j, then: %s', (name, message) => {
    expect(checkCalculation({ name, x: '1', y: '1' })).toEqual({
      ok: false,
      problems: [{ field: 'name', message }],
    });
  });

  it('when the name has 64 characters outside the BMP, then it counts characters, not UTF-16 units', () => {
    expect(checkCalculation({ name: '🙂'.repeat(64), x: '1', y: '1' }).ok).toBe(true);
  });

  it('when everything is missing, then all three problems are reported at once', () => {
    const checked = checkCalculation({});
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.problems.map((p) => p.field)).toEqual(['name', 'x', 'y']);
  });

  it('when a field is not a string (a repeated query parameter), then it is treated as missing', () => {
    expect(checkCalculation({ name: ['a', 'b'], x: '1', y: '1' })).toMatchObject({
      problems: [{ field: 'name', message: 'Please tell us your name.' }],
    });
  });
});

describe('showNumber and pagePath', () => {
  it('when numbers are shown, then in their shortest form, without -0', () => {
    expect([1000, 0.5, -0, 1e21, -2].map(showNumber)).toEqual(['1000', '0.5', '0', '1e+21', '-2']);
  });

  it('when the page address is built, then the name is URL-encoded', () => {
    expect(pagePath({ name: 'Zoë / Ann?', x: 1, y: -2.5 })).toBe('/Zo%C3%AB%20%2F%20Ann%3F/1/-2.5');
  });
});
