import {
  answerHeaders,
  buildOpenApiDocument,
  errorAnswer,
  errorBody,
  z,
  type OpenAPIRegistry,
  type OpenApiDocument,
} from '@friendly-calculator/common/openapi';
import { DECIMAL, MAX_OPERAND_LENGTH, OPERATION_NAMES } from '../arithmetic';

/**
 * maths' answers and parameters as zod schemas, and its OpenAPI document
 * built from them. The operand rule is arithmetic.ts's own (`DECIMAL`,
 * `MAX_OPERAND_LENGTH`), which `parseOperand` enforces.
 */
export const OperationName = z.enum(OPERATION_NAMES as [string, ...string[]]).openapi('Operation');

export const Operand = z
  .string()
  .max(MAX_OPERAND_LENGTH)
  .regex(DECIMAL)
  .openapi({
    description: `A plain decimal number (\`3\`, \`-2.5\`, \`.5\`, \`1e3\`; no hex, no \`Infinity\`, no \`NaN\`), at most ${MAX_OPERAND_LENGTH} characters, given exactly once.`,
    example: '7',
  });

export const OperandsQuery = z.object({ x: Operand, y: Operand });

export const OperationResult = z
  .object({ operation: OperationName, x: z.number(), y: z.number(), result: z.number() })
  .openapi('OperationResult');

/** One operation's part of a batch: its result, or why it has none (a 422 of its own). */
export const BatchEntry = z
  .union([
    z.object({ result: z.number() }).strict(),
    z.object({ error: z.string(), status: z.literal(422) }).strict(),
  ])
  .openapi('BatchEntry');

export const BatchResult = z
  .object({
    x: z.number(),
    y: z.number(),
    results: z.partialRecord(OperationName, BatchEntry),
  })
  .openapi('BatchResult');

export const ServiceIndex = z
  .object({ service: z.literal('maths'), operations: z.array(OperationName) })
  .openapi('MathsIndex');

/** A refused parameter names itself; a malformed path says `reason: malformed_path`. */
const BadRequest = errorBody(undefined, {
  reason: z.enum(['malformed_path']).optional(),
  parameter: z.string().optional().openapi({ description: 'The parameter to fix.' }),
}).openapi('MathsBadRequest');

/** A fault: unexpected (the body says nothing more), or one a presenter switched on (docs/scenarios.md). */
const Fault = errorAnswer(
  'An unexpected fault (logged with the trace id), or a call failed on purpose while the scenario mathsErrors is on: then the body names it.',
  errorBody(undefined, {
    scenario: z
      .enum(['mathsErrors'])
      .optional()
      .openapi({ description: 'The scenario flag that failed this call.' }),
    variant: z.string().optional().openapi({ description: "The flag's variant, e.g. `50%`." }),
    path: z.string().optional().openapi({ description: 'The path of the failed call.' }),
  }).openapi('MathsFault'),
);

const textOrJson = (json: z.ZodType, text: string) => ({
  'text/plain': { schema: z.string().openapi({ description: text }) },
  'application/json': { schema: json },
});

function registerOperations(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/{op}',
    tags: ['arithmetic'],
    summary: 'One operation on x and y',
    description:
      'Plain text by default (curl), JSON on `Accept: application/json`. Results are rounded to 15 significant digits (0.1 + 0.2 is 0.3).',
    request: { params: z.object({ op: OperationName }), query: OperandsQuery },
    responses: {
      200: {
        description: 'The result.',
        headers: answerHeaders(),
        content: textOrJson(OperationResult, 'The result and a newline, e.g. `2`.'),
      },
      400: errorAnswer(
        'x or y is missing, repeated, not a decimal number or too large.',
        BadRequest,
      ),
      404: errorAnswer(
        'No such operation; the JSON lists the ones there are.',
        errorBody(undefined, { operations: z.array(OperationName) }),
      ),
      422: errorAnswer('Valid numbers without a real, finite result (division by zero, overflow).'),
      500: Fault,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/calculate',
    tags: ['arithmetic'],
    summary: 'Several operations on the same x and y in one call',
    description:
      'Each operation is counted and timed as if called alone; one without a result (division by zero) has its own error while the others answer.',
    request: {
      query: OperandsQuery.extend({
        ops: z
          .string()
          .optional()
          .openapi({
            description: `Distinct operations, comma-separated (default: all of ${OPERATION_NAMES.join(', ')}).`,
            example: 'add,divide',
          }),
      }),
    },
    responses: {
      200: {
        description: 'One result or error per operation.',
        headers: answerHeaders(),
        content: textOrJson(BatchResult, 'One line per operation: `add 3` or `divide error: ...`.'),
      },
      400: errorAnswer('x, y or ops is missing, repeated or not valid.', BadRequest),
      500: Fault,
    },
  });
}

function registerIndex(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/',
    tags: ['arithmetic'],
    summary: 'The operations this service offers',
    responses: {
      200: {
        description: 'The operations: one usage line each as text, a list as JSON.',
        headers: answerHeaders(),
        content: textOrJson(ServiceIndex, 'One line per operation: `GET /add?x=NUMBER&y=NUMBER`.'),
      },
    },
  });
}

/** Built once at start-up (and by `npm run openapi`). */
export function mathsDocument(): OpenApiDocument {
  return buildOpenApiDocument(
    {
      title: 'maths',
      description:
        'Arithmetic over HTTP: add, subtract, multiply, divide, power. Every call is counted and timed in StatsD.',
      port: 5001,
      swaggerUi: true,
    },
    ['scenarios'],
    (registry) => {
      registerIndex(registry);
      registerOperations(registry);
    },
  );
}
