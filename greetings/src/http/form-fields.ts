/**
 * The admin form's fields as the JSON API takes them. Every `name<N>` /
 * `template<N>` pair the form sent counts, however many: more variants than
 * a phase may have are refused by the same rule as in JSON, never dropped.
 */
export function formVariants(form: Record<string, unknown>): { name: string; template: string }[] {
  const rows = new Set<number>();
  for (const key of Object.keys(form)) {
    const match = /^(?:name|template)([1-9]\d{0,2})$/.exec(key);
    if (match) rows.add(Number(match[1]));
  }
  const text = (key: string) => {
    const value = form[key];
    return typeof value === 'string' ? value : '';
  };
  return [...rows]
    .sort((a, b) => a - b)
    .map((i) => ({ name: text(`name${i}`).trim(), template: text(`template${i}`) }))
    .filter(({ name, template }) => name !== '' || template.trim() !== '');
}

/** A number when the field holds one ("0.1", ".5", "1"); else the text, which the rule refuses. */
export function formEpsilon(field: string): number | string | undefined {
  const value = field.trim();
  if (value === '') return undefined;
  return /^(?:\d+(?:\.\d*)?|\.\d+)$/.test(value) ? Number(value) : value;
}
