// IPv4/IPv6 address parsing and CIDR range matching (Envoy's CidrRange) for filter-chain selection.
import { WeftError } from "../errors.ts";

/** A parsed, masked CIDR block. `bytes` is 4 bytes (IPv4) or 16 bytes (IPv6). */
export interface CidrBlock {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly prefixLen: number;
  /** Canonical text of the masked block, e.g. `10.1.0.0/16`: equal blocks have equal keys. */
  readonly key: string;
}

/** The shape of envoy.config.core.v3.CidrRange (prefix_len defaults to 0 when unset). */
export interface CidrRangeLike {
  readonly addressPrefix: string;
  readonly prefixLen?: number | undefined;
}

/** Parses a textual IPv4 or IPv6 address (an IPv6 zone `%eth0` is ignored); undefined if invalid. */
export function parseIp(text: string): Uint8Array | undefined {
  const zone = text.indexOf("%");
  const addr = zone >= 0 ? text.slice(0, zone) : text;
  return addr.indexOf(":") >= 0 ? parseIpv6(addr) : parseIpv4(addr, new Uint8Array(4), 0);
}

function parseIpv4(text: string, out: Uint8Array, at: number): Uint8Array | undefined {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // treat the end as a final '.'
    if (c === 46) {
      if (digits === 0 || part > 3) return undefined;
      out[at + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return undefined; // no leading zeros, like inet_pton
      value = value * 10 + (c - 48);
      if (value > 255) return undefined;
      digits++;
    } else {
      return undefined;
    }
  }
  return part === 4 ? out : undefined;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  const gap = text.indexOf("::");
  if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) return undefined;
  const head = gap >= 0 ? text.slice(0, gap) : text;
  const tail = gap >= 0 ? text.slice(gap + 2) : "";
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === "" ? [] : tail.split(":");
  // An embedded dotted quad may only be the very last group.
  const last = gap >= 0 ? tailGroups : headGroups;
  const dotted = last.length > 0 && last[last.length - 1].indexOf(".") >= 0;
  const groupCount = headGroups.length + tailGroups.length + (dotted ? 1 : 0);
  if (gap < 0 ? groupCount !== 8 : groupCount > 7) return undefined;
  if (!writeGroups(headGroups, out, 0, dotted && gap < 0)) return undefined;
  const tailStart = 16 - (tailGroups.length + (dotted ? 1 : 0)) * 2;
  if (gap >= 0 && !writeGroups(tailGroups, out, tailStart, dotted)) return undefined;
  return out;
}

function writeGroups(groups: string[], out: Uint8Array, at: number, dotted: boolean): boolean {
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g];
    if (dotted && g === groups.length - 1) return parseIpv4(group, out, at + g * 2) !== undefined;
    if (group.length === 0 || group.length > 4) return false;
    let value = 0;
    for (let i = 0; i < group.length; i++) {
      const d = hexValue(group.charCodeAt(i));
      if (d < 0) return false;
      value = (value << 4) | d;
    }
    out[at + g * 2] = value >> 8;
    out[at + g * 2 + 1] = value & 0xff;
  }
  return true;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses a CidrRange at config time; host bits are masked off (as Envoy does). Throws WeftError("config"). */
export function parseCidrRange(range: CidrRangeLike, field = "cidr_range"): CidrBlock {
  const ip = parseIp(range.addressPrefix);
  if (ip === undefined || range.addressPrefix.indexOf("%") >= 0) {
    throw new WeftError("config", `${field}: invalid address_prefix "${range.addressPrefix}"`);
  }
  const prefixLen = range.prefixLen ?? 0;
  const bits = ip.length * 8;
  if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > bits) {
    throw new WeftError(
      "config",
      `${field}: prefix_len ${prefixLen} is out of range for "${range.addressPrefix}"`,
    );
  }
  for (let bit = prefixLen; bit < bits; bit++) ip[bit >> 3] &= ~(0x80 >> (bit & 7));
  const family = ip.length === 4 ? 4 : 6;
  return { family, bytes: ip, prefixLen, key: `${formatIp(ip)}/${prefixLen}` };
}

/** Canonical text for 4- or 16-byte addresses (IPv6 as eight full hex groups; stable, not pretty). */
export function formatIp(ip: Uint8Array): string {
  if (ip.length === 4) return `${ip[0]}.${ip[1]}.${ip[2]}.${ip[3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip[i] << 8) | ip[i + 1]).toString(16));
  return groups.join(":");
}

/** True for IPv6 `::ffff:a.b.c.d` (how dual-stack sockets report IPv4 peers). */
function isV4Mapped(ip: Uint8Array): boolean {
  if (ip.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return false;
  return ip[10] === 0xff && ip[11] === 0xff;
}

/** Does `block` contain `ip`? IPv4 blocks also match IPv4-mapped IPv6 addresses. */
export function cidrContains(block: CidrBlock, ip: Uint8Array): boolean {
  let offset = 0;
  if (block.bytes.length !== ip.length) {
    if (block.family !== 4 || !isV4Mapped(ip)) return false;
    offset = 12;
  }
  const full = block.prefixLen >> 3;
  for (let i = 0; i < full; i++) if (ip[offset + i] !== block.bytes[i]) return false;
  const rest = block.prefixLen & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip[offset + full] & mask) === block.bytes[full];
}

/** The longest prefix length among `blocks` that contains `ip`, or -1 if none does. */
export function longestMatch(blocks: readonly CidrBlock[], ip: Uint8Array): number {
  let best = -1;
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i];
    if (b.prefixLen > best && cidrContains(b, ip)) best = b.prefixLen;
  }
  return best;
}

/** 127.0.0.0/8, ::1, or an IPv4-mapped loopback. */
export function isLoopback(ip: Uint8Array): boolean {
  if (ip.length === 4) return ip[0] === 127;
  if (isV4Mapped(ip)) return ip[12] === 127;
  for (let i = 0; i < 15; i++) if (ip[i] !== 0) return false;
  return ip[15] === 1;
}

/** Same address, treating an IPv4-mapped IPv6 address as its IPv4 address. */
export function ipEquals(a: Uint8Array, b: Uint8Array): boolean {
  const oa = a.length === 16 && b.length === 4 && isV4Mapped(a) ? 12 : 0;
  const ob = b.length === 16 && a.length === 4 && isV4Mapped(b) ? 12 : 0;
  if (a.length - oa !== b.length - ob) return false;
  for (let i = 0; i < a.length - oa; i++) if (a[oa + i] !== b[ob + i]) return false;
  return true;
}
