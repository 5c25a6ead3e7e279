import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScenario } from '../src/bin/scenario';
import type { GraphiteEvent } from '../src/graphite-events';
import { flagStatus, parseDuration, readFlagFile } from '../src/scenario-file';

const FLAGS = join(__dirname, '..', '..', 'flags', 'scenarios.flagd.json');
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('npm run scenario', () => {
  let dir: string;
  let file: string;
  let lines: string[];
  let events: GraphiteEvent[];
  const run = (...args: string[]) =>
    runScenario(args, {
      env: { FLAGD_OFFLINE_FLAG_SOURCE_PATH: file },
      out: (line) => lines.push(line),
      now: () => NOW,
      events: async (event) => {
        events.push(event);
        return true;
      },
      readers: async () => ['maths'],
    });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'scenario-'));
    file = join(dir, 'scenarios.flagd.json');
    copyFileSync(FLAGS, file);
    lines = [];
    events = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the flag file ships with the three scenarios, every one off, in flagd format', () => {
    const doc = readFlagFile(FLAGS);
    expect(doc.$schema).toBe('https://flagd.dev/schema/v0/flags.json');
    expect(Object.keys(doc.flags)).toEqual(
      expect.arrayContaining(['mathsSlow', 'mathsErrors', 'greetingsStoreSlow']),
    );
    expect(Object.keys(doc.flags.mathsSlow!.variants)).toEqual(['off', '200ms', '1s', '3s']);
    expect(Object.keys(doc.flags.mathsErrors!.variants)).toEqual(['off', '10%', '50%', '100%']);
    expect(Object.keys(doc.flags.greetingsStoreSlow!.variants)).toEqual(['off', '200ms', '2s']);
    for (const flag of Object.values(doc.flags)) {
      expect(flag.defaultVariant).toBe('off');
      expect(flag.targeting).toBeUndefined();
    }
  });

  it('when switched on with a variant for 30s, then flagd targeting serves it until then, and an event is posted', async () => {
    expect(await run('on', 'mathsSlow', '1s', '--for', '30s')).toBe(0);
    const doc = readFlagFile(file);
    expect(doc.flags.mathsSlow).toMatchObject({
      defaultVariant: 'off',
      targeting: { if: [{ '<': [{ var: '$flagd.timestamp' }, NOW / 1000 + 30] }, '1s', 'off'] },
    });
    expect(flagStatus(doc, 'mathsSlow', NOW / 1000 + 29).variant).toBe('1s');
    expect(flagStatus(doc, 'mathsSlow', NOW / 1000 + 30).variant).toBe('off');
    expect(lines).toEqual(['mathsSlow 1s on, until 2026-01-01T12:00:30Z', '  read by maths']);
    expect(events).toEqual([
      expect.objectContaining({ what: 'mathsSlow 1s on', tags: ['scenario', 'mathsSlow', 'on'] }),
    ]);
    // Written in one step: no temporary file left beside it.
    expect(readdirSync(dir)).toEqual(['scenarios.flagd.json']);
  });

  it('when switched on with no variant or time, then the mildest variant for 10 minutes; --for 0 is until off', async () => {
    expect(await run('on', 'greetingsStoreSlow')).toBe(0);
    expect(flagStatus(readFlagFile(file), 'greetingsStoreSlow', NOW / 1000)).toMatchObject({
      variant: '200ms',
      until: NOW / 1000 + 600,
    });
    expect(await run('on', 'mathsErrors', '50%', '--for', '0')).toBe(0);
    const doc = readFlagFile(file);
    expect(doc.flags.mathsErrors).toMatchObject({ defaultVariant: '50%' });
    expect(doc.flags.mathsErrors!.targeting).toBeUndefined();
    expect(lines[2]).toBe('mathsErrors 50% on, until switched off');
  });

  it('lists each flag, its variants, what is on and until when', async () => {
    await run('on', 'mathsSlow', '3s', '--for', '1h');
    lines = [];
    expect(await run('list')).toBe(0);
    expect(lines.join('\n')).toMatch(
      /mathsSlow +ON 3s until 2026-01-01T13:00:00Z +variants: off, 200ms, 1s, 3s/,
    );
    expect(lines.join('\n')).toMatch(/mathsErrors +off +variants: off, 10%, 50%, 100%/);
  });

  it('when switched off (one, or --all), then the default is off again and an event says so', async () => {
    await run('on', 'mathsSlow', '1s');
    await run('on', 'mathsErrors', '10%', '--for', '0');
    events = [];
    expect(await run('off', 'mathsSlow')).toBe(0);
    expect(flagStatus(readFlagFile(file), 'mathsSlow', NOW / 1000).variant).toBe('off');
    expect(await run('off', '--all')).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(FLAGS, 'utf8'));
    expect(events.map((e) => e.what)).toEqual(['mathsSlow off', 'mathsErrors off']);
  });

  it('refuses an unknown flag, variant or duration with a clear message, exit 1, nothing written', async () => {
    const before = readFileSync(file, 'utf8');
    expect(await run('on', 'mathSlow')).toBe(1);
    expect(await run('on', 'mathsSlow', '5s')).toBe(1);
    expect(await run('on', 'mathsSlow', 'off')).toBe(1);
    expect(await run('on', 'mathsSlow', '1s', '--for', '10 minutes')).toBe(1);
    expect(await run('off', 'nope')).toBe(1);
    expect(lines).toEqual([
      expect.stringMatching(/Unknown flag "mathSlow": the flags are mathsSlow, mathsErrors/),
      expect.stringMatching(/Unknown variant "5s" of mathsSlow: choose one of 200ms, 1s, 3s/),
      expect.stringMatching(/Unknown variant "off" of mathsSlow/),
      expect.stringMatching(/--for "10 minutes": give a duration like 30s, 10m or 1h/),
      expect.stringMatching(/Unknown flag "nope"/),
    ]);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(events).toEqual([]);
    expect(await run('frobnicate')).toBe(2);
  });

  it('when asked for --help (or -h, help), then it prints the usage and exits 0', async () => {
    for (const help of ['--help', '-h', 'help']) {
      lines = [];
      expect(await run(help)).toBe(0);
      expect(lines.join('\n')).toMatch(/^usage: npm run scenario -- list\n/);
      expect(lines.join('\n')).toMatch(/flags\/runtime\.flagd\.json/);
    }
  });

  it('reads durations 30s, 10m, 1h and 0', () => {
    expect([
      parseDuration('30s'),
      parseDuration('10m'),
      parseDuration('1h'),
      parseDuration('0'),
    ]).toEqual([30, 600, 3600, 0]);
    expect(() => parseDuration('-1m')).toThrow(/give a duration/);
  });
});

describe('Graphite events from the switch (GRAPHITE_URL)', () => {
  let server: Server;
  let bodies: unknown[];
  beforeAll(async () => {
    bodies = [];
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        bodies.push({ path: req.url, method: req.method, body: JSON.parse(text) as unknown });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('posts {what, tags, data} to /events/, and a graphite that is down does not fail the switch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-'));
    const file = join(dir, 'f.json');
    copyFileSync(FLAGS, file);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const out: string[] = [];
    try {
      const env = { FLAGD_OFFLINE_FLAG_SOURCE_PATH: file, GRAPHITE_URL: url };
      const readers = async () => ['maths'];
      expect(
        await runScenario(['on', 'mathsSlow', '1s'], { env, out: (l) => out.push(l), readers }),
      ).toBe(0);
      expect(bodies).toEqual([
        {
          path: '/events/',
          method: 'POST',
          body: expect.objectContaining({
            what: 'mathsSlow 1s on',
            tags: ['scenario', 'mathsSlow', 'on'],
          }),
        },
      ]);
      expect(out).toEqual([
        'mathsSlow 1s on, until ' + out[0]!.split('until ')[1],
        '  read by maths',
      ]);
      // Graphite away (a port nothing listens on): one warning line, and the switch counts.
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((r) => closed.close(() => r()));
      const down = { ...env, GRAPHITE_URL: `http://127.0.0.1:${port}` };
      out.length = 0;
      expect(
        await runScenario(['off', 'mathsSlow'], { env: down, out: (l) => out.push(l), readers }),
      ).toBe(0);
      expect(out).toEqual([
        'mathsSlow off',
        expect.stringMatching(
          /^warning: the Graphite event was not posted \(GRAPHITE_URL=http:\/\/127\.0\.0\.1:\d+: fetch failed \(ECONNREFUSED\)\); the switch itself is done$/,
        ),
        '  read by maths',
      ]);
      expect(flagStatus(readFlagFile(file), 'mathsSlow', Date.now() / 1000).variant).toBe('off');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
