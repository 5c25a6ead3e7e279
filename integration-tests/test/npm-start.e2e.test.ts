import { freePort } from '@friendly-calculator/common/testing';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../src/stack';

// Issue 28 items 1 and 2, as a newcomer meets them: `npm start` for real
// (scripts/start.mjs, a child process, on free ports), its banner read, then
// `npm run scenario` switching what the page really does, and `git status`
// showing no tracked file changed after any switch (on, off, off --all, and
// a scenario that ends by its time with no command).

const ROOT = repoRoot();
const RUNTIME_FILE = join(ROOT, 'flags', 'runtime.flagd.json');
const TRACKED_FILE = join(ROOT, 'flags', 'scenarios.flagd.json');
const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' });
const run = promisify(execFile);

/** What the page says once maths sleeps 1 s (docs/scenarios.md quotes it). */
const SLOW_TEXT = 'No results this time: maths did not answer within 1000 ms.';
const ERROR_TEXT = 'No results this time: maths answered with status 500.';

/** Polls `check` until it answers something truthy, or fails with `what` after `ms`. */
async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

type Ports = { maths: number; greetings: number; page: number };

/** `npm start` (scripts/start.mjs) on free ports, `extra` added to a clean environment; answers once its banner is out. */
async function startCalculator(extra: Record<string, string> = {}) {
  const ports: Ports = {
    maths: await freePort(),
    greetings: await freePort(),
    page: await freePort(),
  };
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const name of [
    'ADMIN_TOKEN',
    'REDIS_URL',
    'FLAGD_RESOLVER',
    'FLAGD_OFFLINE_FLAG_SOURCE_PATH',
    'PUBLIC_URL',
    'TRUST_PROXY',
    'GREETINGS_PUBLIC_URL',
    'FORCE_COLOR',
  ])
    delete env[name];
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'start.mjs')], {
    cwd: ROOT,
    env: {
      ...env,
      MATHS_PORT: String(ports.maths),
      GREETINGS_PORT: String(ports.greetings),
      AWESOME_APP_PORT: String(ports.page),
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started = {
    child,
    ports,
    output: '',
    exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))),
    url: (service: keyof Ports, path: string) => `http://localhost:${ports[service]}${path}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return started.exited;
    },
  };
  child.stdout.on('data', (chunk: Buffer) => (started.output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (started.output += chunk.toString()));
  try {
    await until(
      'the banner',
      () => {
        if (child.exitCode !== null) throw new Error(`npm start exited:\n${started.output}`);
        return started.output.includes('Ctrl-C stops all three.');
      },
      45_000,
    );
  } catch (error) {
    await started.stop();
    throw error;
  }
  return started;
}

describe('npm start, its banner, and the scenario switch against it', () => {
  let calculator: Awaited<ReturnType<typeof startCalculator>>;
  let savedRuntime: string | undefined;
  let statusBefore: string;
  const url = (service: keyof Ports, path: string) => calculator.url(service, path);

  /** `npm run scenario -- …` as a presenter types it, told where this npm start's services are. */
  async function scenario(...args: string[]) {
    const { stdout } = await run('npm', ['run', '--silent', 'scenario', '--', ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        MATHS_URL: url('maths', ''),
        GREETINGS_URL: url('greetings', ''),
        FLAGD_OFFLINE_FLAG_SOURCE_PATH: '',
        GRAPHITE_URL: '',
      },
    });
    // Not one tracked file changed, whatever was switched.
    expect(git('status', '--porcelain')).toBe(statusBefore);
    return stdout;
  }

  /** One visit to the page: how long it took and what it said. */
  async function visit() {
    const started = performance.now();
    const res = await fetch(url('page', '/Ann/1/2'));
    const text = await res.text();
    return { status: res.status, ms: performance.now() - started, text };
  }

  beforeAll(async () => {
    savedRuntime = existsSync(RUNTIME_FILE) ? readFileSync(RUNTIME_FILE, 'utf8') : undefined;
    rmSync(RUNTIME_FILE, { force: true });
    statusBefore = git('status', '--porcelain');
    calculator = await startCalculator();
  }, 60_000);

  afterAll(async () => {
    await calculator?.stop();
    rmSync(RUNTIME_FILE, { force: true });
    if (savedRuntime !== undefined) writeFileSync(RUNTIME_FILE, savedRuntime);
  }, 30_000);

  it('when it is up, then the banner says the scenarios are read and from which file, one sign-in link and the URLs', async () => {
    const { output, ports } = calculator;
    const banner = output.slice(output.indexOf('the friendly calculator is up'));
    expect(banner).toContain(`open http://localhost:${ports.page}/Bob/1/1`);
    expect(banner).toContain(`the form:  http://localhost:${ports.page}\n`);
    expect(banner).toContain(`maths:     http://localhost:${ports.maths}/add?x=1&y=1`);
    expect(banner).toContain(`greetings: http://localhost:${ports.greetings}/stats`);
    expect(banner).toContain(
      `API:       http://localhost:${ports.maths}/docs/ and http://localhost:${ports.greetings}/docs/`,
    );
    expect(banner).toMatch(
      /scenarios: read from flags\/runtime\.flagd\.json, switched by `MATHS_URL=\S+ GREETINGS_URL=\S+ npm run scenario -- on mathsSlow 1s`/,
    );
    // Exactly one sign-in link, and it signs in.
    const links = [...output.matchAll(/http:\/\/localhost:\d+\/admin\/sign-in\?token=(\S+)/g)];
    expect(links).toHaveLength(1);
    expect(links[0]![0]).toContain(`localhost:${ports.greetings}/`);
    const signIn = await fetch(links[0]![0], { redirect: 'manual' });
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get('location')).toBe('/admin');
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const admin = await fetch(url('greetings', '/admin'), { headers: { cookie } });
    expect(admin.status).toBe(200);
    // Every URL it prints answers.
    expect((await fetch(url('maths', '/add?x=1&y=1'))).status).toBe(200);
    expect((await fetch(url('greetings', '/stats'))).status).toBe(200);
    const page = await visit();
    expect(page.status).toBe(200);
    expect(page.text).toContain('1 + 2 = 3');
    expect(page.text).not.toContain('No results this time');
  });

  it('when a scenario is switched on, off, off --all or runs out, then the page follows and git status stays clean', async () => {
    // on: read by both services, the page waits for maths and says so.
    const on = await scenario('on', 'mathsSlow', '1s', '--for', '1m');
    expect(on).toMatch(/^mathsSlow 1s on, until .*\n {2}read by maths and greetings\n$/);
    const slow = await until('the slow page', async () => {
      const v = await visit();
      return v.text.includes(SLOW_TEXT) ? v : undefined;
    });
    expect(slow.ms).toBeGreaterThanOrEqual(900);
    // docs/scenarios.md step 3 under npm start: `grep scenario calculator.log`.
    await until('the log line', () =>
      /\[maths\] +\S+ WARN +scenario mathsSlow 1s on/.test(calculator.output),
    );

    // off: the page answers again.
    expect(await scenario('off', 'mathsSlow')).toMatch(/^mathsSlow off\n {2}read by maths/);
    await until('the page answering again', async () => (await visit()).text.includes('1 + 2 = 3'));

    // Another kind: every maths call fails, until off --all.
    await scenario('on', 'mathsErrors', '100%', '--for', '0');
    await until('the failing page', async () => (await visit()).text.includes(ERROR_TEXT));
    expect(await scenario('off', '--all')).toBe(
      'mathsErrors off\nevery scenario off\n  read by maths and greetings\n',
    );
    await until('the page answering again', async () => (await visit()).text.includes('1 + 2 = 3'));

    // --for: it ends by itself, no command; the tree is still clean after.
    await scenario('on', 'mathsSlow', '1s', '--for', '3s');
    await until('the slow page', async () => (await visit()).text.includes(SLOW_TEXT));
    await until('the scenario to run out', async () => {
      const v = await visit();
      return v.text.includes('1 + 2 = 3') && v.ms < 900;
    });
    expect(git('status', '--porcelain')).toBe(statusBefore);
    expect(git('check-ignore', RUNTIME_FILE).trim()).not.toBe('');
    expect(git('diff', '--quiet', '--', TRACKED_FILE)).toBe('');
    expect(await scenario('list')).toMatch(/mathsSlow +off/);
  }, 50_000);

  it('when it gets SIGTERM, then all three stop and it exits 0', async () => {
    expect(await calculator.stop()).toBe(0);
    expect(calculator.output).toContain('all stopped.');
  }, 30_000);
});

describe('npm start for a room (docs/presenting.md): PUBLIC_URL', () => {
  let calculator: Awaited<ReturnType<typeof startCalculator>>;
  let publicUrl: string;
  beforeAll(async () => {
    // The laptop's address on the venue's network; here this machine's loopback by its number.
    const page = await freePort();
    publicUrl = `http://127.0.0.1:${page}`;
    calculator = await startCalculator({ AWESOME_APP_PORT: String(page), PUBLIC_URL: publicUrl });
  }, 60_000);
  afterAll(async () => {
    await calculator?.stop();
  }, 30_000);

  it('when PUBLIC_URL is set, then the banner names /present and /join there, and a phone joins, sees its greeting and likes it through the page', async () => {
    expect(calculator.output).toContain(
      `presenting: ${publicUrl}/present on the projector, phones join at ${publicUrl}/join (docs/presenting.md)`,
    );
    const present = await (await fetch(`${publicUrl}/present`)).text();
    const joinUrl = /id="join-url"[^>]*>(.*?)<\/p>/s.exec(present)?.[1]?.replace(/<[^>]+>/g, '');
    expect(joinUrl).toBe(`${publicUrl}/join`);
    expect(present).toContain('id="join-qr"');
    expect((await fetch(`${publicUrl}/join`)).status).toBe(200);

    // The form's answer, then the Like: posted to awesome-app itself, passed on to greetings.
    const form = await fetch(`${publicUrl}/calculate?name=Zoe&x=3&y=4`, { redirect: 'manual' });
    expect(form.headers.get('location')).toBe('/Zoe/3/4');
    const page = await (await fetch(`${publicUrl}/Zoe/3/4`)).text();
    expect(page).toContain('<form class="like" method="post" action="/like_greeting">');
    const impression = /name="impression" value="([^"]+)"/.exec(page)![1]!;
    const like = await fetch(`${publicUrl}/like_greeting`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: publicUrl },
      body: new URLSearchParams({ impression, return_to: '/Zoe/3/4' }),
    });
    expect(like.status).toBe(303);
    expect(like.headers.get('location')).toBe(`/Zoe/3/4?like=${impression}`);
    const stats = (await (await fetch(calculator.url('greetings', '/stats'))).json()) as {
      variants: { liked: number }[];
    };
    expect(stats.variants.reduce((sum, v) => sum + v.liked, 0)).toBe(1);
  });
});
