/**
 * Who is calling: the client address (through `trustProxy` hops of X-Forwarded-For) and whether it is on the
 * allow-list. ThingSpace sends from published addresses and expects listeners to allow-list them (THINGSPACE.md
 * §4); an empty list allows everyone (the config loader warns about it at start).
 */
import { BlockList, isIPv4 } from 'node:net';
import type { Cidr } from '../config/cidr';

export interface SourcePolicy {
  allowedSources: readonly Cidr[];
  /** How many proxies in front of the bridge append to X-Forwarded-For and are trusted to (0: none). */
  trustProxy: number;
}

export interface SourceVerdict {
  clientIp: string;
  allowed: boolean;
}

export type SourceGuard = (
  remoteAddress: string | undefined,
  forwardedFor: string | undefined,
) => SourceVerdict;

export function createSourceGuard(policy: SourcePolicy): SourceGuard {
  const { trustProxy } = policy;
  let list: BlockList | undefined;
  if (policy.allowedSources.length > 0) {
    list = new BlockList();
    for (const { address, prefix, family } of policy.allowedSources) list.addSubnet(address, prefix, family);
  }
  return (remoteAddress, forwardedFor) => {
    const clientIp = unmapped(clientAddress(remoteAddress ?? '', forwardedFor, trustProxy));
    if (!list) return { clientIp, allowed: true };
    return { clientIp, allowed: list.check(clientIp, isIPv4(clientIp) ? 'ipv4' : 'ipv6') };
  };
}

/**
 * The address `trustProxy` hops from the socket's peer: each trusted proxy appended the address it received
 * from, so the client is the entry that many places from the right (Express's numeric `trust proxy`). What a
 * client wrote into the header itself sits further left and is never believed.
 */
function clientAddress(remote: string, forwardedFor: string | undefined, trustProxy: number): string {
  if (trustProxy === 0 || !forwardedFor) return remote;
  const hops = forwardedFor.split(',');
  const index = hops.length - trustProxy;
  return (hops[Math.max(index, 0)] ?? remote).trim();
}

/** Dual-stack sockets report IPv4 peers as `::ffff:a.b.c.d`; allow-lists name them as IPv4. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}
