import { checkName, type NameProblem } from '../src/name';

// The one name rule greetings and the page share: every row holds for both.
describe('checkName', () => {
  it.each([
    ['Bob', 'Bob'],
    ['  Ann  ', 'Ann'],
    ['Zoë', 'Zoë'],
    ['<b>Bob</b>', '<b>Bob</b>'],
    ['Bob / Ann?', 'Bob / Ann?'],
    ['...', '...'],
    ['.Bob', '.Bob'],
    ['x'.repeat(64), 'x'.repeat(64)],
    ['🙂'.repeat(64), '🙂'.repeat(64)],
    ['\u00a0Bob', 'Bob'], // a no-break space is trimmed like any space
    ['Bob\u00a0Smith', 'Bob\u00a0Smith'], // U+00A0 is just past the C1 range
  ])('when the name is %j, then it is accepted as %j', (raw, name) => {
    expect(checkName(raw)).toEqual({ ok: true, name });
  });

  it.each<[string, NameProblem, number]>([
    ['', 'empty', 0],
    ['   ', 'empty', 0],
    ['\n\t', 'empty', 0],
    ['x'.repeat(65), 'too-long', 65],
    ['🙂'.repeat(65), 'too-long', 65],
    ['Bob\nSmith', 'control', 9],
    ['Bob\u0000', 'control', 4],
    ['Bob\u001b[31m', 'control', 8],
    ['Bob\u007f', 'control', 4],
    ['Bob\u0080', 'control', 4], // the first C1 control
    ['Bob\u0085Smith', 'control', 9], // NEL, a C1 "next line"
    ['Bob\u009f', 'control', 4], // the last C1 control
    ['.', 'dots', 1],
    [' .. ', 'dots', 2],
  ])('when the name is %j, then it is refused: %s', (raw, problem, length) => {
    expect(checkName(raw)).toEqual({ ok: false, problem, length });
  });
});
