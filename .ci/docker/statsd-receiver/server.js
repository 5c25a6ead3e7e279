// CI-only stand-in for graphiteapp/graphite-statsd (no registry here, see
// ../README.md). Plain Node, no dependencies.
//
// UDP 8125: StatsD lines, several per datagram separated by "\n":
//   name:value|c[|@rate][|#tags]   counter
//   name:value|ms / |h / |d        timer (histogram and distribution too)
//   name:[+-]value|g               gauge (a sign means a delta, as in StatsD)
//   name:value|s                   set
// HTTP 8080:
//   GET /                  200 "ok" (health)
//   GET /received          every metric seen: name, type, samples, and the
//                          Graphite names graphite-statsd would store it under
//   DELETE /received       forget everything (between tests)
//   GET /metrics/find?query=stats.*   Graphite's treejson answer over the
//                          stored names ({a,b}, *, ?, [..] per path segment)
//   GET /metrics/index.json  every stored leaf name
//
// Stored names follow StatsD's graphite backend with the default config that
// graphite-statsd ships (legacyNamespace on, flush_counts on, percentThreshold
// 90):  counter foo -> stats.foo (per second) and stats_counts.foo (count);
// timer foo -> stats.timers.foo.{mean,upper,lower,count,...,upper_90,...};
// gauge foo -> stats.gauges.foo; set foo -> stats.sets.foo.count.
// STATSD_LEGACY_NAMESPACE=false gives StatsD's other layout instead
// (stats.counters.foo.rate / stats.counters.foo.count).
// Unlike the real image, a name shows up at once, not after a 10 s flush.
'use strict';

const dgram = require('node:dgram');
const http = require('node:http');

const STATSD_PORT = Number(process.env.STATSD_PORT || 8125);
const HTTP_PORT = Number(process.env.HTTP_PORT || 8080);
const LEGACY = !/^(0|false|no)$/i.test(process.env.STATSD_LEGACY_NAMESPACE || 'true');
const PERCENTS = (process.env.STATSD_PERCENT_THRESHOLD || '90')
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean);
const MAX_METRICS = Number(process.env.MAX_METRICS || 10000);
const DEBUG = /^(1|true|yes)$/i.test(process.env.DEBUG || '');

const TYPES = { c: 'counter', ms: 'timer', h: 'timer', d: 'timer', g: 'gauge', s: 'set' };

/** @type {Map<string, object>} "type|name" -> entry */
const seen = new Map();
const stats = { packets_received: 0, metrics_received: 0, bad_lines_seen: 0, dropped: 0 };
const badLines = []; // the last few, to help whoever debugs a test

/** StatsD's own key sanitising (stats.js). */
function sanitize(key) {
  return key
    .replace(/\s+/g, '_')
    .replace(/\//g, '-')
    .replace(/[^a-zA-Z_\-0-9.]/g, '');
}

function timerSuffixes() {
  const out = [];
  for (const p of PERCENTS) {
    const clean = p.replace('.', '_').replace('-', 'top');
    const bound = Number(p) >= 0 ? 'upper' : 'lower';
    out.push(
      `count_${clean}`,
      `mean_${clean}`,
      `${bound}_${clean}`,
      `sum_${clean}`,
      `sum_squares_${clean}`,
    );
  }
  out.push('std', 'upper', 'lower', 'count', 'count_ps', 'sum', 'sum_squares', 'mean', 'median');
  return out;
}

/** The Graphite names graphite-statsd's StatsD would write for one metric. */
function storedNames(key, type) {
  switch (type) {
    case 'counter':
      return LEGACY
        ? [`stats.${key}`, `stats_counts.${key}`]
        : [`stats.counters.${key}.rate`, `stats.counters.${key}.count`];
    case 'timer':
      return timerSuffixes().map((s) => `stats.timers.${key}.${s}`);
    case 'gauge':
      return [`stats.gauges.${key}`];
    case 'set':
      return [`stats.sets.${key}.count`];
    default:
      return [];
  }
}

/** StatsD's own counters, stored like any counter (plus statsd.numStats etc.). */
function internalStoredNames() {
  const names = ['bad_lines_seen', 'packets_received', 'metrics_received'].flatMap((n) =>
    storedNames(`statsd.${n}`, 'counter'),
  );
  names.push(LEGACY ? 'statsd.numStats' : 'stats.statsd.numStats', 'stats.statsd.processing_time');
  for (const s of [
    'calculationtime',
    'flush_length',
    'flush_time',
    'last_exception',
    'last_flush',
  ]) {
    names.push(`stats.statsd.graphiteStats.${s}`);
  }
  return names;
}

function bad(line, why) {
  stats.bad_lines_seen += 1;
  badLines.push({ line: line.slice(0, 200), why });
  if (badLines.length > 20) badLines.shift();
  if (DEBUG) console.log(`bad line (${why}): ${line}`);
}

function record(rawName, value, code, rate, tags) {
  const type = TYPES[code];
  const key = sanitize(rawName);
  if (!key) return bad(rawName, 'empty name');
  if (type !== 'set' && !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value))
    return bad(`${rawName}:${value}|${code}`, 'not a number');
  const id = `${type}|${key}`;
  let entry = seen.get(id);
  if (!entry) {
    if (seen.size >= MAX_METRICS) {
      stats.dropped += 1;
      return undefined;
    }
    entry = {
      name: key,
      type,
      samples: 0,
      stored: storedNames(key, type),
      tags: [],
      firstSeen: new Date().toISOString(),
    };
    if (rawName !== key) entry.sentAs = rawName;
    if (type === 'counter') entry.count = 0;
    if (type === 'timer') Object.assign(entry, { min: null, max: null, sum: 0 });
    if (type === 'gauge') entry.value = 0;
    if (type === 'set') entry.unique = new Set();
    seen.set(id, entry);
  }
  entry.samples += 1;
  entry.lastSeen = new Date().toISOString();
  for (const t of tags) if (!entry.tags.includes(t) && entry.tags.length < 50) entry.tags.push(t);
  const n = Number(value);
  if (type === 'counter') entry.count += n / rate;
  else if (type === 'timer') {
    entry.min = entry.min === null ? n : Math.min(entry.min, n);
    entry.max = entry.max === null ? n : Math.max(entry.max, n);
    entry.sum += n;
  } else if (type === 'gauge') entry.value = /^[+-]/.test(value) ? entry.value + n : n;
  else if (type === 'set' && entry.unique.size < 10000) entry.unique.add(value);
  stats.metrics_received += 1;
  return undefined;
}

/**
 * One line. Without DogStatsD tags StatsD allows several samples per line
 * ("a:1|c:2|c"); with "|#tag:value" tags, ':' belongs to the tags, so one.
 */
function parseLine(line) {
  const colon = line.indexOf(':');
  if (colon <= 0) return bad(line, 'no name:value');
  const name = line.slice(0, colon);
  const rest = line.slice(colon + 1);
  const samples = rest.includes('|#') ? [rest] : rest.split(':');
  for (const sample of samples) {
    const fields = sample.split('|');
    if (fields.length < 2) return bad(line, 'no |type');
    const [value, code, ...extra] = fields;
    if (!TYPES[code]) return bad(line, `unknown type ${code}`);
    let rate = 1;
    let tags = [];
    for (const field of extra) {
      if (field.startsWith('@')) {
        rate = Number(field.slice(1));
        if (!(rate > 0 && rate <= 1)) return bad(line, 'bad sample rate');
      } else if (field.startsWith('#')) {
        tags = field.slice(1).split(',').filter(Boolean);
      } else if (!/^[Tc]/.test(field)) {
        // DogStatsD's |T<timestamp> and |c:<container> are ignored; the rest is bad.
        return bad(line, `unknown field ${field}`);
      }
    }
    record(name, value, code, rate, tags);
  }
  return undefined;
}

const udp = dgram.createSocket('udp4');
udp.on('message', (message) => {
  stats.packets_received += 1;
  for (const raw of message.toString('utf8').split('\n')) {
    const line = raw.trim();
    if (line) parseLine(line);
  }
});
udp.on('error', (error) => {
  console.error(`udp: ${error.message}`);
  process.exit(1);
});

function allStored() {
  const names = new Set(internalStoredNames());
  for (const entry of seen.values()) for (const n of entry.stored) names.add(n);
  return [...names].sort();
}

/** A Graphite glob for one path segment -> RegExp. */
function segmentRegExp(glob) {
  let out = '';
  for (let i = 0; i < glob.length; i += 1) {
    const ch = glob[i];
    if (ch === '*') out += '[^.]*';
    else if (ch === '?') out += '[^.]';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        out += `[${glob.slice(i + 1, end).replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (ch === '{') {
      const end = glob.indexOf('}', i + 1);
      if (end < 0) out += '\\{';
      else {
        out += `(?:${glob
          .slice(i + 1, end)
          .split(',')
          .map((alt) => alt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('|')})`;
        i = end;
      }
    } else out += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Graphite's /metrics/find: the nodes (branches and leaves) a query matches. */
function find(query) {
  // Split on dots outside {...}: "stats.{a.b,c}" is not a Graphite thing, keep it simple.
  const patterns = query.split('.').map(segmentRegExp);
  const nodes = new Map();
  for (const name of allStored()) {
    const parts = name.split('.');
    if (parts.length < patterns.length) continue;
    if (!patterns.every((re, i) => re.test(parts[i]))) continue;
    const id = parts.slice(0, patterns.length).join('.');
    const leaf = parts.length === patterns.length;
    const node = nodes.get(id) || {
      leaf: false,
      branch: false,
      text: parts[patterns.length - 1],
      id,
    };
    if (leaf) node.leaf = true;
    else node.branch = true;
    nodes.set(id, node);
  }
  const out = [];
  for (const node of [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id))) {
    // A name can be both (stats.foo next to stats.foo.bar): Graphite lists both.
    if (node.branch)
      out.push({
        leaf: 0,
        context: {},
        text: node.text,
        expandable: 1,
        id: node.id,
        allowChildren: 1,
      });
    if (node.leaf)
      out.push({
        leaf: 1,
        context: {},
        text: node.text,
        expandable: 0,
        id: node.id,
        allowChildren: 0,
      });
  }
  return out;
}

function received() {
  const metrics = [...seen.values()]
    .map(({ unique, ...entry }) => (unique ? { ...entry, unique: unique.size } : entry))
    .sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type));
  const stored = new Set();
  for (const m of metrics) for (const n of m.stored) stored.add(n);
  return {
    namespace: LEGACY ? 'legacy' : 'counters',
    statsd: stats,
    badLines,
    metrics,
    stored: [...stored].sort(),
  };
}

function send(res, status, body) {
  const json = typeof body !== 'string';
  res.writeHead(status, {
    'content-type': json ? 'application/json' : 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(json ? `${JSON.stringify(body, null, 1)}\n` : body);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://receiver');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (path === '/' && (req.method === 'GET' || req.method === 'HEAD'))
    return send(res, 200, 'ok\n');
  if (path === '/received' && req.method === 'GET') return send(res, 200, received());
  if (path === '/received' && req.method === 'DELETE') {
    seen.clear();
    badLines.length = 0;
    for (const k of Object.keys(stats)) stats[k] = 0;
    return send(res, 200, { cleared: true });
  }
  if (path === '/metrics/find' && req.method === 'GET') {
    const query = url.searchParams.get('query');
    if (!query) return send(res, 400, { error: 'query is required' });
    return send(res, 200, find(query));
  }
  if (path === '/metrics/index.json' && req.method === 'GET') return send(res, 200, allStored());
  return send(res, 404, { error: `no route for ${req.method} ${url.pathname}` });
});

udp.bind(STATSD_PORT, '0.0.0.0', () => {
  server.listen(HTTP_PORT, '0.0.0.0', () => {
    console.log(
      `statsd-receiver: StatsD on udp/${STATSD_PORT}, HTTP on ${HTTP_PORT} (${LEGACY ? 'legacy' : 'counters'} namespace)`,
    );
  });
});

// As PID 1 in a container, Node gets no default signal handling: without
// these, `docker stop` waits its full timeout. Nothing is kept, so just go.
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
