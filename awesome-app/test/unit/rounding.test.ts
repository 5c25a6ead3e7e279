import { readAsOther, roundedResult } from '../../src/rounding';

describe('readAsOther (a typed number a double cannot hold)', () => {
  it.each([
    ['9007199254740993', Number('9007199254740993'), true],
    ['0.1', 0.1, false],
    ['1e3', 1e3, false],
    ['+5', 5, false],
    ['.5', 0.5, false],
    ['1e-99999999', 0, true],
    ['1e21', 1e21, false],
  ])('%s → %s: %s', (typed, value, expected) => {
    expect(readAsOther(typed, value)).toBe(expected);
  });
});

describe('roundedResult (maths rounded to 15 significant digits)', () => {
  it('when the shown result is the exact decimal answer, then it is not rounded', () => {
    expect(roundedResult('add', 0.1, 0.2, 0.3)).toBe(false);
    expect(roundedResult('divide', 7, 2, 3.5)).toBe(false);
    expect(roundedResult('multiply', 6, 7, 42)).toBe(false);
    expect(roundedResult('subtract', 5, -2, 7)).toBe(false);
  });

  it('when maths rounded the answer, then it is', () => {
    expect(roundedResult('divide', 1, 3, 0.333333333333333)).toBe(true);
    expect(roundedResult('multiply', 9007199254740992, 1, 9007199254740990)).toBe(true);
    expect(roundedResult('add', 9007199254740992, 1, 9007199254740990)).toBe(true);
  });

  it('when the numbers are at the ends of a double, then it still answers', () => {
    expect(roundedResult('multiply', 1e-300, 1e300, 1)).toBe(false);
    expect(roundedResult('add', 1.7976931348623157e308, 5e-324, 1.7976931348623157e308)).toBe(true);
  });
});
