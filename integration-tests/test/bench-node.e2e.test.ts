import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// `npm run bench -- --node PATH ...` itself, as a user runs it: the built
// script with a tiny duration. The first "node" is a wrapper that notes each
// command line it runs, so the test sees which binary ran what.

const run = promisify(execFile);
const BENCH = join(__dirname, '..', 'dist', 'bench', 'run.js');

describe('npm run bench -- --node', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bench-node-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('when two node binaries are given, then all three services and a hello run on each, and the table gives ratios to the first', async () => {
    const wrapper = join(dir, 'node-wrapper');
    const calls = join(dir, 'calls.log');
    writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> '${calls}'\nexec '${process.execPath}' "$@"\n`);
    chmodSync(wrapper, 0o755);

    const { stdout } = await run(
      process.execPath,
      [
        BENCH,
        ...['--duration', '1', '--rounds', '1', '--warmup', '1', '--connections', '2'],
        ...['--out', join(dir, 'out'), '--node', wrapper, '--node', process.execPath],
      ],
      { timeout: 120_000 },
    );

    const ran = readFileSync(calls, 'utf8').trim().split('\n');
    expect(ran).toContain('--version');
    for (const script of ['maths', 'greetings', 'awesome-app'].map((s) => `${s}/dist/server.js`))
      expect(ran.filter((line) => line.endsWith(script))).toHaveLength(1);
    expect(ran.filter((line) => line.endsWith('bench/hello-server.js'))).toHaveLength(1);

    const v = process.version.replace(/\./g, '\\.');
    expect(stdout).toContain(`| Node (ratios to ${process.version}) | page req/s | ratio |`);
    expect(stdout).toMatch(
      new RegExp(
        `^\\| ${v} \\(${wrapper}\\) \\| \\d+ \\| 1\\.000× \\| [\\d.]+ \\| [\\d.]+ \\| 0 \\| \\d+ \\| 1\\.000× \\|$`,
        'm',
      ),
    );
    // The same version twice: the second is numbered, its ratios measured.
    expect(stdout).toMatch(
      new RegExp(
        `^\\| ${v} \\(#2\\) \\(${process.execPath}\\) \\| \\d+ \\| \\d+\\.\\d{3}× \\| .* \\| 0 \\| \\d+ \\| \\d+\\.\\d{3}× \\|$`,
        'm',
      ),
    );
    expect(stdout).toMatch(new RegExp(`^\\| Node ${v} \\(#2\\): page /Bob/1/1 \\| \\d+ \\|`, 'm'));
  });

  it('when a --node path is not a node binary, then it says so in one line and exits 2 before starting anything', async () => {
    const missing = join(dir, 'no-such-node');
    const failure = await run(process.execPath, [BENCH, '--node', missing], {
      timeout: 30_000,
    }).catch((error: unknown) => error as { code: number; stderr: string; stdout: string });
    expect(failure).toMatchObject({ code: 2, stdout: '' });
    expect((failure as { stderr: string }).stderr.split('\n')[0]).toBe(
      `--node ${missing} is not a node binary that runs here (spawnSync ${missing} ENOENT)`,
    );
  });
});
