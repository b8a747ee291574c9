import { maskClientIp } from "./client-ip.ts";
import { compareShadow, policyErrors } from "./compare-shadow.ts";
import type { AuditContext } from "./build-record.ts";
import { auditDetail, auditEntities, claimsOf, codeOr, cut, decisionIdOf, isObject, isoTime, micros, NO_STRINGS, numberOrNull, pathOf, pickClaims, stringOrNull } from "./fields.ts";
import type { DecisionFacts } from "./facts.ts";
import { traceIdFrom } from "./trace-id.ts";
import { canaryField } from "./canary-field.ts";
import { replayFacts } from "./replay-facts.ts";

/**
 * The audit line for one decision as JSON text, written straight from the facts with a fixed-order
 * template (issue #22): the same bytes as `JSON.stringify(buildAuditRecord(...))`, without building
 * the record's object tree first. Field values come from the same helpers as `buildAuditRecord`;
 * only strings that need escaping go through `JSON.stringify`. `dropped` adds `audit_dropped`.
 * test/shared/audit/serialize-line.test.ts holds the two to the same output. `readTraceId` (#19) is the
 * trace id the logger already read from the headers for the metrics; used only when `facts.traceId` is absent.
 */
export function serializeAuditLine(facts: DecisionFacts, context: AuditContext, timeMs: number, decisionId: string, sampleRate = 1, dropped = 0, readTraceId?: string | null): string {
  const { config } = context;
  const { request, revocation, cache, timingsMs: timings } = facts;
  const max = config.maxFieldLength;
  const claims = claimsOf(facts);
  const policy = facts.policy ?? null;
  const decision = facts.decision === "allow" ? "allow" : "deny";
  const fixed = fixedParts(context);

  // Each `+` below makes one string piece (and bytes to copy when the line is written), so quotes
  // and field names travel in the literals around a value, and only values that may need escaping
  // go through `esc`; codes (snake_case), times, trace ids and masked addresses never do
  const traceId = facts.traceId !== undefined ? stringOrNull(facts.traceId, 128) : readTraceId !== undefined ? readTraceId : traceIdFrom(request.headers, request.platformRequestId);
  let line = '{"time":"' + isoTime(timeMs) + '","decision_id":"' + esc(decisionIdOf(facts, decisionId)) +
    (traceId === null ? '","trace_id":null' : '","trace_id":"' + (facts.traceId !== undefined ? esc(traceId) : traceId) + '"') + fixed.platform;
  line += routeAndMethodPart(fixed, stringOrNull(facts.route, max), typeof request.method === "string" ? cut(request.method, 16) : "") +
    esc(pathOf(request.path, request.query, config.includeQuery, max)) + '","principal":';
  const token = tokenParts(facts.principal, claims, max);
  const action = stringOrNull(facts.action, max);
  const resource = stringOrNull(facts.resource, max);
  line += token.principal + (action === null ? ',"action":null' : ',"action":"' + escKnown(fixed, action) + '"') + (resource === null ? ',"resource":null' : ',"resource":"' + esc(resource) + '"');
  line += (decision === "allow" ? ',"decision":"allow","decision_reason":"' : ',"decision":"deny","decision_reason":"') + codeOr(facts.reason, "unknown");
  // Only refusals carry a detail, and few of them: the generic serialiser is exact for it
  line += isObject(facts.detail) ? '","detail":' + JSON.stringify(auditDetail(facts.detail, max)) + ',"reasons":' : '","detail":null,"reasons":';
  line += reasonsPart(fixed, policy && Array.isArray(policy.reasons) ? policy.reasons : undefined);
  const errors = policyErrors(policy?.errors, config.policyErrorDetail);
  line += errors.length === 0 ? ',"policy_errors":[]' : ',"policy_errors":' + JSON.stringify(errors);
  line += facts.authError == null ? ',"auth_error":null,"revocation":' : ',"auth_error":"' + codeOr(facts.authError, "unknown") + '","revocation":';
  if (revocation) {
    line += (revocation.checked === true ? (revocation.cached === true ? '{"checked":true,"cached":true,"outcome":"' : '{"checked":true,"cached":false,"outcome":"')
      : revocation.cached === true ? '{"checked":false,"cached":true,"outcome":"' : '{"checked":false,"cached":false,"outcome":"') +
      codeOr(revocation.outcome, "unknown") + '","ms":' + (Number.isFinite(revocation.ms) && revocation.ms >= 0 ? num(Math.round(revocation.ms * 1000) / 1000) : "0") +
      (revocation.storeError == null ? ',"store_error":null}' : ',"store_error":"' + codeOr(revocation.storeError, "unknown") + '"}');
  } else {
    line += "null";
  }
  const failMode = facts.failModeUsed;
  line += (failMode === "open" || failMode === "closed" || failMode === "stale" ? ',"fail_mode_used":"' + failMode + '"' : ',"fail_mode_used":null') + fixed.policyVersion +
    num(micros(timings?.total) ?? 0) + ',"verify":' + numOrNull(micros(timings?.verify)) + ',"revocation":' + numOrNull(micros(timings?.revocation)) +
    ',"eval":' + numOrNull(micros(timings?.eval)) + '},"token":' + token.token;
  const tokenHit = cache?.tokenHit;
  line += (tokenHit === true ? ',"cache":{"token_hit":true,"jwks_age_s":' : tokenHit === false ? ',"cache":{"token_hit":false,"jwks_age_s":' : ',"cache":{"token_hit":null,"jwks_age_s":') +
    numOrNull(numberOrNull(cache?.jwksAgeS)) + ',"revocation_age_ms":' + numOrNull(numberOrNull(cache?.revocationAgeMs)) + clientIpPart(fixed, request.clientIp, config) + num(sampleRate);
  // The optional fields are rare or small; the generic serialiser is exact for them
  if (config.claims.length > 0 && claims) line += ',"claims":' + JSON.stringify(pickClaims(claims, config.claims));
  if (isObject(facts.shadow)) {
    // #18: on a canary line the candidate is compared with the stable set, whichever decided
    const enforced = facts.canary?.stable ?? policy ?? { decision, reasons: NO_STRINGS, errors: [] };
    line += ',"shadow":' + JSON.stringify(compareShadow(enforced, facts.shadow, context.shadowPolicyVersion, config.policyErrorDetail));
  }
  // #18: rare, or opted into; the generic serialiser is exact for them
  if (isObject(facts.canary)) line += ',"canary":' + JSON.stringify(canaryField(facts.canary));
  if (config.replay) {
    const replay = replayFacts(facts.principalEntity, facts.context, config);
    if (replay !== undefined) line += ',"replay":' + JSON.stringify(replay);
  }
  if (isObject(facts.entities)) line += ',"entities":' + JSON.stringify(auditEntities(facts.entities, config.maxFieldLength)); // #17
  if (dropped > 0) line += ',"audit_dropped":' + num(dropped);
  if (facts.breakGlass === true) line += ',"break_glass":true'; // #19
  return line + "}";
}

/** What a line's text takes from its logger's context alone, worked out once per context. */
interface FixedParts {
  readonly platform: string;
  readonly policyVersion: string;
  // the last client address and its `client_ip` text: consecutive requests often share one
  lastIp: string | null | undefined;
  lastIpPart: string;
  // texts of values drawn from small sets (route names and methods, action ids, single policy
  // ids), so a line is made of fewer pieces; each map is emptied when it reaches KNOWN_MAX
  readonly routes: Map<string | null, { readonly method: string; readonly text: string }>;
  readonly known: Map<string, string>;
  readonly reasons: Map<string, string>;
}

const KNOWN_MAX = 256;

function remember<V>(map: Map<string | null, V>, key: string | null, value: V): V {
  if (map.size >= KNOWN_MAX) map.clear();
  map.set(key, value);
  return value;
}

// `"route":…,"method":"…","path":"` up to the path's text
function routeAndMethodPart(fixed: FixedParts, route: string | null, method: string): string {
  const known = fixed.routes.get(route);
  if (known !== undefined && known.method === method) return known.text;
  const text = (route === null ? "null" : '"' + esc(route) + '"') + ',"method":"' + esc(method) + '","path":"';
  return remember(fixed.routes, route, { method, text }).text;
}

function escKnown(fixed: FixedParts, s: string): string {
  return fixed.known.get(s) ?? remember(fixed.known, s, esc(s));
}

function reasonsPart(fixed: FixedParts, reasons: readonly unknown[] | undefined): string {
  if (reasons === undefined || reasons.length !== 1 || typeof reasons[0] !== "string") return strings(reasons);
  const id = reasons[0];
  return fixed.reasons.get(id) ?? remember(fixed.reasons, id, strings(reasons));
}

const fixedByContext = new WeakMap<AuditContext, FixedParts>();

function fixedParts(context: AuditContext): FixedParts {
  let fixed = fixedByContext.get(context);
  if (fixed === undefined) {
    fixed = {
      platform: ',"platform":' + str(context.platform) + ',"route":',
      policyVersion: ',"policy_version":' + strOrNull(context.policyVersion) + ',"latency_us":{"total":',
      lastIp: undefined,
      lastIpPart: "",
      routes: new Map(),
      known: new Map(),
      reasons: new Map(),
    };
    fixedByContext.set(context, fixed);
  }
  return fixed;
}

function clientIpPart(fixed: FixedParts, ip: string | null | undefined, config: AuditContext["config"]): string {
  if (ip !== fixed.lastIp || fixed.lastIpPart === "") {
    fixed.lastIpPart = '},"client_ip":' + strOrNull(maskClientIp(ip, config.clientIp, config.clientIpHash)) + ',"sample_rate":';
    fixed.lastIp = ip;
  }
  return fixed.lastIpPart;
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

// The text between a string value's quotes: `s` itself unless JSON must escape something in it
function esc(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s).slice(1, -1) : s;
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
