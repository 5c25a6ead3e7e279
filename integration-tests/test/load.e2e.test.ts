import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startLocalStack, type LocalStack } from '../src/stack';

// `npm run load` itself, as a user runs it: the built script against a real
// local stack, through the real page and Like paths.

const run = promisify(execFile);
const LOAD = join(__dirname, '..', 'dist', 'load.js');

interface Stats {
  variants: { name: string; shown: number; liked: number }[];
}

describe('npm run load', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack();
  });
  afterAll(() => stack?.stop());

  it('when visitors like only howdy, then every howdy shown is liked, hello never is, and the report says so', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        LOAD,
        '--app',
        stack.urls['awesome-app'],
        '--visits',
        '300',
        '--rates',
        'hello=0,howdy=1',
        '--concurrency',
        '4',
      ],
      { timeout: 60_000 },
    );

    const res = await fetch(`${stack.urls.greetings}/stats`);
    const stats = (await res.json()) as Stats;
    const hello = stats.variants.find((v) => v.name === 'hello');
    const howdy = stats.variants.find((v) => v.name === 'howdy');
    // Only this run has visited: 300 impressions in all.
    expect((hello?.shown ?? 0) + (howdy?.shown ?? 0)).toBe(300);
    expect(hello?.liked).toBe(0);
    expect(howdy?.shown).toBeGreaterThan(0);
    expect(howdy?.liked).toBe(howdy?.shown);

    expect(stdout).toMatch(/^300 visits in [\d.]+ s \(\d+\/s\), 0 failed$/m);
    expect(stdout).toContain('| howdy | 100.0 % |');
    expect(stdout).toMatch(/^\| howdy \| 100\.0 % \| [\d.]+ % \| 100\.0 % \|$/m);
    expect(stdout).toMatch(/^\| hello \| 0\.0 % \| [\d.]+ % \| 0\.0 % \|$/m);
    expect(stdout).toContain(`howdy: ${howdy?.shown} shown, ${howdy?.liked} liked`);
    expect(stdout).toContain('truly best "howdy"');
  });
});
