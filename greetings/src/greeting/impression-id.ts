import { randomString } from '@friendly-calculator/common';

/** 128 random bits, URL-safe: unguessable, so nobody can like a greeting they were not shown. */
export function newImpressionId(): string {
  return randomString(16, 'base64url');
}

export const IMPRESSION_ID = /^[A-Za-z0-9_-]{22}$/;
