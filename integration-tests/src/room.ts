/**
 * A room of phones in presenter mode (`npm run load -- --room 200`): each
 * phone opens the live stream (`/present/events`, read with the `eventsource`
 * package: the browser's EventSource for Node, reconnecting by itself),
 * opens /join, sends the form, reads its greeting, likes it with its
 * variant's probability through the page's own address (the Like form posts
 * to awesome-app, which passes it on to greetings), and reads the page it
 * comes back to, whose notice says whether the Like was counted. Some leave
 * (close the stream) and come back (open it again: the snapshot must come at
 * once). Everyone stays until the room is done, then leaves. The pace is a
 * person's (seconds between actions); `pace` speeds it up.
 */
import { EventSource } from 'eventsource';
import { variantOf, visitPage, type PageVisit } from './visitor';

/** What the projector shows (`/present/events`' snapshot), as far as the room reads it. */
export interface RoomSnapshot {
  phase?: number;
  state?: string;
  variants?: {
    name: string;
    shown: number;
    liked: number;
    likeRate: number;
    interval: [number, number];
    pBest: number;
  }[];
  best?: string | null;
  decisions?: { name: string; variant: string; strategy: string }[];
  live: number;
  greetings: 'live' | 'connecting' | 'away';
}

export interface RoomOptions {
  /** awesome-app addresses: phone i uses apps[i % apps.length] (replicas behind a load balancer). */
  apps: string[];
  phones: number;
  /** Like probability per variant; a variant not named: `otherRate`. */
  rates: ReadonlyMap<string, number>;
  otherRate?: number;
  /** 1 = a person's pace; 10 = ten times faster. */
  pace?: number;
  /** The share of phones that leave once and come back. */
  leaveShare?: number;
  /** Called with the projector's latest snapshot every `printEveryMs`. */
  onTick?: (view: RoomView) => void;
  printEveryMs?: number;
}

/** What the phones did, by variant, and what the room's projector showed. */
export interface RoomResult {
  /** Pages that showed a greeting with a Like button (each one impression). */
  shown: Map<string, number>;
  /** Likes the page afterwards thanked for (greetings counted them). */
  liked: Map<string, number>;
  likesTried: number;
  /** Likes refused by greetings' per-client limit (every phone here shares one address). */
  limited: number;
  /** Likes neither thanked for nor limited, and phones that could not go on: `failures` says why. */
  failed: number;
  failures: Map<string, number>;
  reconnects: number;
  /** The longest a stream waited for its first snapshot, on a first connect and on a return. */
  firstSnapshotMs: { connect: number; reconnect: number };
  /** Every `live` count the projector saw, in order. */
  liveSeen: number[];
  projector: RoomSnapshot | undefined;
  seconds: number;
}

export interface RoomView {
  snapshot: RoomSnapshot | undefined;
  joined: number;
  phones: number;
  result: RoomResult;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A person's pause: between `lo` and `hi` seconds, at the room's pace. */
const pause = (lo: number, hi: number, pace: number) =>
  sleep(((lo + Math.random() * (hi - lo)) * 1000) / pace);

/** Opens a stream and resolves with it once its first snapshot came, and how long that took. */
function openStream(
  url: string,
  onSnapshot?: (s: RoomSnapshot) => void,
): Promise<{ source: EventSource; ms: number }> {
  const started = performance.now();
  const source = new EventSource(`${url}/present/events`);
  return new Promise((resolve, reject) => {
    let first = true;
    const giveUp = setTimeout(() => {
      source.close();
      reject(new Error(`${url}/present/events: no snapshot within 30 s`));
    }, 30_000);
    source.addEventListener('experiment', (event) => {
      const snapshot = JSON.parse(String(event.data)) as RoomSnapshot;
      onSnapshot?.(snapshot);
      if (first) {
        first = false;
        clearTimeout(giveUp);
        resolve({ source, ms: performance.now() - started });
      }
    });
  });
}

/** Posts the Like form as the phone's browser does and reads the page it comes back to. */
async function like(app: string, form: NonNullable<PageVisit['like']>) {
  const action = new URL(form.action, app).toString();
  const res = await fetch(action, {
    method: 'POST',
    body: new URLSearchParams({ impression: form.impression, return_to: form.returnTo }),
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer();
  const location = res.headers.get('location');
  if (res.status !== 303 || !location)
    return { outcome: 'failed' as const, why: `the Like answered ${res.status}` };
  const back = await visitPage(new URL(location, app).toString());
  const notice = /<div class="notice notice-(\w+)" role="status">\s*<p id="like-notice">/.exec(
    back.html,
  )?.[1];
  const outcome = location.includes('limited=1')
    ? ('limited' as const)
    : notice === 'thanks'
      ? ('counted' as const)
      : ('failed' as const);
  return { outcome, back, why: `the page after the Like said ${notice ?? 'nothing'}` };
}

export async function runRoom(options: RoomOptions): Promise<RoomResult> {
  const pace = options.pace ?? 1;
  const leaveShare = options.leaveShare ?? 0.25;
  const otherRate = options.otherRate ?? 0.3;
  const apps = options.apps.map((a) => a.replace(/\/+$/, ''));
  const started = Date.now();
  const result: RoomResult = {
    shown: new Map(),
    liked: new Map(),
    likesTried: 0,
    limited: 0,
    failed: 0,
    failures: new Map(),
    reconnects: 0,
    firstSnapshotMs: { connect: 0, reconnect: 0 },
    liveSeen: [],
    projector: undefined,
    seconds: 0,
  };
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const countPage = (page: PageVisit) => {
    if (page.status === 200 && page.greeting && page.like)
      add(result.shown, variantOf(page.greeting));
  };

  // The projector: one more stream, on the first address.
  const projector = await openStream(apps[0]!, (s) => {
    result.projector = s;
    if (result.liveSeen[result.liveSeen.length - 1] !== s.live) result.liveSeen.push(s.live);
  });
  let joined = 0;
  const tick = setInterval(
    () => options.onTick?.({ snapshot: result.projector, joined, phones: options.phones, result }),
    options.printEveryMs ?? 5_000,
  );

  let done = 0;
  let allDone!: () => void;
  // Once every phone has had its turn the room watches a while longer (the
  // verdict; the projector catches up with every replica), then leaves.
  const roomDone = new Promise<void>((r) => (allDone = r)).then(() =>
    sleep(Math.max(2_000, 10_000 / pace)),
  );
  const phone = async (i: number) => {
    const app = apps[i % apps.length]!;
    // People arrive over the first minute, not all at once.
    await pause(0, 60, pace);
    let stream: EventSource | undefined;
    try {
      const first = await openStream(app);
      stream = first.source;
      result.firstSnapshotMs.connect = Math.max(result.firstSnapshotMs.connect, first.ms);
      const join = await fetch(`${app}/join`, { signal: AbortSignal.timeout(10_000) });
      await join.arrayBuffer();
      if (join.status !== 200) throw new Error(`/join answered ${join.status}`);
      joined++;
      await pause(5, 15, pace); // typing a name and two numbers
      const query = new URLSearchParams({ name: `Phone${i}`, x: String(i % 10), y: '2' });
      // The form is a GET: /calculate answers 303 to /Phone<i>/<x>/2, which fetch follows.
      const page = await visitPage(`${app}/calculate?${query.toString()}`);
      countPage(page);
      if (!page.greeting || !page.like)
        throw new Error(`the page answered ${page.status} with no Like button`);
      await pause(2, 6, pace); // reading the greeting
      const variant = variantOf(page.greeting);
      if (Math.random() < (options.rates.get(variant) ?? otherRate)) {
        result.likesTried++;
        const liked = await like(app, page.like);
        if (liked.back) countPage(liked.back);
        if (liked.outcome === 'counted') add(result.liked, variant);
        else if (liked.outcome === 'limited') result.limited++;
        else {
          result.failed++;
          add(result.failures, liked.why);
        }
      }
      if (Math.random() < leaveShare) {
        // The phone locks, or the browser goes to another tab: the stream ends.
        stream.close();
        stream = undefined;
        await pause(5, 20, pace);
        const again = await openStream(app);
        stream = again.source;
        result.reconnects++;
        result.firstSnapshotMs.reconnect = Math.max(result.firstSnapshotMs.reconnect, again.ms);
      }
    } catch (error) {
      result.failed++;
      const e = error as Error;
      add(result.failures, e.name === 'TimeoutError' ? 'no answer within 10 s' : e.message);
    }
    if (++done === options.phones) allDone();
    // The room watches the projector until the end, then everyone leaves.
    await roomDone;
    stream?.close();
  };
  await Promise.all(Array.from({ length: options.phones }, (_, i) => phone(i)));
  clearInterval(tick);
  result.seconds = (Date.now() - started) / 1000;
  // The projector sees them go; the caller reads result.liveSeen, then closes.
  await sleep(1_000);
  projector.source.close();
  return result;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** The projector's screen, as text. */
export function projectorText(view: RoomView): string {
  const s = view.snapshot;
  const lines = [
    `connected ${s?.live ?? '?'} · joined ${view.joined}/${view.phones} · phase ${s?.phase ?? '?'} (${s?.state ?? '?'})${s?.greetings === 'away' ? ' · greetings away' : ''}`,
  ];
  for (const v of s?.variants ?? [])
    lines.push(
      `  ${v.name.padEnd(8)} shown ${String(v.shown).padStart(5)}  liked ${String(v.liked).padStart(5)}  rate ${pct(v.likeRate).padStart(7)}  interval ${pct(v.interval[0])}–${pct(v.interval[1])}  P(best) ${pct(v.pBest)}`,
    );
  const decisions = (s?.decisions ?? [])
    .slice(0, 4)
    .map((d) => `${d.name}: ${d.variant} (${d.strategy})`);
  if (decisions.length > 0) lines.push(`  latest: ${decisions.join(', ')}`);
  lines.push(
    `  verdict: ${s?.best ? `"${s.best}" is best` : 'still learning (the stopping rule names no winner yet)'}`,
  );
  return lines.join('\n');
}
