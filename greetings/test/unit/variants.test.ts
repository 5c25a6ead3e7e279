import { render, templateProblem, variantsProblems } from '../../src/experiment/variants';

describe('render', () => {
  it.each([
    ['Hello {name}', 'Bob', 'Hello Bob'],
    ['Hello {name}', "$& and $' and $$ and $1", "Hello $& and $' and $$ and $1"],
    ['{name}, welcome!', '{name}', '{name}, welcome!'],
    ['Hi {name}', '<b>x</b>', 'Hi <b>x</b>'],
  ])('puts the name into %j literally (%j)', (template, name, expected) => {
    expect(render(template, name)).toBe(expected);
  });
});

describe('templateProblem', () => {
  it.each([
    ['Hello {name}', null],
    ['{name}', null],
    ['x'.repeat(74) + '{name}', null],
    ['x'.repeat(75) + '{name}', 'must be 1 to 80 characters long (got 81)'],
    ['', 'must be 1 to 80 characters long (got 0)'],
    ['Hello', 'must contain {name} exactly once (found 0)'],
    ['{name} and {name}', 'must contain {name} exactly once (found 2)'],
    ['Hello\n{name}', 'must not contain control characters'],
    ['Hello\u0085{name}', 'must not contain control characters'],
  ])('%j → %j', (template, problem) => {
    expect(templateProblem(template)).toBe(problem);
  });
});

describe('variantsProblems', () => {
  it('accepts two to eight distinct, well-named variants', () => {
    expect(
      variantsProblems([
        { name: 'hello', template: 'Hello {name}' },
        { name: 'good_day-2', template: 'Good day, {name}!' },
      ]),
    ).toEqual([]);
  });

  it('names every problem and where it is', () => {
    expect(
      variantsProblems([
        { name: 'Hello', template: 'Hello' },
        { name: 'hi', template: 'Hi {name}' },
        { name: 'hi', template: 7 },
      ]),
    ).toEqual([
      'variants[0].name: expected 1 to 32 lower-case letters, digits, "_" or "-", starting with a letter (got "Hello")',
      'variants[0].template: must contain {name} exactly once (found 0)',
      'variants[2].name: "hi" is used twice',
      'variants[2].template: expected a text',
    ]);
    expect(variantsProblems([{ name: 'a', template: 'A {name}' }])).toEqual([
      'variants: expected 2 to 8 variants (got 1)',
    ]);
    expect(variantsProblems('hello')[0]).toMatch(/^variants: expected a list/);
  });
});
