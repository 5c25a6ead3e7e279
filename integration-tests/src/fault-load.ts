import { likeAsJson, visitPage } from './visitor';

/**
 * The fault tests' load: visitors that load pages (and optionally Like) until
 * `stop()`, every answer recorded, and greetings' counts to compare with.
 */
export interface Stats {
  variants: { name: string; shown: number; liked: number }[];
}

/** Where the page and greetings answer: a local stack (LocalStack), or Docker's published ports. */
export interface LoadTarget {
  urls: Readonly<Record<'awesome-app' | 'greetings', string>>;
}

export async function stats(stack: LoadTarget): Promise<Stats> {
  const res = await fetch(`${stack.urls.greetings}/stats`);
  if (res.status !== 200) throw new Error(`/stats answered ${res.status}`);
  return (await res.json()) as Stats;
}

export const totalLikes = (s: Stats) => s.variants.reduce((n, v) => n + v.liked, 0);

export interface PageSeen {
  ms: number;
  status: number;
  complete: boolean;
  error?: string;
}

/** `count` visitors in a loop (bounded); every other page's Like is clicked when `like`. */
export function visitors(stack: LoadTarget, count: number, like: boolean) {
  const pages: PageSeen[] = [];
  const likes = {
    /** 2xx: acknowledged, so it must be counted. */
    ok: 0,
    /** When each acknowledged Like was answered (performance.now()). */
    okAt: [] as number[],
    /** 503 unavailable: nothing counted. */
    unavailable: 0,
    /** 503 uncertain: may have counted (once). */
    uncertain: 0,
    other: [] as string[],
  };
  let running = true;
  const one = async (id: number) => {
    for (let i = 0; running && i < 100_000; i++) {
      try {
        const page = await visitPage(
          `${stack.urls['awesome-app']}/Visitor${id}/${i % 9}/3`,
          10_000,
        );
        pages.push({
          ms: page.ms,
          status: page.status,
          complete: page.greeting !== undefined && page.html.includes('id="result"'),
        });
        if (like && page.like && i % 2 === 0) {
          const res = await likeAsJson(page.like, 10_000);
          const reason = /"reason":"(unavailable|uncertain)"/.exec(res.body)?.[1];
          if (res.status === 200) {
            likes.ok++;
            likes.okAt.push(performance.now());
          } else if (res.status === 503 && reason === 'unavailable') likes.unavailable++;
          else if (res.status === 503 && reason === 'uncertain') likes.uncertain++;
          else likes.other.push(`${res.status} ${res.body.slice(0, 80)}`);
        }
      } catch (error) {
        pages.push({ ms: Infinity, status: 0, complete: false, error: String(error) });
      }
    }
  };
  const done = Promise.all(Array.from({ length: count }, (_, id) => one(id)));
  return {
    pages,
    likes,
    stop: async () => {
      running = false;
      await done;
    },
  };
}
