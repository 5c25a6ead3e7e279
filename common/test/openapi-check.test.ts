import express from 'express';
import supertest from 'supertest';
import { buildOpenApiDocument, errorAnswer, jsonAnswer, openApiHandler, z } from '../src/openapi';
import { checkEveryAnswer } from '../src/testing';
import { traceContext } from '../src/trace-context';

/** A document with one route, `GET /thing/{id}`: 200 `{ id: number }` or a 404 error. */
const document = buildOpenApiDocument({ title: 't', description: 'd', port: 1 }, [], (registry) => {
  registry.registerPath({
    method: 'get',
    path: '/thing/{id}',
    request: { params: z.object({ id: z.string() }) },
    responses: {
      200: jsonAnswer('A thing.', z.object({ id: z.number() }).strict()),
      404: errorAnswer('No such thing.'),
    },
  });
});

const app = express();
app.use(traceContext());
app.get('/openapi.json', openApiHandler(document));
app.get('/thing/good', (_req, res) => void res.json({ id: 1 }));
app.get('/thing/wrong-shape', (_req, res) => void res.json({ id: 'one' }));
app.get('/thing/extra-field', (_req, res) => void res.json({ id: 1, secret: true }));
app.get('/thing/wrong-status', (_req, res) => void res.status(409).json({ id: 1 }));
app.get('/thing/wrong-type', (_req, res) => void res.type('text/html').send('<p>1</p>'));
app.get('/thing/missing', (_req, res) => void res.status(404).json({ error: 'no', status: 404 }));
app.get('/elsewhere', (_req, res) => void res.json({}));
app.use((_req, res) => void res.status(404).type('text/plain').send('Not found\n'));

const request = checkEveryAnswer(supertest(app), document);

describe('checkEveryAnswer', () => {
  it('when an answer is as documented, then the request passes', async () => {
    await request.get('/thing/good').expect(200);
    await request.get('/thing/missing').expect(404);
    await request.get('/openapi.json').expect(200);
  });

  it.each([
    ['/thing/wrong-shape', /must be number/],
    ['/thing/extra-field', /must NOT have additional properties/],
    ['/thing/wrong-status', /status 409 is not documented for \/thing\/\{id\} \(200, 404\)/],
    ['/thing/wrong-type', /content type text\/html is not documented/],
    ['/elsewhere', /no path in the document matches \/elsewhere/],
  ])('when GET %s answers otherwise than documented, then the request fails', async (url, why) => {
    await expect(request.get(url)).rejects.toThrow(why);
  });

  it('when a documented header is missing, then the request fails', async () => {
    const bare = express();
    bare.get('/thing/1', (_req, res) => void res.json({ id: 1 }));
    await expect(checkEveryAnswer(supertest(bare), document).get('/thing/1')).rejects.toThrow(
      /the documented header traceresponse is missing/,
    );
  });

  it('when a path is not in the document, then only a 404 is accepted', async () => {
    await request.get('/nowhere/at/all').expect(404);
  });

  it('serves the document it was given as JSON', async () => {
    const res = await request.get('/openapi.json').expect('Content-Type', /json/);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(document)));
    expect(res.body.openapi).toBe('3.1.0');
  });
});
