/** What `withTimeout` rejects with when its deadline passes first. */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/**
 * Settles as `promise` does, or rejects with a `TimeoutError(message)` once
 * `ms` have passed, whichever comes first. `onTimeout` runs when the deadline
 * wins (to abort the work still going on). The timer is always cleared, so
 * nothing of a finished call stays reachable until the deadline would have
 * passed (unlike `AbortSignal.timeout()`, which cannot be cancelled).
 */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  message: string,
  onTimeout?: (error: TimeoutError) => void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new TimeoutError(message);
      onTimeout?.(error);
      reject(error);
    }, ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
