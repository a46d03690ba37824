import { InvalidEventPatternError } from './errors.ts';

/**
 * An IP address as 32-bit words: one word for IPv4, four for IPv6. Words beat a bigint here because
 * a CIDR test is then a handful of integer ANDs.
 */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly words: readonly number[];
}

/** A CIDR block with the host bits already cleared from `network`. */
export interface CidrBlock {
  readonly family: 4 | 6;
  readonly network: readonly number[];
  readonly mask: readonly number[];
}

// event-ruler only hands a string to InetAddress when it has one of these shapes (Constants.IPv4_REGEX and
// IPv6_REGEX). We keep them to choose between its two error messages: a string of the right shape that
// does not parse is an "Invalid IP address", anything else is "Nonstandard".
const RULER_IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const RULER_IPV6_SHAPE = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;
const IPV4_TEXT = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;
const MASK_BITS = /^[+-]?\d+$/;
const INT32_MAX = 2 ** 31 - 1;

/**
 * Parses an IP literal the way the matcher needs it: dotted-quad IPv4, or IPv6 in any RFC 4291 text form
 * (full, compressed, any case, with or without a dotted IPv4 tail). Zone ids are not addresses.
 * event-ruler's pre-filter regex happens to refuse the dotted-tail form; it is a standard spelling of an
 * IPv6 address, so it is accepted here.
 *
 * IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) come back as IPv4, as Java's `InetAddress` (which
 * event-ruler uses) returns them, so they fall in IPv4 blocks and not in IPv6 ones.
 */
export function parseIpAddress(text: string): IpAddress | undefined {
  if (text.includes(':')) {
    const groups = parseIpv6Groups(text);
    if (groups === undefined) return undefined;
    if (isIpv4Mapped(groups)) {
      return { family: 4, words: [wordOf(groups[6] ?? 0, groups[7] ?? 0)] };
    }
    return {
      family: 6,
      words: [0, 2, 4, 6].map((index) => wordOf(groups[index] ?? 0, groups[index + 1] ?? 0)),
    };
  }
  const ipv4 = parseIpv4Word(text);
  return ipv4 === undefined ? undefined : { family: 4, words: [ipv4] };
}

/** True when `address` lies inside `block`. Addresses of the other family never do. */
export function cidrContains(block: CidrBlock, address: IpAddress): boolean {
  if (block.family !== address.family) return false;
  const { network, mask } = block;
  const { words } = address;
  for (let index = 0; index < network.length; index++) {
    if (((words[index] ?? 0) & (mask[index] ?? 0)) >>> 0 !== network[index]) return false;
  }
  return true;
}

/** True when both are the same address, however each was spelled. */
export function sameIpAddress(left: IpAddress, right: IpAddress): boolean {
  if (left.family !== right.family) return false;
  return left.words.every((word, index) => word === right.words[index]);
}

/**
 * Parses the operand of `{"cidr": ...}` with event-ruler's validation and messages (`CIDR.cidr`).
 *
 * Two choices where the docs are silent:
 * - `/32` (IPv4) and `/128` (IPv6) are rejected, as event-ruler rejects them ("IPv4 mask bits must be < 32");
 *   the live service runs event-ruler, and a one-address rule can be written as a plain string value.
 * - Host bits below the mask are ignored, so `10.0.0.5/24` is the block `10.0.0.0/24`.
 *
 * @throws InvalidEventPatternError when the block is malformed.
 */
export function parseCidrBlock(text: string): CidrBlock {
  // Java's String.split drops trailing empty strings, so "10.0.0.0/" has one part, not two.
  const parts = text.split('/');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length !== 2) throw new InvalidEventPatternError("Malformed CIDR, one '/' required");
  const [addressText = '', maskText = ''] = parts;
  if (!MASK_BITS.test(maskText) || Math.abs(Number(maskText)) > INT32_MAX) {
    throw new InvalidEventPatternError('Malformed CIDR, mask bits must be an integer');
  }
  const maskBits = Number(maskText);
  if (maskBits < 0) throw new InvalidEventPatternError('Malformed CIDR, mask bits must not be negative');
  const address = parseIpAddress(addressText);
  if (address === undefined) {
    const shaped = RULER_IPV4_SHAPE.test(addressText) || RULER_IPV6_SHAPE.test(addressText);
    throw new InvalidEventPatternError(`${shaped ? 'Invalid' : 'Nonstandard'} IP address: ${addressText}`);
  }
  if (address.family === 4 && maskBits > 31) {
    throw new InvalidEventPatternError('IPv4 mask bits must be < 32');
  }
  if (address.family === 6 && maskBits > 127) {
    throw new InvalidEventPatternError('IPv6 mask bits must be < 128');
  }
  const mask = address.words.map((_, index) => maskWord(maskBits - index * 32));
  return {
    family: address.family,
    network: address.words.map((word, index) => (word & (mask[index] ?? 0)) >>> 0),
    mask,
  };
}

function maskWord(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}

function wordOf(high: number, low: number): number {
  return ((high << 16) | low) >>> 0;
}

function isIpv4Mapped(groups: readonly number[]): boolean {
  return groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
}

function parseIpv4Word(text: string): number | undefined {
  const match = IPV4_TEXT.exec(text);
  if (match === null) return undefined;
  let word = 0;
  for (let index = 1; index <= 4; index++) {
    const octet = match[index] ?? '';
    // Leading zeros are rejected: Java treats them as ambiguous (octal-looking) literals.
    if (octet.length > 1 && octet.startsWith('0')) return undefined;
    const value = Number(octet);
    if (value > 255) return undefined;
    word = word * 256 + value;
  }
  return word;
}

function parseIpv6Groups(text: string): number[] | undefined {
  const gap = text.indexOf('::');
  if (gap === -1) {
    const groups = parseIpv6GroupList(text.split(':'), true);
    return groups?.length === 8 ? groups : undefined;
  }
  if (text.indexOf('::', gap + 1) !== -1) return undefined;
  const head = text.slice(0, gap);
  const tail = text.slice(gap + 2);
  const headGroups = head === '' ? [] : parseIpv6GroupList(head.split(':'), false);
  const tailGroups = tail === '' ? [] : parseIpv6GroupList(tail.split(':'), true);
  if (headGroups === undefined || tailGroups === undefined) return undefined;
  // "::" stands for at least one group of zeros.
  const elided = 8 - headGroups.length - tailGroups.length;
  if (elided < 1) return undefined;
  return [...headGroups, ...new Array<number>(elided).fill(0), ...tailGroups];
}

function parseIpv6GroupList(groups: readonly string[], allowIpv4Tail: boolean): number[] | undefined {
  const parsed: number[] = [];
  for (let index = 0; index < groups.length; index++) {
    const group = groups[index] ?? '';
    if (IPV6_GROUP.test(group)) {
      parsed.push(Number.parseInt(group, 16));
      continue;
    }
    // Only the very last group of the address may be a dotted IPv4 address; it stands for two groups.
    const ipv4 = allowIpv4Tail && index === groups.length - 1 ? parseIpv4Word(group) : undefined;
    if (ipv4 === undefined) return undefined;
    parsed.push(ipv4 >>> 16, ipv4 & 0xffff);
  }
  return parsed;
}
