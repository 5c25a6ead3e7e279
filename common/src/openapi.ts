import {
  extendZodWithOpenApi,
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type ResponseConfig,
} from '@asteasolutions/zod-to-openapi';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { MALFORMED_PATH_MESSAGE } from './express';
import { TRACE_RESPONSE_HEADER } from './trace-context';

/**
 * Each service's OpenAPI 3.1 document, built from the zod schemas its routes
 * validate with (`@asteasolutions/zod-to-openapi`), so the description and
 * the validation cannot drift apart: one source for both. What every service
 * shares (the error body, the health routes, the `traceresponse` header,
 * `GET /openapi.json` itself) is described here once.
 */
extendZodWithOpenApi(z);

export { z };
export type { OpenAPIRegistry, ResponseConfig };
export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

/** Every answer carries it (common's `traceContext`), so every answer documents it. */
export const TRACE_RESPONSE = z
  .string()
  .regex(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
  .openapi({
    description:
      'The W3C trace context of this request, `00-<trace id>-<span id>-<flags>`: quote the trace id to find its log lines and trace.',
    example: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  });

/** `Retry-After` on a 503 that is worth retrying shortly (greetings' store away). */
export const RETRY_AFTER = z.string().regex(/^\d+$/).openapi({
  description: 'Seconds to wait before trying again.',
  example: '2',
});

/** `traceresponse` on every answer; more headers (Retry-After) can be added per answer. */
export function answerHeaders<T extends z.ZodRawShape>(extra?: T) {
  return z.object({ [TRACE_RESPONSE_HEADER]: TRACE_RESPONSE, ...extra });
}

/**
 * A refusal as JSON (`Accept: application/json`): the message, the status,
 * and fields that say what to fix; `reason` is a stable code a program can
 * branch on. The same refusal as text (curl's default) is the message alone.
 */
export function errorBody<R extends readonly [string, ...string[]]>(
  reasons?: R,
  extra: z.ZodRawShape = {},
) {
  return z
    .object({
      error: z.string().openapi({ description: 'What went wrong, for a person to read.' }),
      status: z.number().int().min(400).max(599),
      ...(reasons ? { reason: z.enum(reasons) } : {}),
      ...extra,
    })
    .openapi({ description: 'A refusal or an error, as JSON.' });
}

/** A JSON or text error answer, with its status's headers. */
export function errorAnswer(
  description: string,
  schema: z.ZodType = errorBody(),
  headers: z.ZodObject = answerHeaders(),
): ResponseConfig {
  return {
    description,
    headers,
    content: {
      'application/json': { schema },
      'text/plain': {
        schema: z.string().openapi({ description: 'The error message and a newline.' }),
      },
    },
  };
}

/** A 200 with a JSON body only. */
export function jsonAnswer(description: string, schema: z.ZodType): ResponseConfig {
  return { description, headers: answerHeaders(), content: { 'application/json': { schema } } };
}

/**
 * The answers of a live stream served by common's `createLiveStreams`
 * (live.ts): the Server-Sent Events stream, with the headers that keep
 * proxies from storing, compressing or buffering it, or the 503 it gives
 * beyond LIVE_MAX_CONNECTIONS and while the process drains. greetings'
 * `/experiments/current/events` and awesome-app's `/present/events` alike;
 * `stream` says what ends that stream.
 */
export function liveStreamAnswers(stream: string): Record<200 | 503, ResponseConfig> {
  return {
    200: {
      description: stream,
      headers: answerHeaders({
        'Cache-Control': z.literal('no-cache, no-transform'),
        'X-Accel-Buffering': z.literal('no'),
      }),
      content: { 'text/event-stream': { schema: z.string() } },
    },
    503: {
      description:
        'LIVE_MAX_CONNECTIONS streams are open on this process already, or it is shutting down.',
      headers: answerHeaders({ 'Retry-After': z.string() }),
      content: {
        'application/json': { schema: z.object({ error: z.string(), status: z.literal(503) }) },
      },
    },
  };
}

/** Answers every route may give besides its own: a path Express cannot decode, a server fault. */
export function commonAnswers(): Record<number, ResponseConfig> {
  return {
    400: errorAnswer(
      `A refused request. Among its causes, in every service: ${MALFORMED_PATH_MESSAGE} (\`reason: malformed_path\`).`,
    ),
    500: errorAnswer('An unexpected fault (logged with the trace id); the body says nothing more.'),
  };
}

/** `GET /healthz`, `/readyz`, `/health/dependencies` (common's `healthRoutes`) and `GET /openapi.json`. */
export function registerCommonRoutes(registry: OpenAPIRegistry, dependencies: string[]): void {
  registry.registerPath({
    method: 'get',
    path: '/healthz',
    tags: ['health'],
    summary: 'The process is alive (liveness)',
    responses: { 200: jsonAnswer('Alive.', z.object({ status: z.literal('ok') })) },
  });
  registry.registerPath({
    method: 'get',
    path: '/readyz',
    tags: ['health'],
    summary: 'May this instance get traffic (readiness)',
    description:
      'Ready whenever it can answer, even with a dependency down (it then answers with less); 503 only while it drains at shutdown.',
    responses: {
      200: jsonAnswer('Ready.', z.object({ status: z.literal('ready') })),
      503: jsonAnswer(
        'Draining: stopping, send traffic elsewhere.',
        z.object({ status: z.literal('draining') }),
      ),
    },
  });
  const Dependency = z.object({
    name: dependencies.length > 0 ? z.enum(dependencies as [string, ...string[]]) : z.string(),
    state: z.enum(['up', 'down']),
    checkMs: z.number().min(0).openapi({ description: 'How long the check took, ms.' }),
    checkedAt: z.string().openapi({ description: 'When the check started (ISO 8601).' }),
    error: z.string().optional().openapi({ description: 'Why it is down.' }),
    details: z.record(z.string(), z.unknown()).optional().openapi({
      description:
        'What the check says besides up or down; `scenarios`: `file`, `sha256` of the version in force (null: no file yet, every flag off) and `on` (the scenarios on).',
    }),
  });
  registry.registerPath({
    method: 'get',
    path: '/health/dependencies',
    tags: ['health'],
    summary: "The dependencies' health",
    description:
      dependencies.length === 0
        ? 'This service has no dependencies: always `ok` with an empty list.'
        : `Checks ${dependencies.join(', ')} (at most once a second, however often asked); \`degraded\` when any is down.`,
    responses: {
      200: {
        ...jsonAnswer(
          'The report (never cached).',
          z.object({ status: z.enum(['ok', 'degraded']), dependencies: z.array(Dependency) }),
        ),
      },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    tags: ['documentation'],
    summary: 'This document',
    responses: {
      200: jsonAnswer('The OpenAPI 3.1 document of this service.', z.object({}).passthrough()),
    },
  });
}

export interface DocumentInfo {
  title: string;
  description: string;
  /** The port the service listens on by default, for the `servers` entry. */
  port: number;
  /** Whether the service offers this document in Swagger UI at `/docs/` (common's `swaggerUi`). */
  swaggerUi?: boolean;
}

/** `GET /docs/`: this document in Swagger UI. */
function registerSwaggerUi(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/docs/',
    tags: ['documentation'],
    summary: 'This document in Swagger UI, for exploring the API by hand',
    description: '`/docs` redirects here; its scripts and styles are served under `/docs/` too.',
    responses: {
      200: {
        description: 'The Swagger UI page.',
        headers: answerHeaders({
          'content-security-policy': z.string().openapi({
            description: 'Scripts and styles from this origin only.',
          }),
        }),
        content: { 'text/html': { schema: z.string() } },
      },
    },
  });
}

/** The whole document: the service's routes (`register`) and the shared ones. */
export function buildOpenApiDocument(
  info: DocumentInfo,
  dependencies: string[],
  register: (registry: OpenAPIRegistry) => void,
): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  register(registry);
  registerCommonRoutes(registry, dependencies);
  if (info.swaggerUi) registerSwaggerUi(registry);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: info.title, version: '1.0.0', description: info.description },
    // Relative: Swagger UI's "Try it out" calls the service it was served by, wherever that runs.
    servers: [
      { url: '/', description: `this service (under npm start: http://localhost:${info.port})` },
    ],
  });
}

/** `GET /openapi.json`: the document, serialised once. */
export function openApiHandler(document: OpenApiDocument): RequestHandler {
  const body = JSON.stringify(document);
  return (_req, res) => {
    res.type('application/json').send(body);
  };
}

/** The document as `npm run openapi` writes it to docs/openapi/: stable, readable, diffable. */
export function documentText(document: OpenApiDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
