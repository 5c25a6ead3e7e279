import { execSync } from 'node:child_process';
import { startLocalStack, type LocalStack } from './stack';

/**
 * What the browser suite runs against: by default a local stack it starts
 * itself; with `BASE_URL` set, a system that is already running (the Docker
 * stack in `npm run test:docker`). Stopping and starting greetings then goes
 * through the shell commands in `E2E_STOP_GREETINGS` / `E2E_START_GREETINGS`.
 */
export interface Target {
  appUrl: string;
  greetingsUrl: string;
  stopGreetings(): Promise<void>;
  startGreetings(): Promise<void>;
  close(): Promise<void>;
}

export async function startTarget(): Promise<Target> {
  const base = process.env.BASE_URL;
  if (base) {
    const run = (variable: string) => {
      const command = process.env[variable];
      if (!command)
        throw new Error(
          `BASE_URL is set, so ${variable} must say how to do that (a shell command)`,
        );
      return () => {
        execSync(command, { stdio: 'inherit' });
        return Promise.resolve();
      };
    };
    return {
      appUrl: base.replace(/\/+$/, ''),
      greetingsUrl: (process.env.GREETINGS_PUBLIC_URL ?? 'http://localhost:5002').replace(
        /\/+$/,
        '',
      ),
      stopGreetings: () => run('E2E_STOP_GREETINGS')(),
      startGreetings: () => run('E2E_START_GREETINGS')(),
      close: () => Promise.resolve(),
    };
  }
  const stack: LocalStack = await startLocalStack();
  return {
    appUrl: stack.urls['awesome-app'],
    greetingsUrl: stack.urls.greetings,
    stopGreetings: () => stack.stopService('greetings'),
    startGreetings: () => stack.startService('greetings'),
    close: () => stack.stop(),
  };
}
