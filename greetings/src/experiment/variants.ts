import { invisibleCharacterProblem } from './text-rules';

/**
 * Greeting variants are data: a name (used in metrics and URLs, so kept to
 * a safe alphabet) and a template text with `{name}` exactly once.
 */
export interface VariantSpec {
  name: string;
  template: string;
}

/** The texts phase 1 can take from `GREETING_VARIANTS`; later phases bring their own. */
export const CATALOG: Readonly<Record<string, string>> = {
  hello: 'Hello {name}',
  howdy: 'Howdy {name}',
  hi: 'Hi {name}',
  hey: 'Hey {name}',
  welcome: 'Welcome, {name}',
  greetings: 'Greetings, {name}',
};
export const DEFAULT_VARIANTS: readonly string[] = ['hello', 'howdy'];

export const PLACEHOLDER = '{name}';
export const MAX_TEMPLATE_LENGTH = 80;
export const MIN_VARIANTS = 2;
export const MAX_VARIANTS = 8;
/** Lower-case letters, digits, `_` and `-`: safe as a Graphite path segment and in a URL. */
export const VARIANT_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
// C0 controls, DEL and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** What is wrong with a template, or null when it is fine. */
export function templateProblem(template: string): string | null {
  const length = [...template].length;
  if (length < 1 || length > MAX_TEMPLATE_LENGTH)
    return `must be 1 to ${MAX_TEMPLATE_LENGTH} characters long (got ${length})`;
  if (CONTROL.test(template)) return 'must not contain control characters';
  const invisible = invisibleCharacterProblem(template);
  if (invisible) return invisible;
  const places = template.split(PLACEHOLDER).length - 1;
  if (places !== 1) return `must contain ${PLACEHOLDER} exactly once (found ${places})`;
  return null;
}

/** Every problem of a list of variants, each naming where it is; empty when the list is good. */
export function variantsProblems(input: unknown): string[] {
  if (!Array.isArray(input))
    return ['variants: expected a list such as [{"name": "hello", "template": "Hello {name}"}, …]'];
  const problems: string[] = [];
  if (input.length < MIN_VARIANTS || input.length > MAX_VARIANTS)
    problems.push(
      `variants: expected ${MIN_VARIANTS} to ${MAX_VARIANTS} variants (got ${input.length})`,
    );
  const seen = new Set<string>();
  input.forEach((item: unknown, i) => {
    const where = `variants[${i}]`;
    if (typeof item !== 'object' || item === null) {
      problems.push(`${where}: expected {"name": …, "template": …}`);
      return;
    }
    const { name, template, ...extra } = item as Record<string, unknown>;
    const unknown = Object.keys(extra);
    if (unknown.length > 0)
      problems.push(
        `${where}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')} (expected name and template)`,
      );
    if (typeof name !== 'string' || !VARIANT_NAME.test(name))
      problems.push(
        `${where}.name: expected 1 to 32 lower-case letters, digits, "_" or "-", starting with a letter (got ${JSON.stringify(name)})`,
      );
    else if (seen.has(name)) problems.push(`${where}.name: "${name}" is used twice`);
    else seen.add(name);
    if (typeof template !== 'string') problems.push(`${where}.template: expected a text`);
    else {
      const problem = templateProblem(template);
      if (problem) problems.push(`${where}.template: ${problem}`);
    }
  });
  return problems;
}

/**
 * The greeting for `name`: the template around the name, joined literally.
 * (`String.replace` would read `$&`, `$'` and friends in the name as patterns.)
 */
export function render(template: string, name: string): string {
  const at = template.indexOf(PLACEHOLDER);
  return template.slice(0, at) + name + template.slice(at + PLACEHOLDER.length);
}
