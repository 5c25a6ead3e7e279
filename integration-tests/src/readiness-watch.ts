/**
 * The Kubernetes view of a fault scenario: each service's readiness path
 * asked the way a kubelet asks it (a GET that must succeed, 200-399, within
 * the probe's timeout) but far more often than the manifests' 5 s, from the
 * start of a scenario to its end. A pod leaves its Service after two failed
 * probes in a row (failureThreshold: 2); a watch with no failure at all
 * shows the pod would have stayed in it throughout.
 */
export interface ReadinessSeen {
  /** How many times the path was asked. */
  asked: number;
  /** How many asks failed. */
  failed: number;
  /** The first ten failed asks: when (ms from the start) and what came back. */
  failures: string[];
  /** Whether the last ask succeeded. */
  readyAtEnd: boolean;
}

export interface ReadinessWatch {
  /** Stops asking and says what each service answered. */
  stop(): Promise<Record<string, ReadinessSeen>>;
}

export interface WatchOptions {
  /** The readiness probes' path (deploy/kubernetes; test:k8s checks what it means). */
  path?: string;
  everyMs?: number;
  /** The manifests' timeoutSeconds. */
  timeoutMs?: number;
}

export function watchReadiness(
  urls: Readonly<Record<string, string>>,
  { path = '/readyz', everyMs = 250, timeoutMs = 3000 }: WatchOptions = {},
): ReadinessWatch {
  const started = performance.now();
  let running = true;
  const watchOne = async (url: string): Promise<ReadinessSeen> => {
    const seen: ReadinessSeen = { asked: 0, failed: 0, failures: [], readyAtEnd: false };
    const fail = (at: number, what: string) => {
      seen.failed++;
      if (seen.failures.length < 10) seen.failures.push(`${at} ms: ${what}`);
    };
    while (running) {
      const at = Math.round(performance.now() - started);
      seen.asked++;
      try {
        const res = await fetch(`${url}${path}`, {
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        const body = await res.text();
        seen.readyAtEnd = res.status >= 200 && res.status < 400;
        if (!seen.readyAtEnd) fail(at, `${res.status} ${body.slice(0, 120)}`);
      } catch (error) {
        seen.readyAtEnd = false;
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        fail(at, `${(error as Error).message}${cause ? ` (${cause})` : ''}`);
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
    return seen;
  };
  const watching = Object.entries(urls).map(
    async ([name, url]) => [name, await watchOne(url)] as const,
  );
  return {
    stop: async () => {
      running = false;
      return Object.fromEntries(await Promise.all(watching));
    },
  };
}
