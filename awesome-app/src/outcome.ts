/**
 * What a call to another service gave us. Clients never throw: the page
 * turns a failure into a notice in place of the missing part.
 *
 * - `unavailable`: down, slow, a 5xx or an answer we cannot read (or too large).
 * - `rejected`: the service understood and said no (a 4xx with a reason,
 *   e.g. maths' "Division by zero").
 */
export type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly kind: 'unavailable'; readonly message: string }
  | {
      readonly ok: false;
      readonly kind: 'rejected';
      readonly status: number;
      readonly message: string;
    };

export type Failure = Extract<Outcome<unknown>, { ok: false }>;
