import {
  checkName as checkNameRule,
  MAX_NAME_LENGTH,
  type NameProblem,
} from '@friendly-calculator/common';

/**
 * What a visitor may type: a name and two numbers. Pure: no HTTP here, so the
 * rules and their friendly messages are easy to test and to read. The name
 * rule is common's, the one greetings applies too.
 */
export const MAX_NUMBER_LENGTH = 100;
/** Plain decimal notation only, as maths accepts: `3`, `-2.5`, `.5`, `1e3`. */
export const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export interface Calculation {
  name: string;
  x: number;
  y: number;
  /** The numbers as typed (trimmed), to tell when one was read as another (`9007199254740993`). */
  typed?: { x: string; y: string };
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
  const typed = { x: (raw.x as string).trim(), y: (raw.y as string).trim() };
  return { ok: true, value: { name, x, y, typed } };
}

const NAME_PROBLEMS: Record<NameProblem, (length: number) => string> = {
  empty: () => 'Please tell us your name.',
  'too-long': (length) =>
    `Your name can be at most ${MAX_NAME_LENGTH} characters long (this one has ${length}).`,
  control: () => 'Your name cannot contain line breaks or control characters.',
  dots: () => 'Your name cannot be just dots.',
};

function checkName(raw: unknown, problems: Problem[]): string | undefined {
  const checked = checkNameRule(typeof raw === 'string' ? raw : '');
  if (checked.ok) return checked.name;
  problems.push({ field: 'name', message: NAME_PROBLEMS[checked.problem](checked.length) });
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
