/**
 * The pure arithmetic of the maths service: no HTTP, no metrics, no I/O.
 *
 * Results are "friendly": rounded to 15 significant digits, the precision a
 * double always holds exactly, so binary floating-point noise disappears
 * (0.1 + 0.2 is 0.3, not 0.30000000000000004) while every result a person
 * types or reads stays exact.
 */

export const OPERATIONS = {
  add: (x: number, y: number) => x + y,
  subtract: (x: number, y: number) => x - y,
  multiply: (x: number, y: number) => x * y,
  divide: (x: number, y: number) => x / y,
  power: (x: number, y: number) => x ** y,
} as const;

export type Operation = keyof typeof OPERATIONS;
export const OPERATION_NAMES = Object.keys(OPERATIONS) as Operation[];

export function isOperation(name: string): name is Operation {
  return Object.hasOwn(OPERATIONS, name);
}

/** Input the caller can fix: a 400. */
export class InvalidOperand extends Error {
  override readonly name = 'InvalidOperand';
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

/** Valid input whose result cannot be given: a 422. */
export class UndefinedResult extends Error {
  override readonly name = 'UndefinedResult';
}

/** Plain decimal notation only: `3`, `-2.5`, `.5`, `1e3`. No hex, no `Infinity`, no `NaN`. */
export const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
export const MAX_OPERAND_LENGTH = 100;

/** Parses one query parameter into a finite number, or throws `InvalidOperand` naming it. */
export function parseOperand(parameter: string, raw: string | undefined): number {
  if (raw === undefined || raw === '') {
    throw new InvalidOperand(
      parameter,
      `Missing number: '${parameter}' is required, e.g. ?x=1&y=2`,
    );
  }
  if (raw.length > MAX_OPERAND_LENGTH) {
    throw new InvalidOperand(
      parameter,
      `'${parameter}' is longer than ${MAX_OPERAND_LENGTH} characters`,
    );
  }
  if (!DECIMAL.test(raw)) {
    throw new InvalidOperand(
      parameter,
      `'${parameter}' must be a decimal number such as 3, -2.5 or 1e3 (got ${JSON.stringify(raw)})`,
    );
  }
  const value = Number(raw);
  if (!Number.isFinite(value)) {
    throw new InvalidOperand(parameter, `'${parameter}' is too large to represent (got ${raw})`);
  }
  return value;
}

/** Rounds to 15 significant digits; turns -0 into 0. */
export function friendly(value: number): number {
  if (value === 0) return 0;
  const rounded = Number(value.toPrecision(15));
  // Rounding the largest doubles up can overflow (1.7976931348623157e308 → 1.79769313486232e308 = Infinity).
  return Number.isFinite(rounded) ? rounded : value;
}

/** Applies `operation` to two finite numbers; throws `UndefinedResult` when there is no finite answer. */
export function calculate(operation: Operation, x: number, y: number): number {
  if (y === 0 && operation === 'divide') {
    throw new UndefinedResult('Division by zero: y must not be 0 when dividing');
  }
  const result = OPERATIONS[operation](x, y);
  if (Number.isNaN(result)) {
    throw new UndefinedResult(`The result of ${operation} is not a real number`);
  }
  if (!Number.isFinite(result)) {
    throw new UndefinedResult(`The result of ${operation} is too large to represent`);
  }
  return friendly(result);
}
