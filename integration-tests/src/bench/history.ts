/**
 * `npm run bench -- --history N`: the same routes on a stack whose greetings
 * has run N phases, beside the normal stack's one phase, to show that no
 * route's time or size grows with the history (they answer one page of it).
 */

export const BENCH_ADMIN_TOKEN = 'bench-admin-token-0123456789';

/** Starts phases 2..n through the admin API, each naming the phase it ends (ifPhase). */
export async function seedPhases(greetingsUrl: string, n: number): Promise<void> {
  // greetings creates phase 1 on its first read.
  await fetch(`${greetingsUrl}/stats`);
  for (let phase = 1; phase < n; phase++) {
    const res = await fetch(`${greetingsUrl}/admin/experiments`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${BENCH_ADMIN_TOKEN}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        ifPhase: phase,
        actor: 'bench',
        variants: [
          { name: 'hello', template: 'Hello {name}' },
          { name: 'howdy', template: 'Howdy {name}' },
        ],
      }),
    });
    if (res.status !== 201)
      throw new Error(`seeding phase ${phase + 1}: ${res.status} ${await res.text()}`);
  }
}

export interface HistoryTarget {
  name: string;
  url: string;
  headers?: Record<string, string>;
}

/** The routes that once drew every phase, on a stack with `phases` phases. */
export function historyTargets(
  urls: { 'awesome-app': string; greetings: string },
  phases: number,
): HistoryTarget[] {
  const label = `${phases} phase${phases === 1 ? '' : 's'}`;
  return [
    { name: `history: page /Bob/1/1, ${label}`, url: `${urls['awesome-app']}/Bob/1/1` },
    { name: `history: greetings /experiments, ${label}`, url: `${urls.greetings}/experiments` },
    {
      name: `history: greetings /experiments?limit=100 (anonymous), ${label}`,
      url: `${urls.greetings}/experiments?limit=100`,
    },
    {
      name: `history: greetings /admin page, ${label}`,
      url: `${urls.greetings}/admin`,
      headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, accept: 'text/html' },
    },
  ];
}

/** Bytes of each route's answer, read once: size, unlike time, is exact. */
export async function answerSizes(targets: HistoryTarget[]): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for (const t of targets) {
    const res = await fetch(t.url, { headers: t.headers ?? {} });
    sizes.set(t.name, (await res.arrayBuffer()).byteLength);
  }
  return sizes;
}
