import {
  calculate,
  friendly,
  InvalidOperand,
  isOperation,
  parseOperand,
  UndefinedResult,
} from '../../src/arithmetic';

describe('parseOperand', () => {
  it.each([
    ['1', 1],
    ['-2.5', -2.5],
    ['+3', 3],
    ['.5', 0.5],
    ['5.', 5],
    ['1e3', 1000],
    ['1E-3', 0.001],
    ['0', 0],
    ['-0', -0],
    ['007', 7],
  ])('when given %j, then it reads %p', (raw, expected) => {
    expect(parseOperand('x', raw)).toBe(expected);
  });

  it.each([
    'abc',
    '0x10',
    '0b1',
    '1_000',
    'Infinity',
    '-Infinity',
    'NaN',
    ' 1',
    '1 ',
    '1,5',
    '--1',
    '1e',
    'e3',
    '.',
    '+',
  ])('when given %j, then it refuses and names the parameter', (raw) => {
    expect(() => parseOperand('y', raw)).toThrow(InvalidOperand);
    expect(() => parseOperand('y', raw)).toThrow(/'y' must be a decimal number/);
  });

  it('when the value is missing or empty, then it says the parameter is required', () => {
    expect(() => parseOperand('x', undefined)).toThrow(/Missing number: 'x' is required/);
    expect(() => parseOperand('x', '')).toThrow(/Missing number: 'x' is required/);
  });

  it('when the number overflows a double, then it is too large', () => {
    expect(() => parseOperand('x', '1e309')).toThrow(/'x' is too large to represent/);
  });

  it('when the text is absurdly long, then it refuses before parsing', () => {
    expect(() => parseOperand('x', '1'.repeat(101))).toThrow(/longer than 100 characters/);
  });

  it('when a number underflows, then it reads as zero (a valid tiny input)', () => {
    expect(parseOperand('x', '1e-400')).toBe(0);
  });
});

describe('calculate', () => {
  it('when adding 1 and 1, then it is exactly 2', () => {
    expect(calculate('add', 1, 1)).toBe(2);
  });

  it('when adding 0.1 and 0.2, then binary noise is rounded away', () => {
    expect(calculate('add', 0.1, 0.2)).toBe(0.3);
    expect(String(calculate('add', 0.1, 0.2))).toBe('0.3');
  });

  it.each([
    ['subtract', 0.3, 0.1, 0.2],
    ['multiply', 1.1, 1.1, 1.21],
    ['multiply', 3, 0.1, 0.3],
    ['divide', 7, 2, 3.5],
    ['divide', 1, 3, 0.333333333333333],
    ['divide', 2, 3, 0.666666666666667],
    ['power', 2, 10, 1024],
    ['power', 4, 0.5, 2],
    ['power', 2, -1, 0.5],
  ] as const)('when %s(%p, %p), then %p', (op, x, y, expected) => {
    expect(calculate(op, x, y)).toBe(expected);
  });

  it('when the result is negative zero, then it is plain 0', () => {
    expect(Object.is(calculate('multiply', -1, 0), 0)).toBe(true);
    expect(Object.is(calculate('subtract', -0, 0), 0)).toBe(true);
    expect(Object.is(calculate('divide', 0, -5), 0)).toBe(true);
  });

  it('when dividing by zero (or negative zero), then it refuses with a reason', () => {
    expect(() => calculate('divide', 1, 0)).toThrow(UndefinedResult);
    expect(() => calculate('divide', 1, -0)).toThrow(/Division by zero/);
    expect(() => calculate('divide', 0, 0)).toThrow(/Division by zero/);
  });

  it('when the result overflows, then it is too large to represent', () => {
    expect(() => calculate('multiply', 1e200, 1e200)).toThrow(/too large to represent/);
    expect(() => calculate('add', Number.MAX_VALUE, Number.MAX_VALUE)).toThrow(/too large/);
    expect(() => calculate('power', 10, 400)).toThrow(/too large/);
  });

  it('when the result is not a real number, then it says so', () => {
    expect(() => calculate('power', -8, 1 / 3)).toThrow(/not a real number/);
  });

  it('when numbers are tiny, then they survive rounding', () => {
    expect(calculate('multiply', 1e-200, 1e-100)).toBe(1e-300);
    expect(calculate('add', 5e-324, 0)).toBe(5e-324);
    expect(calculate('multiply', 1e-200, 1e-200)).toBe(0);
  });

  it('when the result is the largest double, then rounding does not overflow it', () => {
    expect(calculate('add', Number.MAX_VALUE, 0)).toBe(Number.MAX_VALUE);
  });

  it('when results are large but finite, then they keep 15 significant digits', () => {
    expect(calculate('multiply', 123456789, 987654321)).toBe(121932631112635000);
    expect(calculate('add', 9007199254740991, 0)).toBe(9007199254740990);
  });
});

describe('friendly', () => {
  it('rounds to 15 significant digits and never returns -0', () => {
    expect(friendly(0.30000000000000004)).toBe(0.3);
    expect(Object.is(friendly(-0), 0)).toBe(true);
    expect(friendly(-1.0000000000000002)).toBe(-1);
  });
});

describe('isOperation', () => {
  it('knows the operations and nothing from the prototype', () => {
    expect(isOperation('add')).toBe(true);
    expect(isOperation('power')).toBe(true);
    expect(isOperation('modulo')).toBe(false);
    expect(isOperation('toString')).toBe(false);
    expect(isOperation('__proto__')).toBe(false);
  });
});
