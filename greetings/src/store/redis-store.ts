import type { Redis } from 'ioredis';
import type { Logger } from '@friendly-calculator/common';
import type { AuditEntry, PhaseDefinition, PhaseRecord, PhaseState } from '../experiment/phase';
import type { Counts } from '../experiment/statistics';
import {
  IDEMPOTENCY_SECONDS,
  NoPhase,
  StoreUnavailable,
  USED_MEMORY_SECONDS,
  parseChange,
  type ExperimentChange,
  type ExperimentStore,
  type ImpressionStatus,
  type Claim,
  type KeptOutcome,
  type LikeOutcome,
  type NumberedAuditEntry,
  type TransitionResult,
} from '../experiment/store';
import { closeRedisClient, createRedisClient, type RedisTarget } from './redis-client';

/**
 * Keys. Only impressions carry a TTL: with Redis' `maxmemory-policy
 * volatile-lru` (compose sets it) they are the only keys Redis may ever
 * evict; phases, counts and the audit log are never evicted.
 *   greetings:phase              the current phase's number
 *   greetings:phase:<n>          hash: definition (JSON), state, shipped, endedAt,
 *                                s:<variant> (shown), l:<variant> (liked)
 *   greetings:audit              list of JSON entries, oldest first (append-only)
 *   greetings:impression:<id>    `p:<n>:<variant>` until liked, then `liked:<n>:<variant>`
 *   greetings:idempotency:<key>  an admin action's kept outcome (JSON), 24 h
 *   greetings:idempotency-held:<key>  the fingerprint of the request acting on it, seconds
 *   greetings:notice:<id>        the admin page's outcome note after a redirect, a minute
 * The last two carry a TTL too: under memory pressure Redis may evict them
 * before they expire, which `maxmemory-policy` allows for volatile keys.
 */
const CURRENT = 'greetings:phase';
const AUDIT = 'greetings:audit';
const PHASE_PREFIX = 'greetings:phase:';
const phaseKey = (n: number) => `${PHASE_PREFIX}${n}`;
const impressionKey = (id: string) => `greetings:impression:${id}`;
const idempotencyKey = (key: string) => `greetings:idempotency:${key}`;
const heldKey = (key: string) => `greetings:idempotency-held:${key}`;
const noticeKey = (id: string) => `greetings:notice:${id}`;
/** The pub/sub channel of announce()/subscribe(): every replica's changes, as JSON. */
const CHANGES = 'greetings:changes';

// Every script checks everything first and only then writes, so an error or
// a refusal can never leave half a write behind. The `#!lua` line makes
// Redis refuse the whole script up front when it is out of memory, instead
// of failing at the first write.

const INITIALIZE = `#!lua
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[2], 'definition', ARGV[1], 'state', 'running')
redis.call('SET', KEYS[1], '1')
redis.call('RPUSH', KEYS[3], ARGV[2])
return 1`;

const RECORD_IMPRESSION = `#!lua
local ttl = tonumber(ARGV[3])
if not ttl or ttl < 1 or ttl ~= math.floor(ttl) then
  return redis.error_reply('ERR impression TTL must be a whole number of seconds')
end
if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('HGET', KEYS[2], 'state') ~= 'running' then
  return {'stale'}
end
redis.call('SET', KEYS[3], 'p:' .. ARGV[1] .. ':' .. ARGV[2], 'EX', ttl)
redis.call('HINCRBY', KEYS[2], 's:' .. ARGV[2], 1)
local fields = {}
for i = 4, #ARGV do
  fields[#fields + 1] = 's:' .. ARGV[i]
  fields[#fields + 1] = 'l:' .. ARGV[i]
end
local counts = redis.call('HMGET', KEYS[2], unpack(fields))
table.insert(counts, 1, 'ok')
return counts`;

const LIKE = `#!lua
local value = redis.call('GET', KEYS[1])
if not value then return {'unknown'} end
local kind, phase, variant = string.match(value, '^(%a+):(%d+):(.+)$')
if kind == 'liked' then return {'used', phase, variant} end
local current = redis.call('GET', KEYS[2])
if phase ~= current then return {'ended', phase, variant} end
if current ~= ARGV[1] then return {'stale'} end
local state = redis.call('HGET', KEYS[3], 'state')
if state ~= 'running' then return {state, phase, variant} end
redis.call('SET', KEYS[1], 'liked:' .. phase .. ':' .. variant, 'EX', ARGV[2])
redis.call('HINCRBY', KEYS[3], 'l:' .. variant, 1)
return {'liked', phase, variant}`;

// ARGV[7] = '1': keep the outcome under KEYS[5] (an idempotency key) in
// this same step (and let its hold, KEYS[6], go), and answer an outcome kept
// there already without acting.
const TRANSITION = `#!lua
local remember = ARGV[7] == '1'
if remember then
  local kept = redis.call('GET', KEYS[5])
  if kept then return {'replay', kept} end
end
if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('HGET', KEYS[2], 'state') ~= ARGV[2]
  or (ARGV[3] == 'start' and redis.call('EXISTS', KEYS[3]) == 1) then
  if remember then
    redis.call('SET', KEYS[5], ARGV[10], 'EX', ARGV[8])
    redis.call('DEL', KEYS[6])
  end
  return {'stale'}
end
if ARGV[3] == 'start' then
  redis.call('HSET', KEYS[3], 'definition', ARGV[4], 'state', 'running')
  redis.call('HSET', KEYS[2], 'endedAt', ARGV[5])
  redis.call('SET', KEYS[1], tostring(tonumber(ARGV[1]) + 1))
else
  redis.call('HSET', KEYS[2], 'state', ARGV[4], 'shipped', ARGV[5])
end
redis.call('RPUSH', KEYS[4], ARGV[6])
if remember then
  redis.call('SET', KEYS[5], ARGV[9], 'EX', ARGV[8])
  redis.call('DEL', KEYS[6])
end
return {'done'}`;

// One page of phases in one round trip: the current number, then the
// hashes of up to ARGV[2] phases below ARGV[1] (0: from the current one).
const PHASES = `#!lua flags=no-writes
local current = tonumber(redis.call('GET', KEYS[1]))
if not current then return {0} end
local top = current
local before = tonumber(ARGV[1])
if before > 0 and before - 1 < top then top = before - 1 end
local page = {current}
for n = top, math.max(1, top - tonumber(ARGV[2]) + 1), -1 do
  page[#page + 1] = n
  page[#page + 1] = redis.call('HGETALL', KEYS[2] .. n)
end
return page`;

// An idempotency key as a request finds it: KEYS[1] its kept outcome,
// KEYS[2] its hold (the fingerprint of the request acting on it, ARGV[1],
// for ARGV[2] seconds).
const CLAIM = `#!lua
local kept = redis.call('GET', KEYS[1])
if kept then return {'kept', kept} end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'EX', ARGV[2]) then return {'claimed'} end
return {'in_progress', redis.call('GET', KEYS[2]) or ''}`;

// Keeps a refusal's outcome under KEYS[1] (unless one is kept already) and lets the hold KEYS[2] go.
const KEEP = `#!lua
redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2])
redis.call('DEL', KEYS[2])
return 1`;

interface ScriptedRedis extends Redis {
  phasesPage(current: string, prefix: string, before: number, limit: number): Promise<unknown[]>;
  initialize(
    current: string,
    phase: string,
    audit: string,
    def: string,
    entry: string,
  ): Promise<number>;
  recordImpression(
    current: string,
    phase: string,
    impression: string,
    n: number,
    variant: string,
    ttl: number,
    ...variants: string[]
  ): Promise<(string | null)[]>;
  likeImpression(
    impression: string,
    current: string,
    phase: string,
    n: number,
    usedTtl: number,
  ): Promise<string[]>;
  transition(
    current: string,
    phase: string,
    next: string,
    audit: string,
    idempotency: string,
    held: string,
    n: number,
    state: string,
    kind: string,
    a: string,
    b: string,
    entry: string,
    remember: '0' | '1',
    ttl: number,
    done: string,
    stale: string,
  ): Promise<string[]>;
  claim(kept: string, held: string, fingerprint: string, seconds: number): Promise<string[]>;
  keepOutcome(kept: string, held: string, outcome: string, seconds: number): Promise<number>;
}

export interface RedisStoreOptions {
  target: RedisTarget;
  logger: Logger;
  /** A command that takes longer fails, so a hung Redis cannot hang a request. */
  commandTimeoutMs?: number;
  /**
   * A Like or an admin action is acknowledged only once this many replicas
   * have it (`WAIT`); if fewer confirm within `waitTimeoutMs`, it is
   * `uncertain`: written on the primary, maybe lost if the primary dies now.
   */
  minReplicasAck?: number;
  /** How long `WAIT` waits for the replicas: below the command timeout. */
  waitTimeoutMs?: number;
}

/**
 * Whether a failed command may have run: yes unless Redis refused it (an
 * error reply: the scripts write nothing when they refuse) or it was never
 * sent (no connection). A timeout, or a connection lost while the command
 * was on its way, leaves it unknown.
 */
function mayHaveRun(error: unknown): boolean {
  // ioredis' ReplyError (Redis answered with an error).
  if (error instanceof Error && error.name === 'ReplyError') return false;
  const message = error instanceof Error ? error.message : String(error);
  return !/Stream isn't writeable|enableOfflineQueue/i.test(message);
}

function toRecord(n: number, hash: Record<string, string>): PhaseRecord {
  const definition = JSON.parse(hash.definition ?? 'null') as PhaseDefinition | null;
  if (!definition) throw new Error(`phase ${n} has no definition in Redis`);
  return {
    ...definition,
    state: (hash.state ?? 'running') as PhaseState,
    shipped: hash.shipped ? hash.shipped : null,
    endedAt: hash.endedAt ?? null,
    counts: definition.variants.map((v) => ({
      shown: Number(hash[`s:${v.name}`] ?? 0),
      liked: Number(hash[`l:${v.name}`] ?? 0),
    })),
  };
}

/** HGETALL's flat `[field, value, …]` as Lua returns it, as an object. */
function pairs(flat: string[]): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i]!] = flat[i + 1]!;
  return hash;
}

export function createRedisStore({
  target,
  logger,
  commandTimeoutMs = 500,
  minReplicasAck = 0,
  waitTimeoutMs = Math.max(50, commandTimeoutMs - 200),
}: RedisStoreOptions): ExperimentStore {
  // Fails fast while Redis is away instead of queueing commands without bound.
  const redis = createRedisClient(target, {
    logger,
    purpose: 'store',
    commandTimeoutMs,
    // Commands issued in the same turn of the event loop (greetings for several
    // pages that arrived together) go out in one write and come back in one read.
    autoPipelining: true,
  }) as ScriptedRedis;
  redis.defineCommand('initialize', { numberOfKeys: 3, lua: INITIALIZE });
  redis.defineCommand('recordImpression', { numberOfKeys: 3, lua: RECORD_IMPRESSION });
  redis.defineCommand('likeImpression', { numberOfKeys: 3, lua: LIKE });
  redis.defineCommand('transition', { numberOfKeys: 6, lua: TRANSITION });
  redis.defineCommand('claim', { numberOfKeys: 2, lua: CLAIM });
  redis.defineCommand('keepOutcome', { numberOfKeys: 2, lua: KEEP });
  // The history's own connection: a page's answer never queues ahead of a
  // greeting's or a Like's on the same socket.
  const reads = createRedisClient(target, {
    logger,
    purpose: 'history reads',
    commandTimeoutMs,
  }) as ScriptedRedis;
  for (const client of [redis, reads])
    client.defineCommand('phasesPage', { numberOfKeys: 2, lua: PHASES });
  /** The reads' connection, or the main one while it is not (yet, or again) ready. */
  const reader = () => (reads.status === 'ready' ? reads : redis);

  // subscribe(): one more connection (a subscribed one can send nothing else),
  // made from the same options, opened on the first subscribe only.
  const listeners = new Set<(change: ExperimentChange) => void>();
  let subscriber: Redis | undefined;
  const tell = (change: ExperimentChange) => {
    for (const listener of listeners) listener(change);
  };
  const subscribe = (): Redis => {
    // Queued until connected (only SUBSCRIBE is ever sent); ioredis subscribes
    // again by itself after a reconnect. No command timeout: it waits for messages.
    const connection = redis.duplicate({ enableOfflineQueue: true, commandTimeout: undefined });
    connection.on('error', () => undefined); // the main connection logs Redis being away
    let readyBefore = false;
    connection.on('ready', () => {
      // Back after being away: changes may have been missed meanwhile.
      if (readyBefore) tell({ kind: 'resync', at: new Date().toISOString() });
      readyBefore = true;
    });
    connection.on('message', (_channel: string, raw: string) => {
      const change = parseChange(raw);
      if (change) tell(change);
    });
    connection.subscribe(CHANGES).catch(() => undefined);
    return connection;
  };

  const call = async <T>(command: () => Promise<T>, client: Redis = redis): Promise<T> => {
    if (client.status !== 'ready') throw new StoreUnavailable(`redis is ${client.status}`);
    try {
      return await command();
    } catch (error) {
      if (error instanceof NoPhase || error instanceof StoreUnavailable) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new StoreUnavailable(message, mayHaveRun(error));
    }
  };

  /**
   * After a write: until `minReplicasAck` replicas have it, it lives on the
   * primary alone and a failover now would lose it, so it is not
   * acknowledged: `uncertain` (it may count; retrying is safe).
   */
  const replicated = async (): Promise<void> => {
    if (minReplicasAck < 1) return;
    let acked: number;
    try {
      acked = await redis.wait(minReplicasAck, waitTimeoutMs);
    } catch (error) {
      // The write is done: whatever stopped the WAIT (even a connection lost
      // before it was sent), the Like may count.
      throw new StoreUnavailable(
        `written on the primary, not confirmed by a replica: ${(error as Error).message}`,
        true,
      );
    }
    if (acked < minReplicasAck)
      throw new StoreUnavailable(
        `written on the primary, but ${acked} of ${minReplicasAck} replicas confirmed within ${waitTimeoutMs} ms`,
        true,
      );
  };

  const readPhase = async (n: number) => toRecord(n, await redis.hgetall(phaseKey(n)));
  const currentNumber = async () => {
    const n = Number(await redis.get(CURRENT));
    if (!Number.isSafeInteger(n) || n < 1) throw new NoPhase('the experiment has no phase yet');
    return n;
  };

  return {
    kind: 'redis',
    initialize: (first, entry) =>
      call(() =>
        redis.initialize(CURRENT, phaseKey(1), AUDIT, JSON.stringify(first), JSON.stringify(entry)),
      ).then(() => undefined),
    current: () => call(async () => readPhase(await currentNumber())),
    phases: ({ limit, before }) =>
      call(async () => {
        const [current, ...flat] = await reader().phasesPage(
          CURRENT,
          PHASE_PREFIX,
          before ?? 0,
          limit,
        );
        if (!current) throw new NoPhase('the experiment has no phase yet');
        const records: PhaseRecord[] = [];
        for (let i = 0; i + 1 < flat.length; i += 2)
          records.push(toRecord(Number(flat[i]), pairs(flat[i + 1] as string[])));
        return records;
      }, reader()),
    recordImpression: (phase, variants, variant, impression, ttlSeconds) =>
      call(async (): Promise<Counts[] | 'stale'> => {
        const [status, ...flat] = await redis.recordImpression(
          CURRENT,
          phaseKey(phase),
          impressionKey(impression),
          phase,
          variant,
          ttlSeconds,
          ...variants,
        );
        if (status !== 'ok') return 'stale';
        return variants.map((_, i) => ({
          shown: Number(flat[2 * i] ?? 0),
          liked: Number(flat[2 * i + 1] ?? 0),
        }));
      }),
    like: (impression, phase) =>
      call(async (): Promise<LikeOutcome | 'stale'> => {
        const [status, n, variant] = await redis.likeImpression(
          impressionKey(impression),
          CURRENT,
          phaseKey(phase),
          phase,
          USED_MEMORY_SECONDS,
        );
        if (status === 'liked') await replicated();
        if (status === 'stale') return 'stale';
        if (status === 'unknown' || n === undefined || variant === undefined)
          return { status: 'unknown' };
        const about = { phase: Number(n), variant };
        switch (status) {
          case 'liked':
          case 'used':
          case 'ended':
          case 'paused':
          case 'shipped':
            return { status, ...about };
          default:
            throw new Error(`unexpected answer from the Like script: ${status}`);
        }
      }),
    impressionStatus: (impression) =>
      call(async (): Promise<ImpressionStatus> => {
        const value = await redis.get(impressionKey(impression));
        const match = /^(p|liked):(\d+):(.+)$/.exec(value ?? '');
        if (!match) return { status: 'unknown' };
        return {
          status: match[1] === 'liked' ? 'liked' : 'pending',
          phase: Number(match[2]),
          variant: match[3]!,
        };
      }),
    transition: (expected, change, entry, remember) =>
      call(async (): Promise<TransitionResult> => {
        const [a, b] =
          change.kind === 'start'
            ? [JSON.stringify(change.definition), change.endedAt]
            : [change.state, change.shipped ?? ''];
        const [kind, kept] = await redis.transition(
          CURRENT,
          phaseKey(expected.phase),
          phaseKey(expected.phase + 1),
          AUDIT,
          idempotencyKey(remember?.key ?? '-'),
          heldKey(remember?.key ?? '-'),
          expected.phase,
          expected.state,
          change.kind,
          a,
          b,
          JSON.stringify(entry),
          remember ? '1' : '0',
          IDEMPOTENCY_SECONDS,
          JSON.stringify(remember?.done ?? null),
          JSON.stringify(remember?.stale ?? null),
        );
        if (kind === 'done') await replicated();
        if (kind === 'replay') return { kind, outcome: JSON.parse(kept!) as KeptOutcome };
        if (kind === 'done' || kind === 'stale') return { kind };
        throw new Error(`unexpected answer from the transition script: ${kind}`);
      }),
    claim: (key, fingerprint, holdSeconds) =>
      call(async (): Promise<Claim> => {
        const [kind, value] = await redis.claim(
          idempotencyKey(key),
          heldKey(key),
          fingerprint,
          holdSeconds,
        );
        if (kind === 'kept') return { kind, outcome: JSON.parse(value!) as KeptOutcome };
        if (kind === 'in_progress') return { kind, fingerprint: value ?? '' };
        return { kind: 'claimed' };
      }),
    keep: (key, outcome) =>
      call(async () => {
        await redis.keepOutcome(
          idempotencyKey(key),
          heldKey(key),
          JSON.stringify(outcome),
          IDEMPOTENCY_SECONDS,
        );
      }),
    release: (key) =>
      call(async () => {
        await redis.del(heldKey(key));
      }),
    audit: ({ limit, before }) =>
      call(async () => {
        const end = Math.min(await redis.llen(AUDIT), (before ?? Infinity) - 1);
        const start = Math.max(0, end - limit);
        if (end <= 0) return [];
        const raw = await redis.lrange(AUDIT, start, end - 1);
        return raw
          .map((e, i): NumberedAuditEntry => ({
            ...(JSON.parse(e) as AuditEntry),
            id: start + i + 1,
          }))
          .reverse();
      }),
    putNotice: (id, text, ttlSeconds) =>
      call(() => redis.set(noticeKey(id), text, 'EX', ttlSeconds)).then(() => undefined),
    getNotice: (id) => call(() => redis.get(noticeKey(id))),
    announce(change) {
      // Fire and forget: a change that does not reach Redis is a live view a moment late.
      redis.publish(CHANGES, JSON.stringify(change)).catch(() => undefined);
    },
    subscribe(listener) {
      listeners.add(listener);
      subscriber ??= subscribe();
      return () => listeners.delete(listener);
    },
    ping: () => call(() => redis.ping()).then(() => undefined),
    close: async () => {
      listeners.clear();
      const connections = subscriber ? [redis, reads, subscriber] : [redis, reads];
      await Promise.all(connections.map((connection) => closeRedisClient(connection)));
    },
  };
}
