import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer, type Socket } from 'node:net';

export interface TestServer {
  url: string;
  /** How many TCP connections clients opened (keep-alive reuses one). */
  connections(): number;
  close(): Promise<void>;
}

/** A real HTTP server on a free port, for any request listener (an Express app, say). */
export async function listen(handler: RequestListener): Promise<TestServer> {
  const server: Server = createServer(handler);
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface HangingServer extends TestServer {
  /** Settles when the socket that carried the first request closes; undefined before any request. */
  firstRequestClosed(): Promise<void> | undefined;
}

/** Accepts every connection and never answers a single byte: the worst kind of "slow". */
export async function listenAndHang(): Promise<HangingServer> {
  const sockets = new Set<Socket>();
  let firstRequestClosed: Promise<void> | undefined;
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', () => {
      firstRequestClosed ??= new Promise((resolve) => socket.once('close', () => resolve()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => sockets.size,
    firstRequestClosed: () => firstRequestClosed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
