import express from 'express';
import request from 'supertest';
import { errorHandler, requestLogger } from '../src/express';
import { capturingLogger } from '../src/testing/capturing-logger';
import {
  currentTrace,
  formatTraceparent,
  outgoingTraceHeaders,
  parseTraceparent,
  traceContext,
} from '../src/trace-context';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe('parseTraceparent', () => {
  it('when the header is valid, then its trace id, parent id and sampled flag are read', () => {
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-01`)).toEqual({
      traceId: TRACE,
      parentId: PARENT,
      sampled: true,
    });
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-00`)?.sampled).toBe(false);
  });

  it('when a later version adds fields, then the known ones are still read', () => {
    expect(parseTraceparent(`01-${TRACE}-${PARENT}-03-more`)?.traceId).toBe(TRACE);
  });

  it.each([
    ['missing', undefined],
    ['two headers', [`00-${TRACE}-${PARENT}-01`, `00-${TRACE}-${PARENT}-01`]],
    ['garbage', 'hello'],
    ['upper-case hex', `00-${TRACE.toUpperCase()}-${PARENT}-01`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['an all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE}-${PARENT}-01`],
    ['version 00 with more after it', `00-${TRACE}-${PARENT}-01-x`],
    ['a short trace id', `00-${TRACE.slice(1)}-${PARENT}-01`],
  ])('when the header is %s, then it is ignored', (_what, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });
});

function tracedApp() {
  const { lines, logger } = capturingLogger();
  const app = express();
  app.use(traceContext());
  app.use(requestLogger(logger));
  app.get('/work', async (_req, res) => {
    // After an await, still inside the request: AsyncLocalStorage follows it.
    await new Promise((r) => setTimeout(r, 5));
    logger.info('working');
    res.json({ ids: currentTrace(), outgoing: outgoingTraceHeaders() });
  });
  app.get('/fail', () => {
    throw new Error('boom');
  });
  app.use(errorHandler(logger));
  return { app, lines, logger };
}

const byMsg = (lines: Record<string, unknown>[], msg: string) => lines.find((l) => l.msg === msg);
const settle = () => new Promise((r) => setImmediate(r));

describe('traceContext', () => {
  it('when the caller sends a valid traceparent, then the trace continues with a span of our own, in the header, the logs and outgoing calls', async () => {
    const { app, lines } = tracedApp();
    const res = await request(app)
      .get('/work')
      .set('traceparent', `00-${TRACE}-${PARENT}-01`)
      .expect(200);
    const { ids, outgoing } = res.body as {
      ids: { traceId: string; spanId: string; sampled: boolean };
      outgoing: Record<string, string>;
    };
    expect(ids.traceId).toBe(TRACE);
    expect(ids.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(ids.spanId).not.toBe(PARENT);
    expect(ids.sampled).toBe(true);
    expect(res.headers.traceresponse).toBe(`00-${TRACE}-${ids.spanId}-01`);
    // The next service's parent is this service's span.
    expect(outgoing).toEqual({ traceparent: `00-${TRACE}-${ids.spanId}-01` });
    await settle();
    for (const msg of ['working', 'request']) {
      expect(byMsg(lines, msg)).toMatchObject({ trace_id: TRACE, span_id: ids.spanId });
    }
  });

  it('when the caller sends none or an invalid one, then a new trace starts, and each request gets its own', async () => {
    const { app } = tracedApp();
    const a = await request(app).get('/work').set('traceparent', 'nonsense').expect(200);
    const b = await request(app).get('/work').expect(200);
    const idA = (a.body as { ids: { traceId: string } }).ids.traceId;
    const idB = (b.body as { ids: { traceId: string } }).ids.traceId;
    expect(idA).toMatch(/^[0-9a-f]{32}$/);
    expect(idB).toMatch(/^[0-9a-f]{32}$/);
    expect(idA).not.toBe(idB);
    expect(a.headers.traceresponse).toMatch(new RegExp(`^00-${idA}-[0-9a-f]{16}-00$`));
  });

  it('when a route fails, then the error line carries the trace id the client got back', async () => {
    const { app, lines } = tracedApp();
    const res = await request(app).get('/fail').expect(500);
    const header = parseTraceparent(res.headers.traceresponse);
    expect(header).toBeDefined();
    await settle();
    expect(byMsg(lines, 'unhandled error')).toMatchObject({ trace_id: header?.traceId });
  });

  it('when a line is written outside any request, then it has no trace fields', () => {
    const { lines, logger } = capturingLogger();
    logger.info('start-up');
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(outgoingTraceHeaders()).toEqual({});
  });

  it('when formatted, then the ids read back the same', () => {
    const ids = { traceId: TRACE, spanId: PARENT, sampled: false };
    expect(parseTraceparent(formatTraceparent(ids))).toEqual({
      traceId: TRACE,
      parentId: PARENT,
      sampled: false,
    });
  });
});
