import type { KeyedHash } from "./keyed-hash.ts";

/**
 * How the client address is written: `keep` as given (validated), `truncate` to its /24 (IPv4) or /48
 * (IPv6) network, `hash` to a keyed hash that links requests from one address without revealing it,
 * or `omit` (always `null`).
 */
export type ClientIpMode = "keep" | "truncate" | "hash" | "omit";

// The longest IPv6 text form (with an embedded IPv4 part) is 45 characters (RFC 4291 §2.2).
const MAX_ADDRESS_LENGTH = 45;

/**
 * The address as the audit line records it under `mode`, or `null` when it is absent or not an IP
 * address (a header value that is not an address is never copied into the log).
 */
export function maskClientIp(ip: string | null | undefined, mode: ClientIpMode, hash: KeyedHash | undefined): string | null {
  if (mode === "omit" || typeof ip !== "string" || ip.length === 0 || ip.length > MAX_ADDRESS_LENGTH) return null;
  const v4 = parseIpv4(ip, 0, ip.length);
  if (v4 !== undefined) {
    if (mode === "keep") return ip;
    if (mode === "truncate") return `${v4 >>> 24}.${(v4 >>> 16) & 0xff}.${(v4 >>> 8) & 0xff}.0/24`;
    return hash ? hash.hex(canonicalIpv4(v4)) : null;
  }
  const v6 = parseIpv6(ip);
  if (v6 === undefined) return null;
  // An IPv4-mapped address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) is the IPv4 client; treat it as one
  if (v6[0] === 0 && v6[1] === 0 && v6[2] === 0 && v6[3] === 0 && v6[4] === 0 && v6[5] === 0xffff) {
    const mapped = ((v6[6] << 16) | v6[7]) >>> 0;
    if (mode === "keep") return canonicalIpv4(mapped);
    if (mode === "truncate") return `${mapped >>> 24}.${(mapped >>> 16) & 0xff}.${(mapped >>> 8) & 0xff}.0/24`;
    return hash ? hash.hex(canonicalIpv4(mapped)) : null;
  }
  if (mode === "keep") return ip.toLowerCase();
  if (mode === "truncate") return `${v6[0].toString(16)}:${v6[1].toString(16)}:${v6[2].toString(16)}::/48`;
  // Hash one canonical text per address, so `2001:DB8::1` and `2001:db8:0:0::1` link up
  return hash ? hash.hex(v6.map((g) => g.toString(16)).join(":")) : null;
}

function canonicalIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

/** Dotted-quad IPv4 in `s[start, end)` as a uint32; no leading zeros (ambiguous: octal in some parsers). */
function parseIpv4(s: string, start: number, end: number): number | undefined {
  let value = 0;
  let parts = 0;
  let i = start;
  while (parts < 4) {
    const partStart = i;
    let part = 0;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      part = part * 10 + (c - 48);
      i++;
    }
    const digits = i - partStart;
    if (digits === 0 || digits > 3 || part > 255 || (digits > 1 && s.charCodeAt(partStart) === 48)) return undefined;
    value = value * 256 + part;
    parts++;
    if (parts < 4) {
      if (i >= end || s.charCodeAt(i) !== 46) return undefined;
      i++;
    }
  }
  return i === end ? value : undefined;
}

/** RFC 4291 §2.2 text form as eight 16-bit groups; zone ids (`%eth0`) are refused. */
function parseIpv6(s: string): number[] | undefined {
  const groups: number[] = [];
  let gap = -1;
  let i = 0;
  const end = s.length;
  if (s.startsWith("::")) {
    gap = 0;
    i = 2;
    if (i === end) return [0, 0, 0, 0, 0, 0, 0, 0];
  }
  while (i < end) {
    // an embedded IPv4 part may end the address (::ffff:192.0.2.1)
    let j = i;
    let value = 0;
    while (j < end && j - i < 5) {
      const c = s.charCodeAt(j);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (d < 0) break;
      value = value * 16 + d;
      j++;
    }
    if (j < end && s.charCodeAt(j) === 46) {
      const v4 = parseIpv4(s, i, end);
      if (v4 === undefined || groups.length > 6) return undefined;
      groups.push(v4 >>> 16, v4 & 0xffff);
      i = end;
      break;
    }
    if (j === i || j - i > 4) return undefined;
    groups.push(value);
    if (groups.length > 8) return undefined;
    i = j;
    if (i === end) break;
    if (s.charCodeAt(i) !== 58) return undefined;
    i++;
    if (i < end && s.charCodeAt(i) === 58) {
      if (gap !== -1) return undefined;
      gap = groups.length;
      i++;
    } else if (i === end) {
      return undefined;
    }
  }
  if (gap === -1) return groups.length === 8 ? groups : undefined;
  if (groups.length > 7) return undefined;
  const zeros = 8 - groups.length;
  groups.splice(gap, 0, ...new Array<number>(zeros).fill(0));
  return groups;
}
