import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, startScenarios, type Scenarios } from '../src';
import { readFlagFile, switchOff, switchOn, writeFlagFile } from '../src/scenario-file';

const FLAGS = join(__dirname, '..', '..', 'flags', 'scenarios.flagd.json');

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

  it('when the runtime file does not exist yet, then every flag is off until a switch writes it', async () => {
    const later = join(dir, 'runtime.flagd.json');
    scenarios = await startScenarios({
      flags: ['mathsSlow'],
      logger: silentLogger(),
      env: { ...env(), FLAGD_OFFLINE_FLAG_SOURCE_PATH: later },
    });
    expect(scenarios.on('mathsSlow')).toBeUndefined();
    await expect(scenarios.check!()).resolves.toEqual({
      details: { file: later, sha256: null, on: [] },
    });
    writeFlagFile(later, switchOn(readFlagFile(file), 'mathsSlow', '200ms', 0, 0).doc);
    await until(() => scenarios!.on('mathsSlow') !== undefined, 8000);
    expect(scenarios.on('mathsSlow')).toMatchObject({ variant: '200ms', value: 200 });
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
});
