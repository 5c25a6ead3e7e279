#!/usr/bin/env node
// `npm run lint:workflows` (part of `npm run lint`): checks the GitHub Actions
// workflows with action-validator (npm @action-validator/cli, pinned in
// package.json) against GitHub's workflow schema. Then it feeds the validator
// broken copies of the first workflow, each with one typical mistake, and
// fails if any of them passes: a check that cannot fail checks nothing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const folder = join(root, '.github', 'workflows');
const bin = join(root, 'node_modules', '.bin', 'action-validator');

/** Exit status and a short reason from action-validator's JSON report. */
function validate(file) {
  const run = spawnSync(bin, [file], { encoding: 'utf8' });
  if (run.error) throw run.error;
  const details = [...(run.stdout + run.stderr).matchAll(/"(?:detail|title)": "([^"]+)"/g)].map(
    (m) => m[1],
  );
  return { status: run.status, why: [...new Set(details)].slice(0, 3).join('; ') };
}

const workflows = readdirSync(folder).filter((f) => /\.ya?ml$/.test(f));
if (workflows.length === 0) throw new Error(`no workflow in ${folder}`);
let failed = false;
for (const name of workflows) {
  const { status, why } = validate(join(folder, name));
  console.log(
    `${status === 0 ? 'ok  ' : 'FAIL'}  .github/workflows/${name}${status ? `: ${why}` : ''}`,
  );
  failed ||= status !== 0;
}

const original = readFileSync(join(folder, workflows[0]), 'utf8');
const mistakes = [
  ['a misspelt key (runs_on)', (y) => y.replace(/\bruns-on:/, 'runs_on:')],
  ['a job without steps', (y) => y.replace(/\n {4}steps:\n/, '\n    stepz:\n')],
  [
    'a number that is text (timeout-minutes: soon)',
    (y) => y.replace(/timeout-minutes: \d+/, 'timeout-minutes: soon'),
  ],
  [
    'a YAML error (an unquoted ": " in a value)',
    (y) => y.replace(/^name: .*$/m, 'name: CI: broken'),
  ],
];
const scratch = mkdtempSync(join(tmpdir(), 'workflows-'));
try {
  for (const [what, break_] of mistakes) {
    const broken = break_(original);
    if (broken === original) throw new Error(`could not make ${what} in ${workflows[0]}`);
    const file = join(scratch, 'broken.yml');
    writeFileSync(file, broken);
    const { status } = validate(file);
    console.log(`${status !== 0 ? 'ok  ' : 'FAIL'}  a copy with ${what} is refused`);
    failed ||= status === 0;
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
