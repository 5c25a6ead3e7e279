import type { Metrics } from '@friendly-calculator/common';

/** A metrics sink that remembers what it was given, e.g. `increment:upstream.maths.errors`. */
export function recordingMetrics(): Metrics & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    increment: (name) => void calls.push(`increment:${name}`),
    timing: (name) => void calls.push(`timing:${name}`),
    gauge: (name) => void calls.push(`gauge:${name}`),
    close: () => Promise.resolve(),
  };
}
