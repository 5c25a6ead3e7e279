/**
 * `npm run bench -- --streams N`'s other side, in its own process so its
 * work is not the load generator's: N live streams held open on
 * `/present/events` (the `eventsource` package, as the phones' browsers),
 * and, while told `on` on stdin, a steady rate of Likes (shown and liked
 * through greetings' JSON API), each of which every stream hears. It prints
 * `ready` once every stream has its first snapshot, and after `off` one line
 * of JSON: what happened while it was on.
 *
 *   node streams-load.js <awesome-app url> <greetings url> <streams> <likes per second>
 */
import { createInterface } from 'node:readline';
import { EventSource } from 'eventsource';

const [appUrl, greetingsUrl, streamsText, rateText] = process.argv.slice(2);
const streams = Number(streamsText);
const rate = Number(rateText);

let events = 0;
let ready = 0;
const sources = Array.from({ length: streams }, () => {
  const source = new EventSource(`${appUrl}/present/events`);
  let first = true;
  source.addEventListener('experiment', () => {
    events++;
    if (first) {
      first = false;
      if (++ready === streams) process.stdout.write('ready\n');
    }
  });
  return source;
});

let timer: NodeJS.Timeout | undefined;
let period = { began: 0, events: 0, likes: 0, failed: 0 };
let n = 0;
const like = async () => {
  try {
    const shown = (await (
      await fetch(`${greetingsUrl}/greeting/Bench${n++}`, {
        headers: { accept: 'application/json' },
      })
    ).json()) as { impression?: string };
    const res = await fetch(`${greetingsUrl}/like_greeting`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ impression: shown.impression }),
    });
    await res.arrayBuffer();
    if (res.status === 200) period.likes++;
    else period.failed++;
  } catch {
    period.failed++;
  }
};

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'on' && !timer) {
    period = { began: Date.now(), events, likes: 0, failed: 0 };
    timer = setInterval(() => void like(), 1000 / rate);
  } else if (line === 'off' && timer) {
    clearInterval(timer);
    timer = undefined;
    const seconds = (Date.now() - period.began) / 1000;
    process.stdout.write(
      `${JSON.stringify({ seconds, likes: period.likes, failed: period.failed, events: events - period.events, open: sources.filter((s) => s.readyState === EventSource.OPEN).length })}\n`,
    );
  } else if (line === 'exit') {
    for (const s of sources) s.close();
    process.exit(0);
  }
});
