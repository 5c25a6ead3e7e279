/**
 * `npm run bench -- --wait`: what `WAIT` costs a Like (issue 27). Two stacks
 * whose greetings find Redis through Sentinel (a primary, a replica, three
 * Sentinels, all local), one acknowledging a Like only after a replica has it
 * (REDIS_MIN_REPLICAS_ACK=1, the default with Sentinel) and one not (=0);
 * their Likes and their pages are benched beside the normal stack's (one
 * Redis, no Sentinel), round by round. A page never waits, so its figures
 * should not move.
 *
 * A Like uses up its impression, so each Like measurement first fetches a
 * pool of fresh impressions from that greetings (`GET /greeting/Bob` as JSON,
 * what the page does) and then posts exactly that many Likes, each with its
 * own impression, as JSON (200: counted and, with ACK=1, on a replica).
 */
import type { Options as AutocannonOptions } from 'autocannon';

/**
 * What one measurement of a target sends: autocannon's requests and how
 * many, and when the last answer came. autocannon notices that `amount` is
 * done only on its one-second tick, so its own duration (and the wall time
 * around it) is rounded up to whole seconds: the rate is worked out from the
 * last answer instead.
 */
export interface Prepared {
  options: Pick<AutocannonOptions, 'requests' | 'amount'>;
  lastAnswerAt: () => number;
}

/**
 * `count` fresh impressions. A greeting without one (a fallback greeting:
 * Redis did not answer within greetings' command timeout, which a loaded
 * machine sees now and then) is skipped and counted; more than `count` of
 * those stops the benchmark, saying so.
 */
async function impressions(greetingsUrl: string, count: number): Promise<string[]> {
  const out: string[] = [];
  let asked = 0;
  let without = 0;
  const worker = async () => {
    while (asked < count + without) {
      asked++;
      const res = await fetch(`${greetingsUrl}/greeting/Bob`, {
        headers: { accept: 'application/json' },
      });
      const body = (await res.json()) as { impression?: string };
      if (res.status === 200 && body.impression) out.push(body.impression);
      else if (++without > count)
        throw new Error(
          `GET /greeting/Bob answered without an impression ${without} times (last: ${res.status})`,
        );
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  if (without > 0)
    process.stderr.write(`(${without} fallback greetings without an impression skipped)\n`);
  return out.slice(0, count);
}

/** The Likes of `count` fresh impressions, one request each (autocannon stops after the last). */
export function likeRequests(greetingsUrl: string, count: number): () => Promise<Prepared> {
  return async () => {
    const pool = await impressions(greetingsUrl, count);
    let last = 0;
    return {
      lastAnswerAt: () => last,
      options: {
        amount: pool.length,
        requests: [
          {
            method: 'POST',
            path: '/like_greeting',
            headers: { 'content-type': 'application/json' },
            setupRequest: (request) => ({
              ...request,
              body: JSON.stringify({ impression: pool.pop() ?? 'none-left' }),
            }),
            onResponse: () => {
              last = performance.now();
            },
          },
        ],
      },
    };
  };
}

export interface Row {
  target: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

/** The WAIT table: each stack's Like and page, as ratios to the same thing without WAIT. */
export function waitTable(rows: readonly Row[], names: WaitTargetNames): string {
  const find = (name: string) => rows.find((r) => r.target === name)!;
  const line = (label: string, name: string, against: string) => {
    const r = find(name);
    const a = find(against);
    return `| ${label} | ${r.requestsPerSecond} | ${(r.requestsPerSecond / a.requestsPerSecond).toFixed(3)}× | ${r.p50} | ${r.p99} | ${r.errors} |`;
  };
  return [
    '',
    '| WAIT (REDIS_MIN_REPLICAS_ACK) | requests/s | ratio to ACK=0 | p50 ms | p99 ms | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    line('Like, one Redis, no Sentinel', names.likeOne, names.likeAck0),
    line('Like, Sentinel, ACK=0 (no WAIT)', names.likeAck0, names.likeAck0),
    line('Like, Sentinel, ACK=1 (WAIT 1)', names.likeAck1, names.likeAck0),
    line('page, one Redis, no Sentinel', names.pageOne, names.pageAck0),
    line('page, Sentinel, ACK=0', names.pageAck0, names.pageAck0),
    line('page, Sentinel, ACK=1', names.pageAck1, names.pageAck0),
  ].join('\n');
}

export interface WaitTargetNames {
  likeOne: string;
  likeAck0: string;
  likeAck1: string;
  pageOne: string;
  pageAck0: string;
  pageAck1: string;
}

export const WAIT_NAMES: WaitTargetNames = {
  likeOne: 'Like POST /like_greeting, one Redis (no Sentinel)',
  likeAck0: 'Like, Sentinel, REDIS_MIN_REPLICAS_ACK=0',
  likeAck1: 'Like, Sentinel, REDIS_MIN_REPLICAS_ACK=1 (WAIT)',
  pageOne: 'page /Bob/1/1',
  pageAck0: 'page /Bob/1/1, Sentinel, REDIS_MIN_REPLICAS_ACK=0',
  pageAck1: 'page /Bob/1/1, Sentinel, REDIS_MIN_REPLICAS_ACK=1',
};
