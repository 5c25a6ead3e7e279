import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import type { Response } from 'supertest';
import type { OpenApiDocument } from '../openapi';

/**
 * Every answer an API test receives, checked against the service's OpenAPI
 * document: its status must be listed for its route, its content type must
 * be one the document gives for that status, and its body must match that
 * content's JSON schema (ajv, JSON Schema 2020-12, the dialect of OpenAPI
 * 3.1), and a header the document marks as required must be there. An answer the document does
 * not describe fails the test that received it, so document and behaviour
 * cannot drift apart unnoticed.
 */

interface MediaType {
  schema?: object;
}
interface Answer {
  content?: Record<string, MediaType>;
  headers?: Record<string, { required?: boolean }>;
}
interface Operation {
  responses: Record<string, Answer>;
}
type PathItem = Record<string, Operation>;

interface Route {
  template: string;
  pattern: RegExp;
  item: PathItem;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Literal paths before templated ones, as OpenAPI says a concrete path wins (`/calculate` over `/{op}`). */
function routesOf(document: OpenApiDocument): Route[] {
  return Object.entries(document.paths ?? {})
    .map(([template, item]) => ({
      template,
      pattern: new RegExp(
        `^${template
          .split(/(\{[^}]+\})/)
          .map((part) => (part.startsWith('{') ? '[^/]+' : escapeRegExp(part)))
          .join('')}$`,
      ),
      item: item as PathItem,
    }))
    .sort(
      (a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0),
    );
}

export class OpenApiChecker {
  private readonly ajv: Ajv2020;
  private readonly routes: Route[];
  private readonly validators = new Map<object, ValidateFunction>();

  constructor(private readonly document: OpenApiDocument) {
    // strict: false: OpenAPI adds keywords of its own (`example`) to the schemas.
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    this.ajv.addSchema({ components: document.components ?? {} }, 'doc');
    this.routes = routesOf(document);
  }

  /** What is wrong with this answer, according to the document; `[]` when it is described. */
  problems(anyCaseMethod: string, url: string, res: Response): string[] {
    const method = anyCaseMethod.toLowerCase();
    const path = new URL(url, 'http://x').pathname;
    const route = this.routes.find((r) => r.pattern.test(path));
    const where = `${method.toUpperCase()} ${path} → ${res.status}`;
    if (!route) {
      // A path the document does not list must be refused as not found, nothing else.
      return res.status === 404 ? [] : [`${where}: no path in the document matches ${path}`];
    }
    // Express answers a HEAD with its GET route (no body): HTTP's rule, not listed twice.
    const operation = route.item[method] ?? (method === 'head' ? route.item.get : undefined);
    if (!operation) {
      return res.status === 404 || res.status === 405
        ? []
        : [`${where}: ${method} ${route.template} is not in the document`];
    }
    const answer = operation.responses[String(res.status)];
    if (!answer) {
      const listed = Object.keys(operation.responses).join(', ');
      return [`${where}: status ${res.status} is not documented for ${route.template} (${listed})`];
    }
    return [...this.headerProblems(where, answer, res), ...this.bodyProblems(where, answer, res)];
  }

  private headerProblems(where: string, answer: Answer, res: Response): string[] {
    return Object.entries(answer.headers ?? {})
      .filter(([name, header]) => header.required && res.headers[name.toLowerCase()] === undefined)
      .map(([name]) => `${where}: the documented header ${name} is missing`);
  }

  private bodyProblems(where: string, answer: Answer, res: Response): string[] {
    const type = String(res.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim();
    if (!answer.content) {
      return res.text ? [`${where}: a body (${type}) where the document describes none`] : [];
    }
    // HEAD has no body: its content type is still that of the GET answer.
    const media = answer.content[type];
    if (!media) {
      const listed = Object.keys(answer.content).join(', ');
      return [`${where}: content type ${type || '(none)'} is not documented (${listed})`];
    }
    if (!media.schema || res.request?.method === 'HEAD') return [];
    const body: unknown = type === 'application/json' ? JSON.parse(res.text) : res.text;
    const validate = this.validator(media.schema);
    if (validate(body)) return [];
    return [
      `${where}: the body does not match the document: ${this.ajv.errorsText(validate.errors)}`,
    ];
  }

  private validator(schema: object): ValidateFunction {
    let validate = this.validators.get(schema);
    if (!validate) {
      // `#/components/schemas/X` in the document is `doc#/components/schemas/X` here.
      const rebased = JSON.parse(
        JSON.stringify(schema).replaceAll('"$ref":"#/', '"$ref":"doc#/'),
      ) as object;
      validate = this.ajv.compile(rebased);
      this.validators.set(schema, validate);
    }
    return validate;
  }
}

/**
 * One checker per document: tests call `checkEveryAnswer` once per request,
 * and compiling a large document's schemas again each time (hundreds of ms
 * under load) would land inside the timings those tests measure.
 */
const checkers = new WeakMap<OpenApiDocument, OpenApiChecker>();
function checkerOf(document: OpenApiDocument): OpenApiChecker {
  let checker = checkers.get(document);
  if (!checker) {
    checker = new OpenApiChecker(document);
    checkers.set(document, checker);
  }
  return checker;
}

const METHODS = ['get', 'head', 'post', 'put', 'delete', 'patch', 'options', 'del'];
interface Checkable {
  expect(check: (res: Response) => void): Checkable;
}

/**
 * `checkEveryAnswer(request(app), document)`: the same agent, whose every
 * request also checks its answer against the document (a failed check fails
 * the request's promise, like a failed `.expect`).
 */
export function checkEveryAnswer<A extends object>(agent: A, document: OpenApiDocument): A {
  const checker = checkerOf(document);
  return new Proxy(agent, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      const method = property.toLowerCase();
      if (!METHODS.includes(method)) {
        return value;
      }
      return (url: string, ...rest: unknown[]) => {
        const test = (value as (...args: unknown[]) => Checkable).call(target, url, ...rest);
        return test.expect((res) => {
          const problems = checker.problems(method === 'del' ? 'delete' : method, url, res);
          if (problems.length > 0) throw new Error(`Not as documented:\n${problems.join('\n')}`);
        });
      };
    },
  });
}
