#!/usr/bin/env node
// `node scripts/build-then.mjs <what it does> <script.js> [args...]`: builds
// (tsc -b, incremental), saying so and how long it took, then runs the script.
// Used by `npm run load`, `bench` and `screenshots`: a first build takes about
// 40 s, and a silent 40 s looks like a hang.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const [what, script, ...args] = process.argv.slice(2);
if (!what || !script) {
  console.error('usage: node scripts/build-then.mjs "<what it does>" <script.js> [args...]');
  process.exit(2);
}

const say = (message) => process.stderr.write(`[${what}] ${message}\n`);
say('building first (tsc -b: the first build takes about 40 s, later ones only what changed)…');
const started = Date.now();
const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const build = spawnSync(process.execPath, [tsc, '-b'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) {
  say('the build failed (see above): nothing was run.');
  process.exit(build.status ?? 1);
}
say(
  `built in ${((Date.now() - started) / 1000).toFixed(1)} s; starting ${script} ${args.join(' ')}`,
);
const run = spawnSync(process.execPath, [join(ROOT, script), ...args], { stdio: 'inherit' });
process.exit(run.status ?? 1);
