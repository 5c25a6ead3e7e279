import { connect } from 'node:net';
import { startRedisServer } from '../src/testing';

function ping(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().trim());
    });
    socket.once('error', reject);
  });
}

describe('startRedisServer', () => {
  it('when started, then a real redis answers on its own free port; kill and restart work', async () => {
    const redis = await startRedisServer();
    try {
      expect(redis.port).not.toBe(6379);
      expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
      await expect(ping(redis.port)).resolves.toBe('+PONG');
      await redis.kill();
      await expect(ping(redis.port)).rejects.toThrow(/ECONNREFUSED/);
      await redis.restart();
      await expect(ping(redis.port)).resolves.toBe('+PONG');
    } finally {
      await redis.stop();
    }
  });

  it('when the binary is missing, then the error says what to install', async () => {
    await expect(startRedisServer({ binary: 'no-such-redis-server' })).rejects.toThrow(
      /apt-get install redis-server/,
    );
  });
});
