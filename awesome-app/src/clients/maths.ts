import type { Outcome } from '../outcome';
import { PAGE_OPERATIONS, type PageOperation } from '../page';
import type { Upstream } from './upstream';

export { PAGE_OPERATIONS, type PageOperation } from '../page';

export type Results = Readonly<Record<PageOperation, Outcome<number>>>;

export interface MathsClient {
  /**
   * All four operations in one round trip. Each has its own outcome: a
   * refusal (division by zero, overflow) is `rejected` with maths' message;
   * when maths cannot be reached, all four carry the same failure.
   */
  calculateAll(x: number, y: number): Promise<Results>;
  /** For `/health/dependencies`. */
  ping(): Promise<Outcome<true>>;
}

/** maths over HTTP: `GET /calculate?x=&y=&ops=add,subtract,multiply,divide`. */
export function createMathsClient(upstream: Upstream): MathsClient {
  return {
    async calculateAll(x, y) {
      // URLSearchParams encodes the `+` in `1e+21`, which would otherwise read as a space.
      const query = new URLSearchParams({
        x: String(x),
        y: String(y),
        ops: PAGE_OPERATIONS.join(','),
      });
      const outcome = await upstream.getJson(`/calculate?${query.toString()}`, readResults);
      if (outcome.ok) return outcome.value;
      return Object.fromEntries(PAGE_OPERATIONS.map((op) => [op, outcome])) as Results;
    },
    ping: () => upstream.getJson('/healthz', () => true as const),
  };
}

function readResults(json: unknown): Results | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const { results } = json as { results?: unknown };
  if (typeof results !== 'object' || results === null) return undefined;
  const read: Partial<Record<PageOperation, Outcome<number>>> = {};
  for (const op of PAGE_OPERATIONS) {
    const r = (results as Record<string, unknown>)[op] as
      { result?: unknown; error?: unknown; status?: unknown } | undefined;
    if (typeof r?.result === 'number' && Number.isFinite(r.result)) {
      read[op] = { ok: true, value: r.result };
    } else if (typeof r?.error === 'string') {
      const status = typeof r.status === 'number' ? r.status : 422;
      read[op] = { ok: false, kind: 'rejected', status, message: r.error };
    } else {
      return undefined;
    }
  }
  return read as Results;
}
