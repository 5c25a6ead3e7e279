import { execFileSync } from 'node:child_process';
import express from 'express';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { healthRoutes, silentLogger, startScenarios, type Scenarios } from '../src';
import { RUNTIME_FILE, runScenario, serviceReaders, TRACKED_FILE } from '../src/bin/scenario';
import { flagStatus, readFlagFile } from '../src/scenario-file';

// Issue 28 items 1 and 2: switches go to a runtime file git does not track,
// the tracked default never changes, and the switch says when no running
// service reads what it switched.

const ROOT = join(__dirname, '..', '..');
const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' });
const noEvents = async () => false;
const noReaders = async () => ['test'];

describe('the runtime flag file (the tracked one is the default, never switched)', () => {
  let saved: string | undefined;
  beforeAll(() => {
    // A presenter's own runtime file survives the test.
    saved = existsSync(RUNTIME_FILE) ? readFileSync(RUNTIME_FILE, 'utf8') : undefined;
  });
  afterAll(() => {
    rmSync(RUNTIME_FILE, { force: true });
    if (saved !== undefined) writeFileSync(RUNTIME_FILE, saved);
  });

  it('when every command runs with no variable set, then they write flags/runtime.flagd.json and git status stays clean', async () => {
    rmSync(RUNTIME_FILE, { force: true });
    const hash = git('hash-object', TRACKED_FILE);
    const before = git('status', '--porcelain', '--', 'flags');
    const out: string[] = [];
    const run = (...args: string[]) =>
      runScenario(args, { env: {}, out: (l) => out.push(l), events: noEvents, readers: noReaders });
    expect(await run('list')).toBe(0);
    expect(out[0]).toMatch(/runtime\.flagd\.json \(not written yet: the default\):/);
    const commands = [
      ['on', 'mathsSlow', '1s', '--for', '1m'],
      ['on', 'mathsErrors', '50%', '--for', '0'],
      ['list'],
      ['off', 'mathsSlow'],
      ['on', 'mathsSlow', 'nope'],
      ['off', '--all'],
      ['--help'],
    ];
    for (const command of commands) {
      await run(...command);
      expect(git('hash-object', TRACKED_FILE)).toBe(hash);
      expect(git('status', '--porcelain', '--', 'flags')).toBe(before);
    }
    expect(existsSync(RUNTIME_FILE)).toBe(true);
    expect(git('check-ignore', RUNTIME_FILE).trim()).not.toBe('');
    expect(readFileSync(RUNTIME_FILE, 'utf8')).toBe(readFileSync(TRACKED_FILE, 'utf8'));
  });

  it('when FLAGD_OFFLINE_FLAG_SOURCE_PATH names the tracked file, then a switch is refused and it is untouched', async () => {
    const hash = git('hash-object', TRACKED_FILE);
    const out: string[] = [];
    const env = { FLAGD_OFFLINE_FLAG_SOURCE_PATH: 'flags/scenarios.flagd.json' };
    const saved = process.cwd();
    process.chdir(ROOT);
    try {
      for (const args of [
        ['on', 'mathsSlow'],
        ['off', '--all'],
      ])
        expect(await runScenario(args, { env, out: (l) => out.push(l), events: noEvents })).toBe(1);
    } finally {
      process.chdir(saved);
    }
    expect(out).toEqual([
      expect.stringMatching(/names the tracked default .*which a switch never changes: unset it/),
      expect.stringMatching(/names the tracked default/),
    ]);
    expect(git('hash-object', TRACKED_FILE)).toBe(hash);
  });
});

describe('whether a running service reads the switched file', () => {
  let dir: string;
  let file: string;
  let scenarios: Scenarios;
  let maths: ReturnType<ReturnType<typeof express>['listen']>;
  let mathsUrl: string;
  let closedUrl: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'readers-'));
    file = join(dir, 'runtime.flagd.json');
    scenarios = await startScenarios({
      flags: ['mathsSlow', 'mathsErrors'],
      logger: silentLogger(),
      env: { FLAGD_RESOLVER: 'in-process', FLAGD_OFFLINE_FLAG_SOURCE_PATH: file },
    });
    // What maths and greetings mount: the scenarios entry of /health/dependencies.
    const app = express().use(healthRoutes({ dependencies: { scenarios: scenarios.check! } }));
    maths = app.listen(0, '127.0.0.1');
    await new Promise((r) => maths.once('listening', r));
    mathsUrl = `http://127.0.0.1:${(maths.address() as AddressInfo).port}`;
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((r) => closed.close(() => r()));
  });
  afterAll(async () => {
    await new Promise((r) => maths.close(r));
    await scenarios.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when maths reads it, then the switch says so; a timed scenario then ends there with no further command', async () => {
    const out: string[] = [];
    const env = {
      FLAGD_OFFLINE_FLAG_SOURCE_PATH: file,
      MATHS_URL: mathsUrl,
      GREETINGS_URL: closedUrl,
    };
    expect(
      await runScenario(['on', 'mathsSlow', '200ms', '--for', '5s'], {
        env,
        out: (l) => out.push(l),
        events: noEvents,
      }),
    ).toBe(0);
    expect(out).toEqual([expect.stringMatching(/^mathsSlow 200ms on, until /), '  read by maths']);
    expect(scenarios.on('mathsSlow')).toMatchObject({ variant: '200ms' });
    const deadline = Date.now() + 15_000;
    while (scenarios.on('mathsSlow') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
    expect(scenarios.on('mathsSlow')).toBeUndefined();
    // The file still says the scenario with its time; past it, list says off.
    expect(flagStatus(readFlagFile(file), 'mathsSlow', Date.now() / 1000).variant).toBe('off');
  }, 30_000);

  it('when maths reads another file, or nothing answers, then one warning line says so', async () => {
    const other = join(dir, 'other.flagd.json');
    copyFileSync(TRACKED_FILE, other);
    const out: string[] = [];
    const env = {
      FLAGD_OFFLINE_FLAG_SOURCE_PATH: other,
      MATHS_URL: mathsUrl,
      GREETINGS_URL: closedUrl,
    };
    const readers = serviceReaders(env, 1500);
    expect(
      await runScenario(['on', 'mathsSlow', '1s'], {
        env,
        out: (l) => out.push(l),
        events: noEvents,
        readers,
      }),
    ).toBe(0);
    expect(out[1]).toBe(
      `warning: no running service reads ${other}: maths reads ${file} (docs/scenarios.md)`,
    );

    out.length = 0;
    const nobody = { ...env, MATHS_URL: closedUrl };
    expect(
      await runScenario(['off', 'mathsSlow'], {
        env: nobody,
        out: (l) => out.push(l),
        events: noEvents,
      }),
    ).toBe(0);
    expect(out).toEqual([
      'mathsSlow off',
      expect.stringMatching(
        new RegExp(
          `^warning: no running service reads ${other} \\(maths and greetings do not answer at .*\\): start them with \`npm start\` or docker compose, which read it$`,
        ),
      ),
    ]);
  }, 30_000);
});
