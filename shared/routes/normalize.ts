import type { PathRefusalReason } from "./reasons.ts";

/** Bounds on the request path, checked before any decoding. */
export interface PathLimits {
  /** Longest raw path accepted, in characters (UTF-16 units, percent-escapes counted as 3); default 2048, from 1 to 65536. */
  readonly maxPathLength: number;
  /** Most segments accepted; default 32, from 1 to 1024. */
  readonly maxSegments: number;
}

/** The defaults of `PathLimits`. */
export const DEFAULT_PATH_LIMITS: PathLimits = Object.freeze({ maxPathLength: 2048, maxSegments: 32 });

/** A path that passed every check: its segments, each percent-decoded exactly once. `/` has none. */
export interface NormalizedPath {
  readonly ok: true;
  readonly segments: readonly string[];
}

/** A refused path. `segment` is the 0-based index of the offending segment, where there is one. */
export interface PathRefusal {
  readonly ok: false;
  readonly reason: PathRefusalReason;
  readonly field: "path";
  readonly segment?: number;
}

const ROOT: NormalizedPath = Object.freeze({ ok: true, segments: Object.freeze([]) as readonly string[] });

// One frozen refusal per reason and no segment index, so a flood of bad paths allocates nothing
const refusals = new Map<PathRefusalReason, PathRefusal>();
function refuse(reason: PathRefusalReason, segment?: number): PathRefusal {
  if (segment !== undefined) return { ok: false, reason, field: "path", segment };
  let cached = refusals.get(reason);
  if (cached === undefined) refusals.set(reason, (cached = Object.freeze({ ok: false, reason, field: "path" })));
  return cached;
}

/**
 * Splits a raw request path (percent-encoding intact, no query string) into segments, decoding each
 * exactly once, or refuses it. Nothing is collapsed or resolved: a path that an origin could read
 * differently from the route table (`..`, `%2F`, `//`, `%252e`, NUL) is refused outright, so that
 * the path the rules saw is the path the origin serves. See RFC 3986 §3.3 and §6.2.2.
 *
 * Literal case is kept: `/Admin` is not `/admin` (matching is case-sensitive).
 */
export function normalizePath(raw: string, limits: PathLimits = DEFAULT_PATH_LIMITS): NormalizedPath | PathRefusal {
  const length = raw.length;
  if (length > limits.maxPathLength) return refuse("path_too_long");
  if (length === 0 || raw.charCodeAt(0) !== 0x2f) return refuse("not_absolute");
  if (length === 1) return ROOT;
  const segments: string[] = [];
  let start = 1;
  let escaped = false;
  for (let i = 1; i <= length; i++) {
    const code = i === length ? 0x2f : raw.charCodeAt(i);
    if (code === 0x2f) {
      const index = segments.length;
      if (index >= limits.maxSegments) return refuse("path_too_long");
      if (i === start) return refuse("empty_segment", index);
      const segment = escaped ? decodeSegment(raw.slice(start, i)) : raw.slice(start, i);
      if (typeof segment !== "string") return refuse(segment.reason, index);
      if (isDotSegment(segment)) return refuse("path_traversal", index);
      segments.push(segment);
      start = i + 1;
      escaped = false;
    } else if (code === 0x25) {
      escaped = true;
    } else if (code < 0x20 || code === 0x7f) {
      return refuse(code === 0 ? "nul_byte" : "control_character", segments.length);
    } else if (code === 0x5c) {
      return refuse("encoded_separator", segments.length);
    }
  }
  return { ok: true, segments };
}

// `.` and `..`, also with a `;parameters` suffix, which Tomcat and Jetty strip before resolving (`..;/`)
function isDotSegment(segment: string): boolean {
  if (segment.charCodeAt(0) !== 0x2e) return false;
  const end = segment.indexOf(";");
  const base = end === -1 ? segment : segment.slice(0, end);
  return base === "." || base === "..";
}

interface DecodeFailure {
  readonly reason: PathRefusalReason;
}

const BAD_ENCODING: DecodeFailure = { reason: "bad_encoding" };

function isHex(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

function decodeSegment(encoded: string): string | DecodeFailure {
  for (let i = 0; i < encoded.length; i++) {
    if (encoded.charCodeAt(i) === 0x25 && !(isHex(encoded.charCodeAt(i + 1)) && isHex(encoded.charCodeAt(i + 2)))) return BAD_ENCODING;
  }
  let decoded: string;
  try {
    // decodeURIComponent rejects escapes that are not valid UTF-8 (overlong forms, lone surrogates)
    decoded = decodeURIComponent(encoded);
  } catch {
    return BAD_ENCODING;
  }
  for (let i = 0; i < decoded.length; i++) {
    const code = decoded.charCodeAt(i);
    if (code === 0x2f || code === 0x5c) return { reason: "encoded_separator" };
    if (code === 0) return { reason: "nul_byte" };
    if (code < 0x20 || code === 0x7f) return { reason: "control_character" };
    if (code === 0x25 && isHex(decoded.charCodeAt(i + 1)) && isHex(decoded.charCodeAt(i + 2))) return { reason: "double_encoding" };
  }
  return decoded;
}
