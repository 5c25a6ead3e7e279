import type { Request } from 'express';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/**
 * Who a request comes from, for per-client limits (Likes, the sign-in
 * throttle). The socket's address, unless the `trust proxy` setting
 * (TRUST_PROXY) names the proxies in front: then the `X-Forwarded-For` hop
 * Express' `req.ip` picks (the first one not a trusted proxy), normalised by
 * `clientKey`. A hop that is not an address at all ("10.2.2.2:x", "for=…",
 * anything a client may type) counts as the proxy that passed it on (the
 * nearest trusted one), never as a new client of its own.
 */
export function clientAddress(req: Request): string {
  const socket = req.socket.remoteAddress ?? 'unknown';
  // Nearest first: the socket, then each trusted proxy's view up to the client (Express' proxy-addr).
  const chain = [socket, ...[...req.ips].reverse()];
  for (let i = chain.length - 1; i > 0; i--) {
    const key = clientKey(chain[i]!);
    if (key !== undefined) return key;
  }
  return clientKey(socket) ?? socket;
}

/**
 * An address as one client: port and brackets dropped (`1.2.3.4:80`,
 * `[2001:db8::1]:443`), IPv4-mapped IPv6 as IPv4, IPv6 by its /64 (one
 * household or host usually has a whole /64 and could otherwise take a fresh
 * address for every request). Undefined when it is not an address.
 */
export function clientKey(value: string): string | undefined {
  let text = value.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text);
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(text);
  if (bracketed) text = bracketed[1]!;
  else if (withPort) text = withPort[1]!;
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) ip = ipaddr.IPv4.parse(text);
  else if (ipaddr.IPv6.isValid(text)) ip = ipaddr.IPv6.parse(text);
  else return undefined;
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
