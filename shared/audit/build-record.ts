import { maskClientIp } from "./client-ip.ts";
import { compareShadow, policyErrors } from "./compare-shadow.ts";
import type { ResolvedAuditConfig } from "./configure.ts";
import type { DecisionFacts } from "./facts.ts";
import type { AuditDetail, AuditPlatform, AuditRecord } from "./record.ts";
import { traceIdFrom } from "./trace-id.ts";

/** What stays the same for every line a function writes. */
export interface AuditContext {
  readonly config: ResolvedAuditConfig;
  readonly platform: AuditPlatform;
  /** Version of the enforced policy bundle. */
  readonly policyVersion: string | null;
  /** Version of the candidate (shadow) bundle, when there is one. */
  readonly shadowPolicyVersion: string | null;
}

const NO_STRINGS: readonly string[] = Object.freeze([]);

/**
 * Builds the audit line for one decision. Reads only what `facts` hold, applies the config (path
 * without query, client address mode, claim allowlist, field length cap) and copies no arrays or
 * objects it does not have to. `timeMs` is the decision time, `decisionId` its id when the facts
 * carry none; `sampleRate` is recorded as given.
 */
export function buildAuditRecord(
  facts: DecisionFacts,
  context: AuditContext,
  timeMs: number,
  decisionId: string,
  sampleRate = 1,
): AuditRecord {
  const { config } = context;
  const max = config.maxFieldLength;
  const request = facts.request;
  const claims = isObject(facts.claims) ? facts.claims : null;
  const policy = facts.policy ?? null;
  const revocation = facts.revocation ?? null;
  const cache = facts.cache ?? null;
  const timings = facts.timingsMs;

  const record: AuditRecord = {
    time: isoTime(timeMs),
    decision_id: typeof facts.decisionId === "string" && facts.decisionId.length > 0 ? cut(facts.decisionId, 64) : decisionId,
    trace_id: facts.traceId !== undefined ? stringOrNull(facts.traceId, 128) : traceIdFrom(request.headers, request.platformRequestId),
    platform: context.platform,
    route: stringOrNull(facts.route, max),
    method: typeof request.method === "string" ? cut(request.method, 16) : "",
    path: pathOf(request.path, request.query, config.includeQuery, max),
    principal: isObject(facts.principal)
      ? {
          type: cut(String(facts.principal.type), max),
          id: cut(String(facts.principal.id), max),
          iss: claims ? stringOrNull(claims.iss, max) : null,
        }
      : null,
    action: stringOrNull(facts.action, max),
    resource: stringOrNull(facts.resource, max),
    decision: facts.decision === "allow" ? "allow" : "deny",
    decision_reason: codeOr(facts.reason, "unknown"),
    detail: isObject(facts.detail) ? auditDetail(facts.detail, max) : null,
    reasons: policy && Array.isArray(policy.reasons) ? policy.reasons : NO_STRINGS,
    policy_errors: policyErrors(policy?.errors, config.policyErrorDetail),
    auth_error: facts.authError == null ? null : codeOr(facts.authError, "unknown"),
    revocation: revocation
      ? {
          checked: revocation.checked === true,
          cached: revocation.cached === true,
          outcome: codeOr(revocation.outcome, "unknown"),
          ms: Number.isFinite(revocation.ms) && revocation.ms >= 0 ? Math.round(revocation.ms * 1000) / 1000 : 0,
          store_error: revocation.storeError == null ? null : codeOr(revocation.storeError, "unknown"),
        }
      : null,
    fail_mode_used: facts.failModeUsed === "open" || facts.failModeUsed === "closed" || facts.failModeUsed === "stale" ? facts.failModeUsed : null,
    policy_version: context.policyVersion,
    latency_us: {
      total: micros(timings?.total) ?? 0,
      verify: micros(timings?.verify),
      revocation: micros(timings?.revocation),
      eval: micros(timings?.eval),
    },
    token: claims ? { jti: stringOrNull(claims.jti, max), iat: numberOrNull(claims.iat), exp: numberOrNull(claims.exp) } : null,
    cache: {
      token_hit: typeof cache?.tokenHit === "boolean" ? cache.tokenHit : null,
      jwks_age_s: numberOrNull(cache?.jwksAgeS),
      revocation_age_ms: numberOrNull(cache?.revocationAgeMs),
    },
    client_ip: maskClientIp(request.clientIp, config.clientIp, config.clientIpHash),
    sample_rate: sampleRate,
  };

  if (config.claims.length > 0 && claims) {
    const picked: Record<string, unknown> = {};
    for (const name of config.claims) {
      if (Object.hasOwn(claims, name)) picked[name] = claims[name];
    }
    record.claims = picked;
  }
  if (isObject(facts.shadow)) {
    const enforced = policy ?? { decision: record.decision, reasons: NO_STRINGS, errors: [] };
    record.shadow = compareShadow(enforced, facts.shadow, context.shadowPolicyVersion, config.policyErrorDetail);
  }
  return record;
}

// Copies the detail's fields that are well formed, in a fixed order, capped like every other field
function auditDetail(detail: NonNullable<DecisionFacts["detail"]>, max: number): AuditDetail | null {
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
  return out;
}

// Consecutive decisions often share a millisecond (workerd's clock only moves on I/O): reuse the string
let lastTimeMs = Number.NaN;
let lastTime = "";

function isoTime(ms: number): string {
  if (ms !== lastTimeMs) {
    lastTime = new Date(ms).toISOString();
    lastTimeMs = ms;
  }
  return lastTime;
}

function isObject<T>(v: T | null | undefined): v is T & object {
  return typeof v === "object" && v !== null;
}

function cut(s: string, max: number): string {
  return s.length > max ? s.slice(0, max - 1) + "…" : s;
}

function stringOrNull(v: unknown, max: number): string | null {
  return typeof v === "string" ? cut(v, max) : null;
}

// Reason codes are snake_case (STYLE.md); anything else is not copied, so the line stays well formed.
const CODE = /^[a-z][a-z0-9_]{0,63}$/;

function codeOr(v: unknown, fallback: string): string {
  return typeof v === "string" && CODE.test(v) ? v : fallback;
}

function numberOrNull(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function micros(ms: number | null | undefined): number | null {
  return typeof ms === "number" && Number.isFinite(ms) && ms >= 0 ? Math.round(ms * 1000) : null;
}

function pathOf(path: unknown, query: string | null | undefined, includeQuery: boolean, max: number): string {
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
