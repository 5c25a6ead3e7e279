import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, startScenarios, type Logger, type Scenarios } from '../src';
import { runScenario } from '../src/bin/scenario';
import { capturingLogger, PINO_ERROR } from '../src/testing';
import { readFlagFile, switchOff, switchOn, writeFlagFile } from '../src/scenario-file';

const FLAGS = join(__dirname, '..', '..', 'flags', 'scenarios.flagd.json');

/** 3,000 nested `if`s: JSON.parse takes it, a recursive walk of it may not. */
function deepTargeting(levels: number): string {
  let rule = '"100%"';
  for (let i = 0; i < levels; i++) rule = `{"if":[true,${rule},"off"]}`;
  return rule;
}

const BREAKS: Record<string, { change: (file: string) => void; why: RegExp }> = {
  deleted: { change: (file) => rmSync(file), why: /does not exist/ },
  emptied: { change: (file) => writeFileSync(file, ''), why: /is empty/ },
  truncated: {
    change: (file) => {
      const text = readFileSync(file, 'utf8');
      writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
    },
    why: /is not JSON/,
  },
  'not JSON': { change: (file) => writeFileSync(file, '{ "flags": { nope'), why: /is not JSON/ },
  'targeting 3,000 levels deep': {
    change: (file) => {
      const text = readFileSync(file, 'utf8').replace(
        '"defaultVariant": "100%"',
        `"defaultVariant": "off", "targeting": ${deepTargeting(3000)}`,
      );
      writeFileSync(file, text);
    },
    why: /nests deeper than 32 levels/,
  },
  'an unknown default variant': {
    change: (file) =>
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace('"defaultVariant": "100%"', '"defaultVariant": "200%"'),
      ),
    why: /defaultVariant "200%" is not one of its variants/,
  },
  'a "10%" variant that fails every call': {
    change: (file) => {
      const doc = readFlagFile(file);
      doc.flags.mathsErrors!.variants['10%'] = 1;
      doc.flags.mathsErrors!.defaultVariant = '10%';
      writeFileSync(file, JSON.stringify(doc));
    },
    why: /variant "10%" has the value 1, its label says 0.1/,
  },
};

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('scenario flags read through OpenFeature and the flagd provider, in process', () => {
  let dir: string;
  let file: string;
  let scenarios: Scenarios | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flags-'));
    file = join(dir, 'scenarios.flagd.json');
    copyFileSync(FLAGS, file);
  });
  afterEach(async () => {
    await scenarios?.close();
    scenarios = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  const env = () => ({ FLAGD_RESOLVER: 'in-process', FLAGD_OFFLINE_FLAG_SOURCE_PATH: file });

  it('when no FLAGD_ variable is set, then every flag is off and OpenFeature is never loaded', async () => {
    const off = await startScenarios({ flags: ['mathsSlow'], logger: silentLogger(), env: {} });
    expect(off.on('mathsSlow')).toBeUndefined();
    expect(Object.keys(require.cache).filter((m) => m.includes('@openfeature'))).toEqual([]);
  });

  it('when a flag file is named without FLAGD_RESOLVER=in-process, then it refuses with one line naming both', async () => {
    for (const resolver of [undefined, 'rpc'])
      await expect(
        startScenarios({
          flags: [],
          logger: silentLogger(),
          env: { FLAGD_RESOLVER: resolver, FLAGD_OFFLINE_FLAG_SOURCE_PATH: file },
        }),
      ).rejects.toThrow(/FLAGD_RESOLVER must be in-process .*FLAGD_OFFLINE_FLAG_SOURCE_PATH/);
  });

  it('when the runtime file does not exist yet, then every flag is off until a switch writes it, said once', async () => {
    const later = join(dir, 'runtime.flagd.json');
    const { logger, lines } = capturingLogger();
    scenarios = await startScenarios({
      flags: ['mathsSlow'],
      logger,
      env: { ...env(), FLAGD_OFFLINE_FLAG_SOURCE_PATH: later },
    });
    expect(scenarios.on('mathsSlow')).toBeUndefined();
    await expect(scenarios.check!()).resolves.toEqual({
      details: { file: later, sha256: null, on: [] },
    });
    // A presenter starts first and switches later: the file is polled missing (every second) meanwhile.
    await new Promise((r) => setTimeout(r, 2500));
    writeFlagFile(later, switchOn(readFlagFile(file), 'mathsSlow', '200ms', 0, 0).doc);
    await until(() => scenarios!.on('mathsSlow') !== undefined, 8000);
    expect(scenarios.on('mathsSlow')).toMatchObject({ variant: '200ms', value: 200 });
    // The file was polled missing more than once before the write; one line said so.
    const missing = lines.filter((l) => String(l.msg).includes('does not exist yet'));
    expect(missing).toEqual([expect.objectContaining({ file: later })]);
  }, 20_000);

  it('when the file is switched, then the flag follows within seconds, and a timed one ends by itself', async () => {
    scenarios = await startScenarios({
      flags: ['mathsSlow', 'mathsErrors'],
      logger: silentLogger(),
      env: env(),
    });
    expect(scenarios.on('mathsSlow')).toBeUndefined();
    const now = Date.now() / 1000;
    writeFlagFile(file, switchOn(readFlagFile(file), 'mathsSlow', '1s', 0, now).doc);
    // Within the contract's 5 s (the file is polled every second).
    const switched = Date.now();
    await until(() => scenarios!.on('mathsSlow') !== undefined, 8000);
    expect(Date.now() - switched).toBeLessThan(2500);
    expect(scenarios.on('mathsSlow')).toEqual({ flag: 'mathsSlow', variant: '1s', value: 1000 });
    expect(scenarios.on('mathsErrors')).toBeUndefined();

    // Timed: 7 s from now; the file does not change again.
    const timedAt = Date.now() / 1000;
    writeFlagFile(
      file,
      switchOn(switchOff(readFlagFile(file), 'mathsSlow'), 'mathsErrors', '50%', 7, timedAt).doc,
    );
    await until(() => scenarios!.on('mathsErrors') !== undefined, 8000);
    expect(scenarios.on('mathsErrors')).toMatchObject({ variant: '50%', value: 0.5 });
    expect(scenarios.on('mathsSlow')).toBeUndefined();
    await until(() => scenarios!.on('mathsErrors') === undefined, 9000);
    expect(Date.now() / 1000).toBeGreaterThanOrEqual(Math.floor(timedAt) + 7);
  }, 30_000);

  // Issue 24 item 9: with mathsErrors 100% on, a broken change of the flag file
  // keeps the last good flags, logs one error line (JSON, the file and why),
  // shows in the health check, and `off --all` puts a valid all-off file back.
  describe('a broken scenario flag file keeps the last good flags', () => {
    beforeEach(() => {
      writeFlagFile(file, switchOn(readFlagFile(file), 'mathsErrors', '100%', 0, 0).doc);
    });
    const start = async (logger: Logger) =>
      (scenarios = await startScenarios({
        flags: ['mathsSlow', 'mathsErrors'],
        logger,
        env: { FLAGD_RESOLVER: 'in-process', FLAGD_OFFLINE_FLAG_SOURCE_PATH: file },
      }));

    it.each(Object.keys(BREAKS))(
      'when the file is %s, then mathsErrors 100%% stays on, one error line and the health check say why, and off --all repairs it',
      async (name) => {
        const { change, why } = BREAKS[name]!;
        const { logger, lines } = capturingLogger();
        const read = await start(logger);
        expect(read.on('mathsErrors')).toMatchObject({ variant: '100%', value: 1 });
        await expect(read.check!()).resolves.toMatchObject({
          details: { file, on: ['mathsErrors 100%'] },
        });

        change(file);
        const errors = () => lines.filter((l) => l.level === PINO_ERROR);
        await until(() => errors().length > 0, 8000);
        // Polled again and again, the same bad file is still one line.
        await new Promise((r) => setTimeout(r, 2500));
        await read.refresh();
        expect(errors()).toEqual([
          expect.objectContaining({
            file,
            reason: expect.stringMatching(why),
            msg: expect.stringMatching(
              /^scenario flags file refused, keeping the last good flags: /,
            ),
          }),
        ]);
        expect(errors()[0]!.reason).toContain(file);
        expect(read.on('mathsErrors')).toMatchObject({ variant: '100%', value: 1 });
        await expect(read.check!()).rejects.toMatchObject({
          message: expect.stringMatching(why),
          details: { file, on: ['mathsErrors 100%'] },
        });

        // The switch repairs whatever is there: a valid file, every flag off.
        const out: string[] = [];
        const env = { FLAGD_OFFLINE_FLAG_SOURCE_PATH: file };
        const readers = () => Promise.resolve(['this test']);
        expect(await runScenario(['off', '--all'], { env, out: (l) => out.push(l), readers })).toBe(
          0,
        );
        expect(readFileSync(file, 'utf8')).toBe(readFileSync(FLAGS, 'utf8'));
        await until(() => read.on('mathsErrors') === undefined, 8000);
        await expect(read.check!()).resolves.toMatchObject({ details: { on: [] } });
      },
      30_000,
    );

    it('when the file grows to 10 MB, then it is refused unread: nothing loaded, memory flat', async () => {
      const { logger, lines } = capturingLogger();
      const read = await start(logger);
      // Valid JSON, every flag off, padded with 10 MB of metadata: were it read,
      // mathsErrors would go off.
      const doc = readFlagFile(FLAGS);
      const big = JSON.stringify({ ...doc, metadata: { padding: 'x'.repeat(10 * 1024 * 1024) } });
      global.gc?.();
      const before = process.memoryUsage().rss;
      writeFileSync(file, big);
      await until(() => lines.some((l) => l.level === PINO_ERROR), 8000);
      await new Promise((r) => setTimeout(r, 2500));
      await read.refresh();
      const after = process.memoryUsage().rss;
      process.stdout.write(
        `10 MB flag file: rss before ${(before / 2 ** 20).toFixed(0)} MB, after ${(after / 2 ** 20).toFixed(0)} MB\n`,
      );
      expect(lines.filter((l) => l.level === PINO_ERROR)).toEqual([
        expect.objectContaining({
          file,
          reason: expect.stringMatching(/larger than 65536 bytes: not read/),
        }),
      ]);
      expect(read.on('mathsErrors')).toMatchObject({ variant: '100%' });
      // The test's own 10 MB string is already counted in `before`; reading and
      // parsing the file (the issue saw ~400 MB per process) would add far more.
      expect(after - before).toBeLessThan(100 * 2 ** 20);
    }, 30_000);
  });
});
