import type { Request } from 'express';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/**
 * Who a request comes from, for per-client limits. Express' `req.ip` is the
 * socket's address unless the `trust proxy` setting (TRUST_PROXY) names the
 * proxies in front, whose `X-Forwarded-For` is then believed. IPv6 clients
 * are grouped by their /64: one household or one host usually has a whole
 * /64 and could otherwise take a fresh address for every request.
 */
export function clientAddress(req: Request): string {
  return clientKey(req.ip ?? req.socket.remoteAddress ?? 'unknown');
}

export function clientKey(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress())
    ip = (ip as ipaddr.IPv6).toIPv4Address();
  if (ip.kind() === 'ipv4') return ip.toString();
  const parts = (ip as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toString()}/64`;
}

const NAMED = ['loopback', 'linklocal', 'uniquelocal'];
const isAddressOrRange = (s: string) =>
  NAMED.includes(s) || ipaddr.isValid(s) || (s.includes('/') && isCidr(s));
function isCidr(s: string): boolean {
  try {
    ipaddr.parseCIDR(s);
    return true;
  } catch {
    return false;
  }
}

/**
 * TRUST_PROXY as Express' `trust proxy` takes it: unset (trust nobody: the
 * socket's address), a number of proxy hops, or a comma-separated list of
 * addresses, CIDR ranges and `loopback`/`linklocal`/`uniquelocal`. `true`
 * (believe any X-Forwarded-For) is refused: every client could then name
 * itself anything and escape its limits.
 */
export const trustProxyEnv = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined),
  z
    .string()
    .refine(
      (s) =>
        /^\d{1,2}$/.test(s) ||
        s
          .split(',')
          .map((p) => p.trim())
          .every(isAddressOrRange),
      'expected a number of proxy hops, or addresses, CIDR ranges, loopback, linklocal or uniquelocal separated by commas (never "true": any client could then pick its own address)',
    )
    .transform((s): number | string[] =>
      /^\d{1,2}$/.test(s) ? Number(s) : s.split(',').map((p) => p.trim()),
    )
    .optional(),
);
