// Field rules shared by `buildAuditRecord` and `serializeAuditLine`, so the record and the line
// written straight from the facts cannot drift apart.
import type { DecisionFacts } from "./facts.ts";
import type { AuditDetail, AuditEntities } from "./record.ts";

export const NO_STRINGS: readonly string[] = Object.freeze([]);

/** The facts' decision id (cut to 64) when they carry one, else `fallback`. */
export function decisionIdOf(facts: DecisionFacts, fallback: string): string {
  return typeof facts.decisionId === "string" && facts.decisionId.length > 0 ? cut(facts.decisionId, 64) : fallback;
}

/** The verified claims the facts carry, or `null`. */
export function claimsOf(facts: DecisionFacts): Readonly<Record<string, unknown>> | null {
  return isObject(facts.claims) ? facts.claims : null;
}

/** The detail's fields that are well formed, in a fixed order, capped like every other field. */
export function auditDetail(detail: NonNullable<DecisionFacts["detail"]>, max: number): AuditDetail | null {
  const out: AuditDetail = {};
  if (detail.stage !== undefined) out.stage = codeOr(detail.stage, "unknown");
  if (typeof detail.field === "string") out.field = cut(detail.field, max);
  if (typeof detail.claim === "string") out.claim = cut(detail.claim, max);
  if (typeof detail.segment === "number" && Number.isInteger(detail.segment) && detail.segment >= 0) out.segment = detail.segment;
  if (typeof detail.issuer === "string") out.issuer = cut(detail.issuer, max);
  if (typeof detail.store === "string") out.store = cut(detail.store, max);
  if (detail.storeError !== undefined) out.store_error = codeOr(detail.storeError, "unknown");
  if (typeof detail.revokedBy === "string") out.revoked_by = codeOr(detail.revokedBy, "unknown");
  if (Array.isArray(detail.policies)) out.policies = detail.policies.map((id) => cut(String(id), max));
  if (typeof detail.message === "string") out.message = cut(detail.message, max);
  if (typeof (detail as { uid?: unknown }).uid === "string") out.uid = cut((detail as { uid: string }).uid, max);
  return out;
}

/** The audit form of the entity stage's facts, capped like every other field (at most 64 uids). */
export function auditEntities(entities: NonNullable<DecisionFacts["entities"]>, max: number): AuditEntities {
  const loaded = Array.isArray(entities.loaded) ? entities.loaded.slice(0, 64).map((e) => ({ uid: cut(String(e.uid), max), source: codeOr(e.source, "unknown"), age_ms: Number.isFinite(e.ageMs) && e.ageMs >= 0 ? Math.round(e.ageMs) : 0 })) : [];
  return {
    loaded,
    version: typeof entities.version === "string" ? cut(entities.version, 64) : null,
    fail_mode_used: entities.failModeUsed == null ? null : codeOr(entities.failModeUsed, "unknown"),
    store_error: entities.storeError == null ? null : codeOr(entities.storeError, "unknown"),
  };
}

/** The allowlisted claims present in `claims`, in allowlist order. */
export function pickClaims(claims: Readonly<Record<string, unknown>>, names: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const name of names) {
    if (Object.hasOwn(claims, name)) picked[name] = claims[name];
  }
  return picked;
}

// Consecutive decisions often share a millisecond (workerd's clock only moves on I/O): reuse the
// string. Within one second only the milliseconds change: `Date` formats the rest once per second.
let lastTimeMs = Number.NaN;
let lastTime = "";
let lastSecond = Number.NaN;
let secondPrefix = ""; // `2026-12-06T18:10:05.`

/** `new Date(ms).toISOString()`, formatting the date and time of day once per second. */
export function isoTime(ms: number): string {
  if (ms === lastTimeMs) return lastTime;
  // A `Date` keeps whole milliseconds, dropping any fraction toward zero
  const whole = Math.trunc(ms);
  const second = Math.floor(whole / 1000);
  if (second !== lastSecond) {
    lastTime = new Date(whole).toISOString();
    secondPrefix = lastTime.slice(0, -4);
    lastSecond = second;
  } else {
    const milli = whole - second * 1000;
    lastTime = secondPrefix + (milli < 10 ? "00" : milli < 100 ? "0" : "") + milli + "Z";
  }
  lastTimeMs = ms;
  return lastTime;
}

export function isObject<T>(v: T | null | undefined): v is T & object {
  return typeof v === "object" && v !== null;
}

export function cut(s: string, max: number): string {
  return s.length > max ? s.slice(0, max - 1) + "…" : s;
}

export function stringOrNull(v: unknown, max: number): string | null {
  return typeof v === "string" ? cut(v, max) : null;
}

// Reason codes are snake_case (STYLE.md); anything else is not copied, so the line stays well formed.
const CODE = /^[a-z][a-z0-9_]{0,63}$/;

// Reason codes come from a small closed set: each is checked once, then found in the set
const knownCodes = new Set<string>();

export function codeOr(v: unknown, fallback: string): string {
  if (typeof v !== "string") return fallback;
  if (knownCodes.has(v)) return v;
  if (!CODE.test(v)) return fallback;
  if (knownCodes.size < 256) knownCodes.add(v);
  return v;
}

export function numberOrNull(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

export function micros(ms: number | null | undefined): number | null {
  return typeof ms === "number" && Number.isFinite(ms) && ms >= 0 ? Math.round(ms * 1000) : null;
}

export function pathOf(path: unknown, query: string | null | undefined, includeQuery: boolean, max: number): string {
  if (typeof path !== "string") return "";
  // the pipeline passes the path without its query, but a platform may not split it off
  let end = path.indexOf("?");
  const hash = path.indexOf("#");
  if (hash !== -1 && (end === -1 || hash < end)) end = hash;
  let out = end === -1 ? path : path.slice(0, end);
  if (includeQuery) {
    const q = typeof query === "string" && query.length > 0 ? query : end !== -1 && path[end] === "?" ? path.slice(end + 1) : "";
    if (q.length > 0) out += "?" + redactQuery(q);
  }
  return cut(out, max);
}

// Parameters that carry credentials (RFC 6750 §2.3 `access_token`, OAuth codes and secrets).
const SECRET_PARAMS = new Set(["access_token", "id_token", "refresh_token", "token", "code", "client_secret", "password", "jwt"]);
// Three base64url segments, the first starting as a JSON object (`{"` → `eyJ`): a JWS or JWE.
const JWT_SHAPED = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/;

/** The query string with credential parameters and anything shaped like a JWT replaced by `redacted`. */
export function redactQuery(query: string): string {
  const parts = query.split("&");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const eq = part.indexOf("=");
    const rawName = eq === -1 ? part : part.slice(0, eq);
    const name = decodeLoosely(rawName);
    if (JWT_SHAPED.test(name) || JWT_SHAPED.test(rawName)) {
      parts[i] = "redacted";
    } else if (eq !== -1 && (SECRET_PARAMS.has(name.toLowerCase()) || JWT_SHAPED.test(part) || JWT_SHAPED.test(decodeLoosely(part.slice(eq + 1))))) {
      parts[i] = `${rawName}=redacted`;
    }
  }
  return parts.join("&");
}

function decodeLoosely(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    // malformed percent-encoding: judge the raw text
    return s;
  }
}
