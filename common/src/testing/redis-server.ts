import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';

/**
 * A throwaway `redis-server` for tests and benchmarks: its own free port, no
 * persistence unless asked, never the shared Redis on 6379. A missing binary
 * is a clear failure (install Debian's `redis-server`), never a skip.
 */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Kill it (SIGKILL): Redis "dies". */
  kill(): Promise<void>;
  /** Start it again on the same port (after `kill`). */
  restart(): Promise<void>;
  /** SIGSTOP: Redis hangs (its connections stay open, nothing answers), until `resume`. */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  /** Stop it for good. */
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** Extra `redis-server` arguments, e.g. `['--appendonly', 'yes', '--dir', dir]`. */
  args?: readonly string[];
  binary?: string;
  /** Listen here (default: a free port). */
  port?: number;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** Someone else's server answered on the port this one was to take. */
class PortTaken extends Error {}

/**
 * Asks `INFO server` over a raw socket until the server answers, and checks
 * it is this child that answers: between `freePort()` and the bind, another
 * process (another test run) may have taken the port, and its Redis would
 * answer a PING just as well.
 */
async function waitForOwnServer(
  port: number,
  deadline: number,
  child: ChildProcess,
): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const pid = await new Promise<number | undefined>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let answer = '';
      socket.setTimeout(200);
      socket.once('connect', () => socket.write('INFO server\r\n'));
      socket.on('data', (data) => {
        answer += data.toString();
        const found = /process_id:(\d+)/.exec(answer);
        if (found) {
          socket.destroy();
          resolve(Number(found[1]));
        }
      });
      socket.once('error', () => resolve(undefined));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(undefined);
      });
    });
    if (pid === child.pid) return;
    if (pid !== undefined)
      throw new PortTaken(`port ${port} is another process' Redis (pid ${pid})`);
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = options.binary ?? process.env.REDIS_SERVER_BIN ?? 'redis-server';
  let port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ];
    const proc = spawn(binary, [...args, ...(options.args ?? [])], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = proc;
    const spawned = new Promise<void>((resolve, reject) => {
      proc.once('spawn', resolve);
      proc.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'ENOENT'
            ? new Error(
                `'${binary}' was not found: install Debian's redis-server package (apt-get install redis-server)`,
              )
            : error,
        ),
      );
    });
    await spawned;
    await waitForOwnServer(port, Date.now() + 10_000, proc);
  };

  const kill = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await exited;
  };
  const signal = (name: NodeJS.Signals) => {
    if (!child) throw new Error(`redis-server on port ${port} is not running`);
    child.kill(name);
  };

  for (let attempt = 1; ; attempt++) {
    try {
      await launch();
      break;
    } catch (error) {
      // Taken under our feet: our child cannot bind it; try another free port.
      if (!(error instanceof PortTaken) || options.port !== undefined || attempt === 5) {
        await kill();
        throw error;
      }
      await kill();
      port = await freePort();
    }
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    stop: kill,
  };
}
