import { randomFillSync } from 'node:crypto';

/**
 * Random bytes from the CSPRNG, drawn 4 KiB at a time and handed out a few
 * at a time (as Node does for `randomUUID`): one call into OpenSSL per 256
 * ids of 16 bytes instead of one per id. For ids that must be unguessable
 * (impressions) or merely unique (trace and span ids).
 */
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

/** `bytes` (at most 4096) fresh random bytes, encoded. */
export function randomString(bytes: number, encoding: 'hex' | 'base64url'): string {
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const text = pool.toString(encoding, offset, offset + bytes);
  offset += bytes;
  return text;
}
