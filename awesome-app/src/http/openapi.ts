import { MAX_NAME_LENGTH } from '@friendly-calculator/common';
import {
  answerHeaders,
  buildOpenApiDocument,
  errorBody,
  liveStreamAnswers,
  z,
  type OpenAPIRegistry,
  type OpenApiDocument,
  type ResponseConfig,
} from '@friendly-calculator/common/openapi';
import { DECIMAL, MAX_NUMBER_LENGTH } from '../input';

/**
 * The page's routes as OpenAPI: HTML for people, but curl and monitors use
 * them too, and its health and error answers are JSON or text. The rules
 * are input.ts's own (`DECIMAL`, `MAX_NUMBER_LENGTH`) and common's name rule.
 */
const Name = z
  .string()
  .min(1)
  .openapi({
    description: `The visitor's name: 1 to ${MAX_NAME_LENGTH} characters after trimming, no control characters, not just dots.`,
    example: 'Bob',
  });
const NumberText = z
  .string()
  .max(MAX_NUMBER_LENGTH)
  .regex(DECIMAL)
  .openapi({
    description: `A plain decimal number (\`3\`, \`-2.5\`, \`.5\`, \`1e3\`), at most ${MAX_NUMBER_LENGTH} characters.`,
    example: '1',
  });
const Impression = z
  .string()
  .regex(/^[A-Za-z0-9_-]{22}$/)
  .optional()
  .openapi({
    description:
      'Set by greetings when it sends the visitor back after a Like (`303` to `?like=<impression id>`): the page then says what became of that Like. Any other value is ignored.',
  });
const Already = z
  .enum(['1'])
  .optional()
  .openapi({ description: 'Set by greetings with `like`: that impression had been liked before.' });

const html = (description: string) => ({
  'text/html': { schema: z.string().openapi({ description }) },
});

/** A page: HTML only, `no-store` on the result page. */
function page(description: string, body: string): ResponseConfig {
  return { description, headers: answerHeaders(), content: html(body) };
}

/** Refusals and faults: an HTML page for browsers, the shared JSON or text for other clients. */
function problem(description: string): ResponseConfig {
  return {
    description,
    headers: answerHeaders(),
    content: {
      ...html('A page that says what went wrong.'),
      'application/json': {
        schema: errorBody(undefined, { reason: z.enum(['malformed_path']).optional() }),
      },
      'text/plain': { schema: z.string() },
    },
  };
}

const FORM_400 =
  'A field is missing or not valid: the form again, pre-filled, each problem next to its field (or, for a path Express cannot decode, an error page).';

function registerPages(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/',
    tags: ['pages'],
    summary: 'The calculator form',
    request: { query: z.object({ like: Impression, already: Already }) },
    responses: {
      200: page('The form (and, after a Like, what became of it).', 'The form.'),
      500: problem('An unexpected fault.'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/calculate',
    tags: ['pages'],
    summary: 'Where the form lands',
    description: 'Valid input is sent on to the page of its own address, `/Bob/1/1`.',
    request: { query: z.object({ name: Name, x: NumberText, y: NumberText }) },
    responses: {
      303: {
        description: 'Valid: see the page.',
        headers: answerHeaders({
          location: z.string().openapi({ description: 'The page, e.g. `/Bob/1/1`.' }),
        }),
        // Express says where it redirects in the body too, as the client prefers.
        content: { ...html('A link to the page.'), 'text/plain': { schema: z.string() } },
      },
      400: problem(FORM_400),
      500: problem('An unexpected fault.'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/{name}/{x}/{y}',
    tags: ['pages'],
    summary: 'The greeting, the four results and the experiment',
    description:
      'Asks greetings and maths at once; a part whose service is down is replaced by a notice, the page still answers 200. A GET (not a HEAD or a prefetch) records an impression in greetings.',
    request: {
      params: z.object({ name: Name, x: NumberText, y: NumberText }),
      query: z.object({ like: Impression, already: Already }),
    },
    responses: {
      200: page('The page.', 'The page, never cached (`Cache-Control: no-store`).'),
      400: problem(FORM_400),
      500: problem('An unexpected fault.'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/style.css',
    tags: ['pages'],
    summary: "The pages' stylesheet (its address carries its hash: `?v=`)",
    responses: {
      200: {
        description: 'The stylesheet, cached for 7 days.',
        headers: answerHeaders(),
        content: { 'text/css': { schema: z.string() } },
      },
    },
  });
}

/** Presenter mode (docs/presenting.md). */
function registerPresent(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/present',
    tags: ['presenter mode'],
    summary: "The projector's page: the QR code to join, who is connected, the experiment live",
    responses: {
      200: page('The page.', 'The page; its one script is `/present.js`, from this address.'),
      500: problem('An unexpected fault.'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/join',
    tags: ['presenter mode'],
    summary: "The phone's form: first name and two numbers, on to the usual page",
    responses: {
      200: page('The form.', 'The form.'),
      500: problem('An unexpected fault.'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/present/events',
    tags: ['presenter mode'],
    summary: 'The room’s experiment, live (Server-Sent Events)',
    description:
      'At once on connect, then whenever the experiment changes (at most 4 a second), an event `experiment` whose data is the whole snapshot as JSON: greetings’ `/experiments/current` shape with `decisions`, plus `live` (viewers connected to the room: this process’s streams and every other awesome-app process’s, as each reports them through greetings) and `greetings` (`live`; `connecting` until greetings first answers; `away` while it does not). A comment line every 15 s.',
    responses: liveStreamAnswers('The stream (`retry: 1000`); it ends when this process drains.'),
  });
  registry.registerPath({
    method: 'post',
    path: '/like_greeting',
    tags: ['presenter mode'],
    summary:
      'A Like, passed on to greetings (its `POST /like_greeting`), for phones that reach only this address',
    description:
      'The phone’s address goes to greetings in `X-Forwarded-For`; greetings’ answer comes back as it is, its redirect made relative to this address. 503 when greetings does not answer (nothing counted).',
    responses: {
      200: {
        description: 'greetings’ answer.',
        headers: answerHeaders(),
        content: { 'application/json': { schema: z.object({}).passthrough() } },
      },
      303: {
        description: 'Back to the page, as greetings says.',
        headers: answerHeaders({ location: z.string() }),
      },
      503: {
        description: 'greetings did not answer.',
        headers: answerHeaders(),
        content: { 'application/json': { schema: errorBody(undefined) } },
      },
    },
  });
}

/** Built once at start-up (and by `npm run openapi`). */
export function awesomeAppDocument(): OpenApiDocument {
  return buildOpenApiDocument(
    {
      title: 'awesome-app',
      description:
        'The page people see: a form, then a greeting from greetings and four results from maths. Any other address is a 404 (an HTML page for browsers, JSON or text for other clients).',
      port: 5000,
    },
    ['greetings', 'maths'],
    (registry) => {
      registerPages(registry);
      registerPresent(registry);
    },
  );
}
