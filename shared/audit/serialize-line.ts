import { maskClientIp } from "./client-ip.ts";
import { compareShadow, policyErrors } from "./compare-shadow.ts";
import type { AuditContext } from "./build-record.ts";
import { auditDetail, auditEntities, claimsOf, codeOr, cut, decisionIdOf, isObject, isoTime, micros, NO_STRINGS, numberOrNull, pathOf, pickClaims, stringOrNull } from "./fields.ts";
import type { DecisionFacts } from "./facts.ts";
import { traceIdFrom } from "./trace-id.ts";

/**
 * The audit line for one decision as JSON text, written straight from the facts with a fixed-order
 * template (issue #22): the same bytes as `JSON.stringify(buildAuditRecord(...))`, without building
 * the record's object tree first. Field values come from the same helpers as `buildAuditRecord`;
 * only strings that need escaping go through `JSON.stringify`. `dropped` adds `audit_dropped`.
 * test/shared/audit/serialize-line.test.ts holds the two to the same output.
 */
export function serializeAuditLine(facts: DecisionFacts, context: AuditContext, timeMs: number, decisionId: string, sampleRate = 1, dropped = 0): string {
  const { config } = context;
  const { request, revocation, cache, timingsMs: timings } = facts;
  const max = config.maxFieldLength;
  const claims = claimsOf(facts);
  const policy = facts.policy ?? null;
  const decision = facts.decision === "allow" ? "allow" : "deny";

  let line = '{"time":"' + isoTime(timeMs) + '","decision_id":' + str(decisionIdOf(facts, decisionId));
  line += ',"trace_id":' + strOrNull(facts.traceId !== undefined ? stringOrNull(facts.traceId, 128) : traceIdFrom(request.headers, request.platformRequestId));
  line += ',"platform":' + str(context.platform) + ',"route":' + strOrNull(stringOrNull(facts.route, max));
  line += ',"method":' + str(typeof request.method === "string" ? cut(request.method, 16) : "");
  line += ',"path":' + str(pathOf(request.path, request.query, config.includeQuery, max));
  const token = tokenParts(facts.principal, claims, max);
  line += ',"principal":' + token.principal;
  line += ',"action":' + strOrNull(stringOrNull(facts.action, max)) + ',"resource":' + strOrNull(stringOrNull(facts.resource, max));
  line += ',"decision":"' + decision + '","decision_reason":' + str(codeOr(facts.reason, "unknown"));
  // Only refusals carry a detail, and few of them: the generic serialiser is exact for it
  line += ',"detail":' + (isObject(facts.detail) ? JSON.stringify(auditDetail(facts.detail, max)) : "null");
  line += ',"reasons":' + strings(policy && Array.isArray(policy.reasons) ? policy.reasons : undefined);
  const errors = policyErrors(policy?.errors, config.policyErrorDetail);
  line += ',"policy_errors":' + (errors.length === 0 ? "[]" : JSON.stringify(errors));
  line += ',"auth_error":' + (facts.authError == null ? "null" : str(codeOr(facts.authError, "unknown")));
  line += ',"revocation":' + (revocation
    ? '{"checked":' + (revocation.checked === true) + ',"cached":' + (revocation.cached === true) + ',"outcome":' + str(codeOr(revocation.outcome, "unknown")) +
      ',"ms":' + (Number.isFinite(revocation.ms) && revocation.ms >= 0 ? num(Math.round(revocation.ms * 1000) / 1000) : "0") +
      ',"store_error":' + (revocation.storeError == null ? "null" : str(codeOr(revocation.storeError, "unknown"))) + "}"
    : "null");
  const failMode = facts.failModeUsed;
  line += ',"fail_mode_used":' + (failMode === "open" || failMode === "closed" || failMode === "stale" ? '"' + failMode + '"' : "null");
  line += ',"policy_version":' + strOrNull(context.policyVersion);
  line += ',"latency_us":{"total":' + num(micros(timings?.total) ?? 0) + ',"verify":' + numOrNull(micros(timings?.verify)) +
    ',"revocation":' + numOrNull(micros(timings?.revocation)) + ',"eval":' + numOrNull(micros(timings?.eval)) + "}";
  line += ',"token":' + token.token;
  line += ',"cache":{"token_hit":' + (typeof cache?.tokenHit === "boolean" ? String(cache.tokenHit) : "null") +
    ',"jwks_age_s":' + numOrNull(numberOrNull(cache?.jwksAgeS)) + ',"revocation_age_ms":' + numOrNull(numberOrNull(cache?.revocationAgeMs)) + "}";
  line += ',"client_ip":' + strOrNull(maskClientIp(request.clientIp, config.clientIp, config.clientIpHash)) + ',"sample_rate":' + num(sampleRate);
  // The optional fields are rare or small; the generic serialiser is exact for them
  if (config.claims.length > 0 && claims) line += ',"claims":' + JSON.stringify(pickClaims(claims, config.claims));
  if (isObject(facts.shadow)) {
    const enforced = policy ?? { decision, reasons: NO_STRINGS, errors: [] };
    line += ',"shadow":' + JSON.stringify(compareShadow(enforced, facts.shadow, context.shadowPolicyVersion, config.policyErrorDetail));
  }
  if (isObject(facts.entities)) line += ',"entities":' + JSON.stringify(auditEntities(facts.entities, config.maxFieldLength)); // #17
  if (dropped > 0) line += ',"audit_dropped":' + num(dropped);
  return line + "}";
}

// Quote, backslash and controls must be escaped (RFC 8259 §7); JSON.stringify also escapes an
// unpaired surrogate, so any surrogate takes the exact path
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** The `principal` and `token` values of a line: they depend on the verified claims alone. */
interface TokenParts {
  readonly principal: string;
  readonly token: string;
  readonly of: object | null | undefined;
  readonly max: number;
}

// Per frozen claims object (the verifier's, reused by every request of a cached token), so a
// reused token's principal and token fields are serialised once (issue #22)
const partsByClaims = new WeakMap<object, TokenParts>();

function tokenParts(principal: DecisionFacts["principal"], claims: Readonly<Record<string, unknown>> | null, max: number): TokenParts {
  if (claims !== null) {
    const known = partsByClaims.get(claims);
    if (known !== undefined && known.of === principal && known.max === max) return known;
  }
  const parts: TokenParts = {
    principal: isObject(principal)
      ? '{"type":' + str(cut(String(principal.type), max)) + ',"id":' + str(cut(String(principal.id), max)) + ',"iss":' + strOrNull(claims ? stringOrNull(claims.iss, max) : null) + "}"
      : "null",
    token: claims
      ? '{"jti":' + strOrNull(stringOrNull(claims.jti, max)) + ',"iat":' + numOrNull(numberOrNull(claims.iat)) + ',"exp":' + numOrNull(numberOrNull(claims.exp)) + "}"
      : "null",
    of: principal,
    max,
  };
  if (claims !== null && Object.isFrozen(claims) && (principal === null || principal === undefined || Object.isFrozen(principal))) partsByClaims.set(claims, parts);
  return parts;
}

function str(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

function strOrNull(s: string | null): string {
  return s === null ? "null" : str(s);
}

// Finite numbers print the same through String() and JSON.stringify (-0 included); others are null in JSON
function num(n: number): string {
  return Number.isFinite(n) ? String(n) : "null";
}

function numOrNull(n: number | null): string {
  return n === null ? "null" : num(n);
}

function strings(items: readonly unknown[] | undefined): string {
  if (items === undefined || items.length === 0) return "[]";
  let out = "[";
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (typeof item !== "string") return JSON.stringify(items);
    out += (i === 0 ? "" : ",") + str(item);
  }
  return out + "]";
}
