import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, type ServiceName } from '../src/stack';

// A bad URL-ish variable stops a service with one fatal line naming it. That
// line must never carry the value's credentials, whether the value parses as
// a URL or not (seen before: `REDIS_URL='redis://:pw@127.0.0.1:6390 x'` was
// printed whole, password included).

/** Starts a built service with `env` and answers what it printed and its exit code. */
function start(service: ServiceName, env: Record<string, string>) {
  const child = spawn(process.execPath, [join(repoRoot(), service, 'dist', 'server.js')], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise<{ code: number | null; output: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, output })),
  );
}

it.each<[ServiceName, string, string]>([
  ['greetings', 'REDIS_URL', 'redis://:pw@127.0.0.1:6390 x'],
  ['greetings', 'REDIS_URL', 'redis://default:pw@127.0.0.1:99999'],
  ['greetings', 'GRAPHITE_URL', 'http://admin:pw@graphite :8080'],
  ['greetings', 'AWESOME_APP_URL', 'ftp://u:pw@awesome-app'],
  ['awesome-app', 'GREETINGS_URL', 'http://u:pw@greetings:5002 x'],
  ['awesome-app', 'MATHS_URL', 'http://u:pw@maths:5001 x'],
  ['awesome-app', 'GREETINGS_PUBLIC_URL', 'http://u:pw@[::1'],
  ['awesome-app', 'GRAFANA_URL', 'grafana?token=pw'],
  ['awesome-app', 'GRAPHITE_URL', 'http://u:pw@graphite:8080 x'],
  ['awesome-app', 'TRACES_URL', 'http://u:pw@jaeger:16686/trace/'],
  ['maths', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'http://u:pw@collector:4318'],
])(
  'when %s starts with %s=%j, then it stops with one fatal line that names the variable and hides the password',
  async (service, name, value) => {
    const env: Record<string, string> = { [name]: value };
    if (name === 'OTEL_EXPORTER_OTLP_PROTOCOL')
      env.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://127.0.0.1:9';
    const { code, output } = await start(service, env);
    expect(code).toBe(1);
    const fatal = output
      .trim()
      .split('\n')
      .filter((l) => /"level":"fatal"/.test(l));
    expect(fatal).toHaveLength(1);
    expect(JSON.parse(fatal[0]!)).toMatchObject({ service, msg: expect.stringContaining(name) });
    expect(fatal[0]).toContain('***');
    expect(output).not.toContain('pw');
  },
);
