import type { HeaderSource } from "./facts.ts";

// Longest foreign id copied into a line; anything longer is not an id we recognise.
const MAX_ID_LENGTH = 128;

/**
 * The request's trace id: the trace-id of a valid W3C `traceparent` header
 * (https://www.w3.org/TR/trace-context/#traceparent-header), else Cloudflare's `cf-ray`, else
 * `platformRequestId` (API Gateway's `requestContext.requestId`), else `null`. Values that are not
 * well formed are skipped, so a client cannot write arbitrary text into the log through them.
 */
export function traceIdFrom(headers: HeaderSource | undefined, platformRequestId?: string | null): string | null {
  if (headers !== undefined) {
    const fromTraceparent = traceparentTraceId(header(headers, "traceparent"));
    if (fromTraceparent !== null) return fromTraceparent;
    const ray = header(headers, "cf-ray");
    if (isPlainId(ray)) return ray;
  }
  return isPlainId(platformRequestId) ? platformRequestId : null;
}

function header(headers: HeaderSource, name: string): string | null | undefined {
  if (typeof headers.get === "function") return (headers as { get(name: string): string | null | undefined }).get(name);
  const value = (headers as Readonly<Record<string, string | readonly string[] | undefined>>)[name];
  return typeof value === "string" ? value : undefined;
}

// The last traceparent value seen and its answer: a client or proxy often sends the same one
// again, and checking 55 characters costs more than comparing them (issue #22)
let lastTraceparent = "";
let lastTraceId: string | null = null;

/** The 32-hex trace-id of a `traceparent` value, or `null` when the value is not valid. */
function traceparentTraceId(value: string | null | undefined): string | null {
  if (typeof value !== "string") return null;
  if (value === lastTraceparent) return lastTraceId;
  const id = checkTraceparent(value);
  lastTraceparent = value;
  lastTraceId = id;
  return id;
}

function checkTraceparent(value: string): string | null {
  const v = value.trim();
  // version "-" trace-id "-" parent-id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55 characters
  if (v.length < 55 || v.charCodeAt(2) !== 45 || v.charCodeAt(35) !== 45 || v.charCodeAt(52) !== 45) return null;
  // version ff is forbidden; version 00 has exactly 55 characters; later versions may append "-" fields
  if (hexRun(v, 0, 2) < 0 || (v.charCodeAt(0) === 102 && v.charCodeAt(1) === 102)) return null;
  if (v.charCodeAt(0) === 48 && v.charCodeAt(1) === 48 ? v.length !== 55 : v.length > 55 && v.charCodeAt(55) !== 45) return null;
  // an all-zero trace-id or parent-id is invalid
  if (hexRun(v, 3, 35) < 1 || hexRun(v, 36, 52) < 1 || hexRun(v, 53, 55) < 0) return null;
  return v.slice(3, 35);
}

/** -1 if `s[start, end)` is not all lower-case hex, else 1 if any digit is non-zero, else 0. */
function hexRun(s: string, start: number, end: number): number {
  let nonZero = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return -1;
    if (c !== 48) nonZero = 1;
  }
  return nonZero;
}

// cf-ray ("8f1c2a3b4d5e6f70-AMS") and API Gateway ids (UUIDs, "c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
function isPlainId(s: string | null | undefined): s is string {
  if (typeof s !== "string" || s.length === 0 || s.length > MAX_ID_LENGTH) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95 || c === 46 || c === 58 || c === 61 || c === 43 || c === 47;
    if (!ok) return false;
  }
  return true;
}
