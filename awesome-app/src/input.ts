/**
 * What a visitor may type: a name and two numbers. Pure: no HTTP here, so the
 * rules and their friendly messages are easy to test and to read.
 */
export const MAX_NAME_LENGTH = 64;
const MAX_NUMBER_LENGTH = 100;
/** Plain decimal notation only, as maths accepts: `3`, `-2.5`, `.5`, `1e3`. */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export interface Calculation {
  name: string;
  x: number;
  y: number;
}

export type Field = 'name' | 'x' | 'y';
export interface Problem {
  field: Field;
  message: string;
}

export type Checked = { ok: true; value: Calculation } | { ok: false; problems: Problem[] };

/** Checks all three fields and reports every problem at once. */
export function checkCalculation(raw: Partial<Record<Field, unknown>>): Checked {
  const problems: Problem[] = [];
  const name = checkName(raw.name, problems);
  const x = checkNumber('x', 'first number', raw.x, problems);
  const y = checkNumber('y', 'second number', raw.y, problems);
  if (name === undefined || x === undefined || y === undefined) return { ok: false, problems };
  return { ok: true, value: { name, x, y } };
}

function checkName(raw: unknown, problems: Problem[]): string | undefined {
  const problem = (message: string) => void problems.push({ field: 'name', message });
  const name = typeof raw === 'string' ? raw.trim() : '';
  // Characters as people count them: "Zoë" is 3, an emoji is 1.
  const length = [...name].length;
  if (length === 0) problem('Please tell us your name.');
  else if (length > MAX_NAME_LENGTH)
    problem(
      `Your name can be at most ${MAX_NAME_LENGTH} characters long (this one has ${length}).`,
    );
  else if (CONTROL.test(name))
    problem('Your name cannot contain line breaks or control characters.');
  else if (name === '.' || name === '..') problem('Your name cannot be just dots.');
  else return name;
  return undefined;
}

function checkNumber(
  field: 'x' | 'y',
  label: string,
  raw: unknown,
  problems: Problem[],
): number | undefined {
  const problem = (message: string) => void problems.push({ field, message });
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (text === '') {
    problem(`Please enter a ${label} (${field}).`);
    return undefined;
  }
  if (text.length > MAX_NUMBER_LENGTH) {
    problem(`The ${label} (${field}) can be at most ${MAX_NUMBER_LENGTH} characters long.`);
    return undefined;
  }
  if (!DECIMAL.test(text)) {
    problem(
      `The ${label} (${field}) must be a plain decimal number such as 3, -2.5 or 1e3; “${text}” is not one.`,
    );
    return undefined;
  }
  const value = Number(text);
  if (!Number.isFinite(value)) {
    problem(`The ${label} (${field}) is too large to calculate with (“${text}”).`);
    return undefined;
  }
  return value;
}

/** A number as the page shows it: `1e3` → `1000`, `-0` → `0`, `.5` → `0.5`. */
export const showNumber = (n: number): string => String(n);

/** The page's own address, e.g. `/Bob/1/1` or `/Zo%C3%AB/0.5/-2`. */
export function pagePath({ name, x, y }: Calculation): string {
  return `/${encodeURIComponent(name)}/${showNumber(x)}/${showNumber(y)}`;
}
