import { fail } from "./errors.ts";
import { ExtensionValue } from "./values.ts";

/**
 * Cedar `ipaddr`: an IPv4 or IPv6 address with a prefix length. Equality compares the address
 * as written (host bits included) and the prefix, as Cedar does.
 */
export class IpAddr extends ExtensionValue {
  readonly typeName = "ipaddr";
  readonly v4: boolean;
  readonly prefix: number;
  // IPv4 as a number, so the common case needs no bigint arithmetic; IPv6 as a 128-bit bigint
  private readonly n4: number;
  private readonly n6: bigint;
  constructor(v4: boolean, addr: number | bigint, prefix: number) {
    super();
    this.v4 = v4;
    this.n4 = v4 ? Number(addr) : 0;
    this.n6 = v4 ? 0n : BigInt(addr);
    this.prefix = prefix;
  }
  /** The address as an unsigned 32- or 128-bit integer. */
  get addr(): bigint {
    return this.v4 ? BigInt(this.n4) : this.n6;
  }
  key(): string {
    return (this.v4 ? "4:" + this.n4.toString(16) : "6:" + this.n6.toString(16)) + "/" + this.prefix;
  }
  /** Whether this range lies within `other`'s range (always false across IP versions). */
  isInRange(other: IpAddr): boolean {
    if (this.v4 !== other.v4) return false;
    if (this.v4) {
      const sm = mask4(this.prefix);
      const om = mask4(other.prefix);
      const selfNet = (this.n4 & sm) >>> 0;
      const otherNet = (other.n4 & om) >>> 0;
      const selfLast = (this.n4 | ~sm) >>> 0;
      const otherLast = (other.n4 | ~om) >>> 0;
      return otherNet <= selfNet && selfLast <= otherLast;
    }
    const bits = this.v4 ? 32n : 128n;
    const full = (1n << bits) - 1n;
    const host = (p: number): bigint => (BigInt(p) >= bits ? 0n : full >> BigInt(p));
    const selfNet = this.n6 & (full ^ host(this.prefix));
    const otherNet = other.n6 & (full ^ host(other.prefix));
    const selfLast = this.n6 | host(this.prefix);
    const otherLast = other.n6 | host(other.prefix);
    return otherNet <= selfNet && selfLast <= otherLast;
  }
  /** 127.0.0.0/8 or ::1, and the prefix is at least that narrow. */
  isLoopback(): boolean {
    if (this.v4) return this.n4 >>> 24 === 127 && this.prefix >= 8;
    return this.n6 === 1n && this.prefix >= 128;
  }
  /** 224.0.0.0/4 or ff00::/8, and the prefix is at least that narrow. */
  isMulticast(): boolean {
    if (this.v4) return this.n4 >>> 28 === 0xe && this.prefix >= 4;
    return this.n6 >> 120n === 0xffn && this.prefix >= 8;
  }
}

// Network mask of an IPv4 prefix length, as an unsigned 32-bit number.
function mask4(p: number): number {
  return p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
}

// Rust's Ipv4Addr parser: four decimal octets of 1 to 3 digits, no leading zeros, each at most
// 255. Returns the address as a number, or -1.
function parseV4(s: string): number {
  let n = 0;
  let octets = 0;
  let i = 0;
  while (octets < 4) {
    const start = i;
    let v = 0;
    while (i < s.length && i - start < 4) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
      i++;
    }
    const len = i - start;
    if (len === 0 || len > 3 || v > 255 || (len > 1 && s.charCodeAt(start) === 48)) return -1;
    n = n * 256 + v;
    octets++;
    if (octets < 4) {
      if (s[i] !== ".") return -1;
      i++;
    }
  }
  return i === s.length ? n : -1;
}

function parseGroups(s: string): number[] | undefined {
  if (s === "") return [];
  const out: number[] = [];
  for (const g of s.split(":")) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    out.push(parseInt(g, 16));
  }
  return out;
}

// Rust's Ipv6Addr parser without embedded IPv4 (Cedar rejects those before parsing);
// `::` stands for at least one zero group.
function parseV6(s: string): bigint | undefined {
  let groups: number[];
  const gap = s.indexOf("::");
  if (gap < 0) {
    const all = parseGroups(s);
    if (all === undefined || all.length !== 8) return undefined;
    groups = all;
  } else {
    if (s.indexOf("::", gap + 1) >= 0) return undefined;
    const head = parseGroups(s.slice(0, gap));
    const tail = parseGroups(s.slice(gap + 2));
    if (head === undefined || tail === undefined || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(g);
  return n;
}

function parsePrefix(s: string, max: number, maxLen: number): number {
  if (s.length > maxLen) fail(`error parsing prefix: string length ${s.length} is too large`);
  if (!/^[0-9]*$/.test(s)) fail(`error parsing prefix \`${s}\`: encountered non-digit`);
  if (s.length > 1 && s[0] === "0") fail(`error parsing prefix \`${s}\`: leading zero(s)`);
  if (s === "") fail("error parsing prefix from the string ``: cannot parse integer from empty string");
  const n = Number(s);
  if (n > max) fail(`error parsing prefix: ${n} is larger than the limit ${max}`);
  return n;
}

function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

function countAtLeastTwo(s: string, c: string): boolean {
  const i = s.indexOf(c);
  return i >= 0 && s.indexOf(c, i + 1) >= 0;
}

/** Cedar's `ip("...")` constructor; throws a policy evaluation error on a malformed string. */
export function parseIp(s: string): IpAddr {
  // Cedar measures the length in UTF-8 bytes; anything non-ASCII fails to parse anyway.
  if (s.length > 43 || (s.length > 14 && utf8Length(s) > 43)) {
    fail(`error parsing IP address from string \`${s}\`: string length is too large`);
  }
  if (countAtLeastTwo(s, ":") && countAtLeastTwo(s, ".")) {
    fail(`error parsing IP address from string: ipv4 embedded in ipv6 is not accepted: \`${s}\``);
  }
  const slash = s.indexOf("/");
  const addrStr = slash < 0 ? s : s.slice(0, slash);
  const v4 = parseV4(addrStr);
  if (v4 >= 0) {
    const prefix = slash < 0 ? 32 : parsePrefix(s.slice(slash + 1), 32, 2);
    return new IpAddr(true, v4, prefix);
  }
  const addr = parseV6(addrStr);
  if (addr === undefined) fail(`invalid IP address: \`${addrStr}\``);
  return new IpAddr(false, addr, slash < 0 ? 128 : parsePrefix(s.slice(slash + 1), 128, 3));
}
