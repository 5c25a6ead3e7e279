import {
  createNullMetrics,
  fixedScenarios,
  silentLogger,
  type ScenarioState,
} from '@friendly-calculator/common';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { runScenario } from '../../../common/src/bin/scenario';
import { buildGreetings } from '../../../greetings/src/compose';
import { loadGreetingsConfig } from '../../../greetings/src/config';
import { createApp as createMathsApp } from '../../../maths/src/app';
import { createApp } from '../../src/app';
import { createGreetingsClient } from '../../src/clients/greetings';
import { createMathsClient } from '../../src/clients/maths';
import { createUpstream, type Upstream } from '../../src/clients/upstream';
import { listen, type TestServer } from '../servers';

// Issue 28 item 3: what docs/scenarios.md quotes is what the running system
// shows. Each row of its "what each scenario leaves behind" table is played
// against the real maths, greetings and page (real HTTP, in this process)
// with that scenario on, and every text the row's page column quotes must be
// on the page; every `npm run scenario` command the page gives must run.

const ROOT = join(__dirname, '..', '..', '..');
const DOC = readFileSync(join(ROOT, 'docs', 'scenarios.md'), 'utf8');
const APP_URL = 'http://app.test:5000';
/** The page's default deadline for maths and greetings (UPSTREAM_TIMEOUT_MS), which the docs quote. */
const TIMEOUT_MS = 1000;

interface Row {
  flag: string;
  variant: string;
  quoted: string[];
}

/** The table's rows: | `mathsSlow 1s` | page | dashboard | … */
const rows: Row[] = DOC.split('\n')
  .filter((line) => /^\| `\w+ [^`]+` \|/.test(line))
  .map((line) => {
    const [scenario = '', pageColumn = ''] = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    const [flag = '', variant = ''] = scenario.replaceAll('`', '').split(' ');
    return { flag, variant, quoted: [...pageColumn.matchAll(/"([^"]+)"/g)].map((m) => m[1]!) };
  });

/** The page's visible text, tags dropped and entities read, spaces collapsed. */
const visible = (html: string) =>
  html
    .replace(/<(script|style)[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replaceAll('&#39;', "'")
    .replaceAll('&quot;', '"')
    .replaceAll('&amp;', '&')
    .replace(/\s+/g, ' ');

/** A scenario as the services see it; a share is 1, so this visit is one that fails. */
function state(flag: string, variant: string): ScenarioState {
  const match = /^(\d+)(ms|s|%)$/.exec(variant)!;
  const n = Number(match[1]);
  const value = match[2] === '%' ? 1 : match[2] === 's' ? n * 1000 : n;
  return { flag, variant, value };
}

describe('docs/scenarios.md says what the running system shows', () => {
  const servers: TestServer[] = [];
  const closing: (() => Promise<void>)[] = [];
  const upstreams: Upstream[] = [];
  afterEach(async () => {
    await Promise.all(upstreams.splice(0).map((u) => u.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await Promise.all(closing.splice(0).map((close) => close()));
  });

  async function system(on: ScenarioState) {
    const logger = silentLogger();
    const metrics = createNullMetrics();
    const scenarios = fixedScenarios([on]);
    const maths = await listen(createMathsApp({ logger, metrics, scenarios, random: () => 0 }));
    const built = buildGreetings(loadGreetingsConfig({ AWESOME_APP_URL: APP_URL }), {
      logger,
      metrics,
      scenarios,
    });
    const greetings = await listen(built.app);
    servers.push(maths, greetings);
    closing.push(() => built.close());
    const upstream = (name: string, baseUrl: string) => {
      const u = createUpstream({ name, baseUrl, timeoutMs: TIMEOUT_MS, metrics });
      upstreams.push(u);
      return u;
    };
    const page = createApp({
      greetings: createGreetingsClient(upstream('greetings', greetings.url)),
      maths: createMathsClient(upstream('maths', maths.url)),
      logger,
      metrics,
      greetingsPublicUrl: greetings.url,
      dependencyTimeoutMs: TIMEOUT_MS + 200,
    });
    return { page, greetings };
  }

  it('the table has a row for each scenario, and each row quotes the page', () => {
    expect(rows.map((r) => r.flag).sort()).toEqual(
      ['greetingsLikeErrors', 'greetingsStoreSlow', 'mathsErrors', 'mathsSlow'].sort(),
    );
    for (const row of rows) expect(row.quoted).not.toEqual([]);
  });

  it.each(rows.map((r) => [`${r.flag} ${r.variant}`, r] as const))(
    'when %s is on, then the page shows what the table quotes',
    async (_name, row) => {
      const { page, greetings } = await system(state(row.flag, row.variant));
      let shown = await request(page).get('/Ann/1/2').expect(200);
      if (row.flag === 'greetingsLikeErrors') {
        // The visitor likes the greeting (the browser's form post), and is sent back.
        const hidden = (field: string) =>
          new RegExp(`name="${field}" value="([^"]*)"`).exec(shown.text)?.[1];
        const liked = await request(greetings.url)
          .post('/like_greeting')
          .type('form')
          .set('Referer', `${APP_URL}/`)
          .send({ impression: hidden('impression'), return_to: hidden('return_to') });
        const back = new URL(String(liked.headers.location), APP_URL);
        shown = await request(page)
          .get(back.pathname + back.search)
          .expect(200);
      }
      const text = visible(shown.text);
      for (const quote of row.quoted)
        for (const piece of quote
          .split('…')
          .map((p) => p.trim())
          .filter(Boolean))
          expect(text).toContain(piece);
    },
    20_000,
  );

  it('every `npm run scenario` command it gives runs (exit 0), in order, on a copy of the flags', async () => {
    const commands = [...DOC.matchAll(/npm run scenario -- ([^`\n#]+)/g)]
      .map((m) => m[1]!.trim())
      .filter((c) => !c.includes('<'));
    expect(commands.length).toBeGreaterThanOrEqual(8);
    const dir = mkdtempSync(join(tmpdir(), 'docs-scenario-'));
    const file = join(dir, 'runtime.flagd.json');
    copyFileSync(join(ROOT, 'flags', 'scenarios.flagd.json'), file);
    try {
      for (const command of commands) {
        const out: string[] = [];
        const code = await runScenario(command.split(/\s+/), {
          env: { FLAGD_OFFLINE_FLAG_SOURCE_PATH: file },
          out: (l) => out.push(l),
          events: async () => false,
          readers: async () => ['maths'],
        });
        expect({ command, code, out }).toEqual({ command, code: 0, out });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
