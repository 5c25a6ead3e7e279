import {
  createNullMetrics,
  fixedScenarios,
  silentLogger,
  startScenarios,
  type ScenarioState,
} from '@friendly-calculator/common';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkEveryAnswer } from '@friendly-calculator/common/testing';
import supertest from 'supertest';
import { createApp } from '../../src/app';
import { mathsDocument } from '../../src/http/openapi';

// Every answer, the failed ones included, fits maths' OpenAPI document.
// One document object, so its schemas are compiled once (not inside a timed request).
const DOC = mathsDocument();
const request = (target: ReturnType<typeof createApp>) => checkEveryAnswer(supertest(target), DOC);

const app = (on: ScenarioState[], random = () => 0.3) =>
  createApp({
    logger: silentLogger(),
    metrics: createNullMetrics(),
    scenarios: fixedScenarios(on),
    random,
  });

describe('maths under the scenario flags', () => {
  it('when mathsSlow 200ms is on, then each operation and each batch waits that long', async () => {
    const slow = app([{ flag: 'mathsSlow', variant: '200ms', value: 200 }]);
    for (const path of ['/add?x=1&y=1', '/calculate?x=1&y=2']) {
      const start = Date.now();
      await request(slow).get(path).expect(200);
      expect(Date.now() - start).toBeGreaterThanOrEqual(195);
    }
    // Health checks are no maths calls: under a 3 s delay they still answer at once
    // (bounds far from the delay, so a busy machine cannot make this flaky).
    const slower = app([{ flag: 'mathsSlow', variant: '3s', value: 3000 }]);
    const start = Date.now();
    await request(slower).get('/healthz').expect(200);
    expect(Date.now() - start).toBeLessThan(1500);
  });

  it('when mathsErrors 50% is on, then a call under the share answers 500 naming the scenario, one over it answers', async () => {
    const errors = { flag: 'mathsErrors', variant: '50%', value: 0.5 };
    const failed = await request(app([errors], () => 0.49))
      .get('/add?x=1&y=1')
      .set('accept', 'application/json')
      .expect(500);
    expect(failed.body).toMatchObject({ scenario: 'mathsErrors', variant: '50%' });
    expect(failed.body.error).toMatch(/scenario mathsErrors 50% is on/);
    await request(app([errors], () => 0.5))
      .get('/add?x=1&y=1')
      .expect(200, '2\n');
    await request(app([{ ...errors, variant: '100%', value: 1 }], () => 0.999))
      .get('/calculate?x=1&y=1')
      .expect(500);
  });

  it('when every flag is off, then nothing waits and nothing fails', async () => {
    const start = Date.now();
    await request(app([], () => 0))
      .get('/add?x=1&y=1')
      .expect(200, '2\n');
    expect(Date.now() - start).toBeLessThan(1000);
  });
});

describe('the scenario flag file in /health/dependencies', () => {
  it('when the file read is broken, then maths is degraded with the entry scenarios down saying why, and still answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maths-flags-'));
    const file = join(dir, 'runtime.flagd.json');
    const scenarios = await startScenarios({
      flags: ['mathsSlow', 'mathsErrors'],
      logger: silentLogger(),
      env: { FLAGD_RESOLVER: 'in-process', FLAGD_OFFLINE_FLAG_SOURCE_PATH: file },
    });
    try {
      const maths = createApp({ logger: silentLogger(), metrics: createNullMetrics(), scenarios });
      const fresh = await request(maths).get('/health/dependencies').expect(200);
      expect(fresh.body).toMatchObject({
        status: 'ok',
        dependencies: [{ name: 'scenarios', state: 'up', details: { file, sha256: null, on: [] } }],
      });
      writeFileSync(file, '{ "flags": ');
      const deadline = Date.now() + 10_000;
      let body: { status?: string; dependencies?: { error?: string }[] } = {};
      while (body.status !== 'degraded' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        body = (await request(maths).get('/health/dependencies').expect(200)).body as typeof body;
      }
      expect(body).toMatchObject({
        status: 'degraded',
        dependencies: [{ name: 'scenarios', state: 'down', details: { file, on: [] } }],
      });
      expect(body.dependencies![0]!.error).toContain(`${file} is not JSON`);
      await request(maths).get('/add?x=1&y=1').expect(200, '2\n');
    } finally {
      await scenarios.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);
});
