import express from 'express';

/**
 * The benchmark's ceiling: a bare Express "hello" server. Same framework,
 * same machine, same load; no upstream calls, no Redis, no metrics, no logs.
 */
const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.get('/', (_req, res) => {
  res.type('text/plain').send('hello');
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === 'object' ? address?.port : 0 })}\n`,
  );
});
server.keepAliveTimeout = 65_000;
process.on('SIGTERM', () => server.close(() => process.exit(0)));
