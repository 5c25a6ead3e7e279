/**
 * `npm run load`: simulated visitors who know what they like. Each visitor
 * loads the page, reads which greeting it got and clicks Like with that
 * greeting's true like rate, through the real HTTP paths (page, then the Like
 * form post to greetings). At the end it compares what the bandit learnt with
 * the truth. Run it against a running system (`npm start` or Docker) with the
 * Grafana dashboard open to watch the experiment live.
 *
 *   npm run load -- --visits 2000 --rates hello=0.05,howdy=0.10 --concurrency 8
 *
 * Every simulated visitor comes from this one address: greetings counts at
 * most LIKES_PER_MINUTE_PER_CLIENT (default 300) of their Likes a minute.
 * For a faster run start greetings with a higher limit, e.g.
 * `LIKES_PER_MINUTE_PER_CLIENT=100000 npm start` (docs/admin.md).
 */
import { parseArgs } from 'node:util';
import { clickLike, variantOf, visitPage } from './visitor';

const { values } = parseArgs({
  options: {
    app: { type: 'string', default: 'http://localhost:5000' },
    visits: { type: 'string', default: '2000' },
    rates: { type: 'string', default: 'hello=0.05,howdy=0.10' },
    concurrency: { type: 'string', default: '8' },
  },
});

const truth = new Map(
  values.rates.split(',').map((pair) => {
    const [variant, rate] = pair.split('=');
    const value = Number(rate);
    if (!variant || !(value >= 0 && value <= 1)) throw new Error(`--rates: bad entry '${pair}'`);
    return [variant.trim().toLowerCase(), value] as const;
  }),
);
const visits = Number(values.visits);
const concurrency = Number(values.concurrency);
const app = values.app.replace(/\/+$/, '');

interface Tally {
  shown: number;
  liked: number;
}

async function main(): Promise<void> {
  const tally = new Map<string, Tally>();
  let done = 0;
  let failed = 0;
  let limited = 0;
  let greetingsUrl: string | undefined;
  const started = Date.now();
  const progress = setInterval(() => {
    const shares = [...tally].map(
      ([v, t]) => `${v} ${((t.shown / Math.max(1, done)) * 100).toFixed(0)}%`,
    );
    process.stderr.write(
      `\r${done}/${visits} visits, ${failed} failed; shown: ${shares.join(', ')}   `,
    );
  }, 500);

  let next = 0;
  const worker = async () => {
    while (next < visits) {
      const i = next++;
      try {
        const page = await visitPage(`${app}/Visitor${i % 100}/${i % 10}/${(i % 7) + 1}`);
        if (page.status !== 200 || !page.greeting) throw new Error(`page answered ${page.status}`);
        const variant = variantOf(page.greeting);
        const t = tally.get(variant) ?? { shown: 0, liked: 0 };
        tally.set(variant, t);
        t.shown++;
        if (page.like) {
          greetingsUrl ??= new URL(page.like.action).origin;
          if (Math.random() < (truth.get(variant) ?? 0)) {
            const like = await clickLike(page.like);
            // A Like over greetings' per-client limit also goes back to the page (303), marked limited=1.
            if (like.status === 303 && like.location?.includes('limited=1')) limited++;
            else if (like.status === 303) t.liked++;
            else failed++;
          }
        }
      } catch {
        failed++;
      }
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  clearInterval(progress);
  process.stderr.write('\n');

  const seconds = (Date.now() - started) / 1000;
  console.log(
    `\n${visits} visits in ${seconds.toFixed(1)} s (${(visits / seconds).toFixed(0)}/s), ${failed} failed\n`,
  );
  if (limited > 0)
    console.log(
      `${limited} Likes refused by greetings' per-client limit (all visitors share this address): start greetings with a higher LIKES_PER_MINUTE_PER_CLIENT, e.g. 100000 (docs/admin.md)\n`,
    );
  console.log('| variant | true like rate | shown in this run | observed like rate (this run) |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [variant, t] of [...tally].sort()) {
    console.log(
      `| ${variant} | ${((truth.get(variant) ?? 0) * 100).toFixed(1)} % | ${((t.shown / visits) * 100).toFixed(1)} % | ${t.shown ? ((t.liked / t.shown) * 100).toFixed(1) : '–'} % |`,
    );
  }
  if (greetingsUrl) {
    const stats = (await (await fetch(`${greetingsUrl}/stats`)).json()) as {
      best: string | null;
      phase: number;
      variants: { name: string; shown: number; liked: number; likeRate: number; pBest: number }[];
    };
    const best = [...truth].sort((a, b) => b[1] - a[1])[0]?.[0];
    console.log(
      `\ngreetings' /stats (phase ${stats.phase}): best now ${stats.best === null ? 'not called yet (still learning)' : `"${stats.best}"`}, truly best "${best}"`,
    );
    for (const v of stats.variants) {
      console.log(
        `  ${v.name}: ${v.shown} shown, ${v.liked} liked, like rate ${(v.likeRate * 100).toFixed(1)} %, P(best) ${(v.pBest * 100).toFixed(1)} %`,
      );
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
