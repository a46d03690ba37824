/**
 * The `workspaceIngress` deploy option: who may reach a workspace's port. Each entry is a security
 * group id (`sg-…`, usually the platform's), an IPv4 or IPv6 CIDR (a VPC, a peered network) or a
 * managed prefix list id (`pl-…`). An entry that opens the port to every address (`/0`) is refused:
 * the port is the agent's own HTTP interface, with no authentication of its own.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** One parsed entry of `workspaceIngress`. */
export type IngressSource =
  | { readonly kind: 'security-group'; readonly id: string }
  | { readonly kind: 'prefix-list'; readonly id: string }
  | { readonly kind: 'ipv4'; readonly cidr: string }
  | { readonly kind: 'ipv6'; readonly cidr: string };

/** An entry, or why it is refused (a sentence that names the entry). */
export type IngressEntryResult = { readonly source: IngressSource } | { readonly problem: string };

const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;
const PREFIX_LIST_ID = /^pl-[0-9a-f]{8,17}$/;

/**
 * Parses one entry of `workspaceIngress`.
 *
 * @example parseIngressEntry('sg-0123456789abcdef0') // { source: { kind: 'security-group', id: 'sg-0123456789abcdef0' } }
 * @example parseIngressEntry('0.0.0.0/0') // { problem: '"0.0.0.0/0" opens the workspace port to every address; …' }
 */
export function parseIngressEntry(entry: string): IngressEntryResult {
  if (SECURITY_GROUP_ID.test(entry)) return { source: { kind: 'security-group', id: entry } };
  if (PREFIX_LIST_ID.test(entry)) return { source: { kind: 'prefix-list', id: entry } };
  const slash = entry.indexOf('/');
  if (slash > 0) {
    const address = entry.slice(0, slash);
    const prefixText = entry.slice(slash + 1);
    if (isIPv4(address)) return ipv4Cidr(entry, address, prefixText);
    if (isIPv6(address)) return ipv6Cidr(entry, address, prefixText);
  }
  return {
    problem: `"${entry}" is neither a security group id (sg-…), an IPv4 or IPv6 CIDR (10.0.0.0/16, fd00::/8) nor a prefix list id (pl-…)`,
  };
}

function everyAddress(entry: string): { problem: string } {
  return {
    problem: `"${entry}" opens the workspace port to every address; name the platform's security group, or the CIDR of the network it runs in`,
  };
}

function prefixOf(entry: string, text: string, max: number): number | { problem: string } {
  const prefix = /^\d{1,3}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(prefix) || prefix > max) {
    return { problem: `"${entry}" has a prefix length outside 0 to ${max}` };
  }
  return prefix;
}

function ipv4Cidr(entry: string, address: string, prefixText: string): IngressEntryResult {
  const prefix = prefixOf(entry, prefixText, 32);
  if (typeof prefix !== 'number') return prefix;
  if (prefix === 0) return everyAddress(entry);
  const value = address.split('.').reduce((sum, octet) => sum * 256n + BigInt(octet), 0n);
  const network = maskTo(value, prefix, 32);
  if (network !== value) {
    const canonical = `${[24n, 16n, 8n, 0n].map((shift) => String((network >> shift) & 255n)).join('.')}/${prefix}`;
    return { problem: `"${entry}" has host bits set; did you mean "${canonical}"?` };
  }
  return { source: { kind: 'ipv4', cidr: entry } };
}

function ipv6Cidr(entry: string, address: string, prefixText: string): IngressEntryResult {
  const prefix = prefixOf(entry, prefixText, 128);
  if (typeof prefix !== 'number') return prefix;
  if (prefix === 0) return everyAddress(entry);
  const value = ipv6Value(address);
  if (maskTo(value, prefix, 128) !== value) {
    return { problem: `"${entry}" has host bits set; give the network address of the /${prefix}` };
  }
  return { source: { kind: 'ipv6', cidr: entry } };
}

function maskTo(value: bigint, prefix: number, bits: number): bigint {
  const hostBits = BigInt(bits - prefix);
  return (value >> hostBits) << hostBits;
}

/** The 128-bit value of an address `isIPv6` accepted, `::` and a dotted IPv4 tail included. */
function ipv6Value(address: string): bigint {
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  let text = address;
  if (dotted?.[1]) {
    const octets = dotted[1].split('.').map(Number) as [number, number, number, number];
    const high = ((octets[0] << 8) | octets[1]).toString(16);
    const low = ((octets[2] << 8) | octets[3]).toString(16);
    text = `${address.slice(0, -dotted[1].length)}${high}:${low}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups =
    tail === undefined ? headGroups : [...headGroups, ...Array(missing).fill('0'), ...tailGroups];
  return groups.reduce((sum, group) => (sum << 16n) + BigInt(Number.parseInt(group, 16)), 0n);
}
