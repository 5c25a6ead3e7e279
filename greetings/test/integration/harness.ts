import {
  createNullMetrics,
  silentLogger,
  type Logger,
  type Metrics,
} from '@friendly-calculator/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { buildGreetings } from '../../src/compose';
import { loadGreetingsConfig } from '../../src/config';
import type { Random } from '../../src/bandit/random';
import type { PhaseDefinition } from '../../src/experiment/phase';

/** A real greetings app (as server.ts builds it) on the given store settings. */
export function greetingsApp(
  env: Record<string, string | undefined> = {},
  options: { metrics?: Metrics; random?: Random; logger?: Logger } = {},
) {
  return buildGreetings(loadGreetingsConfig({ AWESOME_APP_URL: 'http://localhost:5000', ...env }), {
    logger: options.logger ?? silentLogger(),
    metrics: options.metrics ?? createNullMetrics(),
    ...(options.random ? { random: options.random } : {}),
  });
}

/** Polls until `check` passes or `timeoutMs` runs out. */
export async function eventually(check: () => Promise<void>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Phase 1 as the store tests write it themselves: hello and howdy, epsilon-greedy at 0.1. */
export function phaseOne(startedAt: string): PhaseDefinition {
  return {
    phase: 1,
    policy: 'epsilon-greedy',
    epsilon: 0.1,
    variants: [
      { name: 'hello', template: 'Hello {name}' },
      { name: 'howdy', template: 'Howdy {name}' },
    ],
    startedAt,
  };
}

/** Until the app's Redis connections (the store's, the sessions' and limits') answer: readiness does not wait for them. */
export async function connected(greetings: ReturnType<typeof greetingsApp>): Promise<void> {
  await eventually(async () => {
    await greetings.store.ping();
    await greetings.guards.ping();
  });
}

/** Empties the test's throwaway Redis (never the machine's): each test starts from nothing. */
export async function emptyRedis(url: string): Promise<void> {
  const client = new Redis(url);
  await client.flushall();
  await client.quit();
}

/** An empty Redis, then a greetings app on `env` (in memory or on that Redis), connected. */
export async function freshGreetings(
  redisUrl: string,
  env: Record<string, string | undefined> = {},
  options: Parameters<typeof greetingsApp>[1] = {},
): Promise<ReturnType<typeof greetingsApp>> {
  await emptyRedis(redisUrl);
  const greetings = greetingsApp(env, options);
  await connected(greetings);
  return greetings;
}

/**
 * A greetings app listening on a free port of 127.0.0.1, with that address
 * as its public URL (GREETINGS_PUBLIC_URL, unless `env` says otherwise): so
 * Host and Origin are what a browser there would send.
 */
export async function listeningGreetings(
  env: Record<string, string | undefined> = {},
  options: Parameters<typeof greetingsApp>[1] = {},
): Promise<{
  greetings: ReturnType<typeof greetingsApp>;
  server: Server;
  origin: string;
  close(): Promise<void>;
}> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const greetings = greetingsApp({ GREETINGS_PUBLIC_URL: origin, ...env }, options);
  server.on('request', greetings.app);
  await connected(greetings);
  return {
    greetings,
    server,
    origin,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await greetings.close();
    },
  };
}
