// Part of `npm run lint:docs`: README.md and docs/ point only inside the
// repository. remark-validate-links checks that a linked file exists, but a
// link to ../shared/... exists on the team's machines and nowhere else, so
// any relative link or path that climbs out of the repository is refused.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const files = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const problems = [];
for (const file of files) {
  // Fenced blocks are files of their own (a kustomization's ../kubernetes): not checked.
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  const outside = (from, target) =>
    relative(ROOT, resolve(from, target.split('#')[0])).startsWith('..');
  // Links and images resolve from the page's folder.
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)/g)) {
    if (/^[a-z]+:/i.test(target) || target.startsWith('#')) continue;
    if (outside(join(ROOT, dirname(file)), target))
      problems.push(`${file}: link ${target} leaves the repository`);
  }
  // A path in prose (`../shared/docs/contract.md`) is read from the repository's root.
  for (const [, path] of text.matchAll(/`((?:\.\.\/)+[^`\s]*)`/g)) {
    if (outside(ROOT, path)) problems.push(`${file}: ${path} is outside the repository`);
  }
}
for (const problem of [...new Set(problems)]) console.error(problem);
process.exit(problems.length === 0 ? 0 : 1);
