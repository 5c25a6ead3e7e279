import { randomBytes } from 'node:crypto';

// Random bytes are drawn from the CSPRNG 4 KiB at a time and handed out 16
// at a time (as Node does for randomUUID): one call into OpenSSL per 256 ids.
const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let offset = POOL_SIZE;

/** 128 random bits, URL-safe: unguessable, so nobody can like a greeting they were not shown. */
export function newImpressionId(): string {
  if (offset + 16 > pool.length) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + 16);
  offset += 16;
  return id;
}

export const IMPRESSION_ID = /^[A-Za-z0-9_-]{22}$/;
