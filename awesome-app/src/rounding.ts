import Big from 'big.js';
import type { PageOperation } from './page';

/**
 * Where the page's numbers are not exact, found with exact decimal arithmetic
 * (big.js): a typed number a double cannot hold (`9007199254740993` is read as
 * `9007199254740992`), and a result maths rounded to its 15 significant
 * digits (`1 ÷ 3 = 0.333333333333333`). Binary noise is not rounding a person
 * sees: `0.1 + 0.2 = 0.3` is exact in decimals, and is not marked.
 */

/** big.js reads plain decimals and exponents (`1e+21`), not a leading `+`. */
const decimal = (text: string): Big => new Big(text.replace(/^\+/, ''));

/**
 * Whether `typed` (checked by input.ts: a plain decimal, at most 100
 * characters) differs from the number it was read as. A comparison only, so
 * `1e-99999999` (read as 0) costs nothing.
 */
export function readAsOther(typed: string, value: number): boolean {
  return !decimal(typed).eq(decimal(String(value)));
}

/**
 * Whether maths' `result` is not exactly `x op y` as the page shows them.
 * Both operands are doubles, whose decimals have at most 17 digits and
 * exponents within ±324, so the exact sums and products stay small.
 */
export function roundedResult(op: PageOperation, x: number, y: number, result: number): boolean {
  const a = decimal(String(x));
  const b = decimal(String(y));
  const shown = decimal(String(result));
  switch (op) {
    case 'add':
      return !a.plus(b).eq(shown);
    case 'subtract':
      return !a.minus(b).eq(shown);
    case 'multiply':
      return !a.times(b).eq(shown);
    case 'divide':
      // Exact only if multiplying back gives x: 1 ÷ 3 shown as 0.333333333333333 does not.
      return !shown.times(b).eq(a);
  }
}
