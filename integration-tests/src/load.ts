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
 *
 * `--room N` instead: N phones in presenter mode, at a person's pace
 * (room.ts; docs/presenting.md's rehearsal), printing what the projector
 * shows every few seconds and at the end:
 *
 *   npm run load -- --room 200 [--pace 1] [--rates hello=0.25,howdy=0.6] [--leave 0.25]
 *   npm run load -- --room 200 --app http://a:5000,http://b:5000   (phones spread over replicas)
 */
import { parseArgs } from 'node:util';
import { projectorText, runRoom } from './room';
import { clickLike, variantOf, visitPage } from './visitor';

const { values } = parseArgs({
  options: {
    app: { type: 'string', default: 'http://localhost:5000' },
    visits: { type: 'string', default: '2000' },
    rates: { type: 'string' },
    concurrency: { type: 'string', default: '8' },
    room: { type: 'string' },
    pace: { type: 'string', default: '1' },
    leave: { type: 'string', default: '0.25' },
  },
});

// A room likes more readily than the web at large; either way one variant wins.
const rates = values.rates ?? (values.room ? 'hello=0.25,howdy=0.6' : 'hello=0.05,howdy=0.10');
const truth = new Map(
  rates.split(',').map((pair) => {
    const [variant, rate] = pair.split('=');
    const value = Number(rate);
    if (!variant || !(value >= 0 && value <= 1)) throw new Error(`--rates: bad entry '${pair}'`);
    return [variant.trim().toLowerCase(), value] as const;
  }),
);
const visits = Number(values.visits);
const concurrency = Number(values.concurrency);
const app = values.app.replace(/\/+$/, '');
const number = (name: string, value: string, min: number, max: number) => {
  const n = Number(value);
  if (!(n >= min && n <= max))
    throw new Error(`--${name}: expected a number from ${min} to ${max}`);
  return n;
};

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

async function room(): Promise<void> {
  const phones = number('room', values.room!, 1, 5000);
  const pace = number('pace', values.pace, 0.1, 1000);
  const apps = values.app.split(',').map((a) => a.trim().replace(/\/+$/, ''));
  console.log(
    `A room of ${phones} phones on ${apps.join(', ')}, at ${pace === 1 ? "a person's pace" : `${pace}× a person's pace`} (arriving over ${(60 / pace).toFixed(0)} s); Like rates ${[...truth].map(([v, r]) => `${v} ${(r * 100).toFixed(0)} %`).join(', ')}\n`,
  );
  const result = await runRoom({
    apps,
    phones,
    rates: truth,
    pace,
    leaveShare: number('leave', values.leave, 0, 1),
    printEveryMs: 5_000,
    onTick: (view) => console.log(`${projectorText(view)}\n`),
  });
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  console.log(`The projector at the end (${result.seconds.toFixed(0)} s):`);
  console.log(projectorText({ snapshot: result.projector, joined: phones, phones, result }));
  console.log(
    `\nThe phones: ${sum(result.shown)} greetings shown, ${result.likesTried} Likes given, ${sum(result.liked)} thanked for (counted), ${result.limited} refused by the per-client limit, ${result.failed} failed; ${result.reconnects} left and came back.`,
  );
  for (const [why, n] of result.failures) console.log(`  failed: ${n}× ${why}`);
  for (const [variant, shown] of [...result.shown].sort())
    console.log(
      `  ${variant}: ${shown} shown, ${result.liked.get(variant) ?? 0} liked by the phones`,
    );
  console.log(
    `First snapshot on a stream: at most ${result.firstSnapshotMs.connect.toFixed(0)} ms on connect, ${result.firstSnapshotMs.reconnect.toFixed(0)} ms on coming back. Connected, as the projector saw it: up to ${Math.max(...result.liveSeen)}, ${result.liveSeen[result.liveSeen.length - 1]} at the end.`,
  );
  if (result.limited > 0)
    console.log(
      `${result.limited} Likes were refused by greetings' per-client limit: every phone here shares this address; raise LIKES_PER_MINUTE_PER_CLIENT (default 300 a minute, docs/presenting.md).`,
    );
  if (result.failed > 0) process.exitCode = 1;
}

(values.room ? room() : main()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
