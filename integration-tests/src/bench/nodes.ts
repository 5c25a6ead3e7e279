/**
 * `npm run bench -- --node PATH [--node PATH ...]`: the same build's page,
 * with all three services run by each given `node` binary (and a bare
 * Express hello on that binary beside it), measured round by round with the
 * other targets, and printed as ratios to the first binary given.
 */
import { spawnSync } from 'node:child_process';

export interface NodeBinary {
  path: string;
  version: string;
  /** Unique among the binaries compared: the version, numbered if given twice. */
  label: string;
}

/**
 * Each path's `node --version`, or the first path that is not a working
 * `node` binary (and why), so the caller can say so in one line.
 */
export function nodeBinaries(paths: readonly string[]): NodeBinary[] | { error: string } {
  const binaries: NodeBinary[] = [];
  for (const path of paths) {
    const run = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    const version = run.stdout?.trim() ?? '';
    if (run.error || run.status !== 0 || !/^v\d+\.\d+\.\d+/.test(version)) {
      const why = run.error?.message ?? (run.stderr?.trim() || `exit ${run.status}`);
      return { error: `--node ${path} is not a node binary that runs here (${why})` };
    }
    const seen = binaries.filter((b) => b.version === version).length;
    binaries.push({ path, version, label: seen ? `${version} (#${seen + 1})` : version });
  }
  return binaries;
}

export const nodePageTarget = (b: NodeBinary) => `Node ${b.label}: page /Bob/1/1`;
export const nodeHelloTarget = (b: NodeBinary) => `Node ${b.label}: bare Express hello`;

interface Row {
  target: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

/** The Node table: per binary, the page and the bare hello, as ratios to the first binary. */
export function nodeTable(binaries: readonly NodeBinary[], rows: readonly Row[]): string {
  if (binaries.length === 0) return '';
  const row = (name: string) => rows.find((r) => r.target === name)!;
  const firstPage = row(nodePageTarget(binaries[0]!)).requestsPerSecond;
  const firstHello = row(nodeHelloTarget(binaries[0]!)).requestsPerSecond;
  return [
    '',
    `| Node (ratios to ${binaries[0]!.label}) | page req/s | ratio | p50 ms | p99 ms | errors | bare Express hello req/s | ratio |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...binaries.map((b) => {
      const [page, hello] = [row(nodePageTarget(b)), row(nodeHelloTarget(b))];
      return `| ${b.label} (${b.path}) | ${page.requestsPerSecond} | ${(page.requestsPerSecond / firstPage).toFixed(3)}× | ${page.p50} | ${page.p99} | ${page.errors + hello.errors} | ${hello.requestsPerSecond} | ${(hello.requestsPerSecond / firstHello).toFixed(3)}× |`;
    }),
  ].join('\n');
}
