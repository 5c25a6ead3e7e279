/** The greeting templates the experiment can choose from; `{name}` is the visitor's name. */
export const TEMPLATES = {
  hello: 'Hello {name}',
  howdy: 'Howdy {name}',
  hi: 'Hi {name}',
  hey: 'Hey {name}',
  welcome: 'Welcome, {name}',
  greetings: 'Greetings, {name}',
} as const;

export type Variant = keyof typeof TEMPLATES;
export const KNOWN_VARIANTS = Object.keys(TEMPLATES) as Variant[];
export const DEFAULT_VARIANTS: readonly Variant[] = ['hello', 'howdy'];

export function isVariant(value: string): value is Variant {
  return Object.hasOwn(TEMPLATES, value);
}

export function render(variant: Variant, name: string): string {
  return TEMPLATES[variant].replace('{name}', name);
}
