import { maskClientIp } from "./client-ip.ts";
import { compareShadow, policyErrors } from "./compare-shadow.ts";
import type { ResolvedAuditConfig } from "./configure.ts";
import type { DecisionFacts } from "./facts.ts";
import type { AuditPlatform, AuditRecord } from "./record.ts";
import { auditDetail, auditEntities, claimsOf, codeOr, cut, decisionIdOf, isObject, isoTime, micros, NO_STRINGS, numberOrNull, pathOf, pickClaims, stringOrNull } from "./fields.ts";
import { traceIdFrom } from "./trace-id.ts";
import { canaryField } from "./canary-field.ts";
import { replayFacts } from "./replay-facts.ts";

/** What stays the same for every line a function writes. */
export interface AuditContext {
  readonly config: ResolvedAuditConfig;
  readonly platform: AuditPlatform;
  /** Version of the enforced policy bundle. */
  readonly policyVersion: string | null;
  /** Version of the candidate (shadow) bundle, when there is one. */
  readonly shadowPolicyVersion: string | null;
}

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
  const claims = claimsOf(facts);
  const policy = facts.policy ?? null;
  const revocation = facts.revocation ?? null;
  const cache = facts.cache ?? null;
  const timings = facts.timingsMs;

  const record: AuditRecord = {
    time: isoTime(timeMs),
    decision_id: decisionIdOf(facts, decisionId),
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

  if (config.claims.length > 0 && claims) record.claims = pickClaims(claims, config.claims);
  if (isObject(facts.shadow)) {
    // On a canary line the candidate is compared with the stable set, whichever decided
    const enforced = facts.canary?.stable ?? policy ?? { decision: record.decision, reasons: NO_STRINGS, errors: [] };
    record.shadow = compareShadow(enforced, facts.shadow, context.shadowPolicyVersion, config.policyErrorDetail);
  }
  if (isObject(facts.canary)) record.canary = canaryField(facts.canary);
  const replay = replayFacts(facts.principalEntity, facts.context, config);
  if (replay !== undefined) record.replay = replay;
  if (facts.breakGlass === true) record.break_glass = true;
  if (isObject(facts.entities)) record.entities = auditEntities(facts.entities, config.maxFieldLength);
  return record;
}

export { redactQuery } from "./fields.ts";
