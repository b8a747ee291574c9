import { maskClientIp } from "./client-ip.ts";
import { compareShadow, policyErrors } from "./compare-shadow.ts";
import type { AuditContext } from "./build-record.ts";
import { auditDetail, auditEntities, claimsOf, codeOr, cut, decisionIdOf, isObject, isoTime, micros, NO_STRINGS, numberOrNull, pathOf, pickClaims, stringOrNull } from "./fields.ts";
import type { DecisionFacts, PolicyOutcome } from "./facts.ts";
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
  let line = timePart(fixed, isoTime(timeMs)) + esc(decisionIdOf(facts, decisionId)) + tracePart(fixed, traceId === null || facts.traceId === undefined ? traceId : esc(traceId));
  line += routeAndMethodPart(fixed, stringOrNull(facts.route, max), typeof request.method === "string" ? cut(request.method, 16) : "") +
    pathPart(fixed, request.path, request.query, config) + '","principal":';
  const token = tokenParts(facts.principal, claims, max);
  const action = stringOrNull(facts.action, max);
  const resource = stringOrNull(facts.resource, max);
  line += principalPart(fixed, token, action) + resourcePart(fixed, resource) + outcomePart(fixed, facts, policy, decision, config, context.policyVersion);
  line += num(micros(timings?.total) ?? 0) + ',"verify":' + numOrNull(micros(timings?.verify)) + ',"revocation":' + numOrNull(micros(timings?.revocation)) +
    ',"eval":' + numOrNull(micros(timings?.eval));
  line += tokenCachePart(fixed, token, cache?.tokenHit) + numOrNull(numberOrNull(cache?.jwksAgeS)) + ',"revocation_age_ms":' + numOrNull(numberOrNull(cache?.revocationAgeMs)) + clientIpPart(fixed, request.clientIp, config) + num(sampleRate);
  // The optional fields are rare or small; the generic serialiser is exact for them
  if (config.claims.length > 0 && claims) line += ',"claims":' + JSON.stringify(pickClaims(claims, config.claims));
  if (isObject(facts.shadow)) {
    // On a canary line the candidate is compared with the stable set, whichever decided
    const enforced = facts.canary?.stable ?? policy ?? { decision, reasons: NO_STRINGS, errors: [] };
    line += ',"shadow":' + JSON.stringify(compareShadow(enforced, facts.shadow, context.shadowPolicyVersion, config.policyErrorDetail));
  }
  // Rare, or opted into; the generic serialiser is exact for them
  if (isObject(facts.canary)) line += ',"canary":' + JSON.stringify(canaryField(facts.canary));
  if (config.replay) {
    const replay = replayFacts(facts.principalEntity, facts.context, config);
    if (replay !== undefined) line += ',"replay":' + JSON.stringify(replay);
  }
  if (isObject(facts.entities)) line += ',"entities":' + JSON.stringify(auditEntities(facts.entities, config.maxFieldLength));
  if (dropped > 0) line += ',"audit_dropped":' + num(dropped);
  if (facts.breakGlass === true) line += ',"break_glass":true';
  return line + "}";
}

/**
 * What a line's text takes from its logger's context alone, worked out once per context, and the
 * last texts of the parts that most lines of a route repeat. Lines are serialised synchronously,
 * one at a time, so these fields never serve two lines at once.
 */
interface FixedParts {
  readonly platform: string;
  // the last client address and its `client_ip` text: consecutive requests often share one
  lastIp: string | null | undefined;
  lastIpPart: string;
  // texts of values drawn from small sets (route names and methods, action ids, single policy
  // ids), so a line is made of fewer pieces; each map is emptied when it reaches KNOWN_MAX
  readonly routes: Map<string | null, { readonly method: string; readonly text: string }>;
  readonly known: Map<string, string>;
  readonly reasons: Map<string, string>;
  // `principal` and `action` up to the resource's value, for the last token parts and action
  lastPrincipalOf: TokenParts | null;
  lastAction: string | null;
  lastPrincipalPart: string;
  // the last resource and its value's text
  lastResource: string | null;
  lastResourcePart: string;
  // `decision` up to the total latency's value, for the last outcome (see `outcomePart`)
  readonly outcome: OutcomeMemo;
  // `{"time":"…","decision_id":"` for the last time text
  lastTime: string;
  lastTimePart: string;
  // the last path and query, and the path's text: consecutive requests often repeat one
  lastPath: unknown;
  lastQuery: string | null | undefined;
  lastPathText: string;
  // `","trace_id":…` through `"route":`, for the last trace id text
  lastTraceId: string | null | undefined;
  lastTracePart: string;
  // `},"token":…,"cache":{…"jwks_age_s":` for the last token parts and token-cache hit
  lastCacheOf: TokenParts | null;
  lastTokenHit: boolean | null | undefined;
  lastTokenCachePart: string;
}

// The pieces of the outcome part the last line was made of, and their joined text
interface OutcomeMemo {
  decision: string;
  reason: string;
  detail: string;
  reasons: string;
  errors: string;
  authError: string;
  revocation: string;
  outcome: string;
  ms: string;
  storeError: string;
  failMode: string;
  version: string | null;
  versionPart: string;
  text: string;
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

// The line's start up to the decision id's text: lines of one millisecond share their time text
function timePart(fixed: FixedParts, time: string): string {
  if (time === fixed.lastTime && fixed.lastTimePart !== "") return fixed.lastTimePart;
  fixed.lastTime = time;
  fixed.lastTimePart = '{"time":"' + time + '","decision_id":"';
  return fixed.lastTimePart;
}

// After the decision id, through `"route":`; `traceId` is already escaped (or needs no escaping)
function tracePart(fixed: FixedParts, traceId: string | null): string {
  if (traceId === fixed.lastTraceId && fixed.lastTracePart !== "") return fixed.lastTracePart;
  fixed.lastTraceId = traceId;
  fixed.lastTracePart = (traceId === null ? '","trace_id":null' : '","trace_id":"' + traceId + '"') + fixed.platform;
  return fixed.lastTracePart;
}

// `"principal":` value, `action` and the `resource` name: one text per token and route action
function principalPart(fixed: FixedParts, token: TokenParts, action: string | null): string {
  if (token === fixed.lastPrincipalOf && action === fixed.lastAction && fixed.lastPrincipalPart !== "") return fixed.lastPrincipalPart;
  fixed.lastPrincipalOf = token;
  fixed.lastAction = action;
  fixed.lastPrincipalPart = token.principal + (action === null ? ',"action":null' : ',"action":"' + escKnown(fixed, action) + '"') + ',"resource":';
  return fixed.lastPrincipalPart;
}

function resourcePart(fixed: FixedParts, resource: string | null): string {
  if (resource === fixed.lastResource) return fixed.lastResourcePart;
  fixed.lastResource = resource;
  fixed.lastResourcePart = resource === null ? "null" : '"' + esc(resource) + '"';
  return fixed.lastResourcePart;
}

/**
 * `,"decision":…` through `"latency_us":{"total":`: decision, reason, detail, policy reasons and
 * errors, auth error, revocation answer, fail mode and policy version. Each piece is worked out as
 * always (most are constants or remembered texts), and when every piece is the last line's, the
 * last joined text is used rather than joined again.
 */
function outcomePart(fixed: FixedParts, facts: DecisionFacts, policy: PolicyOutcome | null, decision: "allow" | "deny", config: AuditContext["config"], version: string | null): string {
  const decisionText = decision === "allow" ? ',"decision":"allow","decision_reason":"' : ',"decision":"deny","decision_reason":"';
  const reason = codeOr(facts.reason, "unknown");
  // Only refusals carry a detail, and few of them: the generic serialiser is exact for it
  const detail = isObject(facts.detail) ? '","detail":' + JSON.stringify(auditDetail(facts.detail, config.maxFieldLength)) + ',"reasons":' : '","detail":null,"reasons":';
  const reasons = reasonsPart(fixed, policy && Array.isArray(policy.reasons) ? policy.reasons : undefined);
  const policyErrorList = policyErrors(policy?.errors, config.policyErrorDetail);
  const errors = policyErrorList.length === 0 ? ',"policy_errors":[]' : ',"policy_errors":' + JSON.stringify(policyErrorList);
  const authError = facts.authError == null ? ',"auth_error":null,"revocation":' : ',"auth_error":"' + codeOr(facts.authError, "unknown") + '","revocation":';
  const revocation = facts.revocation;
  let revocationHead = "null";
  let outcome = "";
  let ms = "";
  let storeError = "";
  if (revocation) {
    revocationHead = revocation.checked === true ? (revocation.cached === true ? '{"checked":true,"cached":true,"outcome":"' : '{"checked":true,"cached":false,"outcome":"')
      : revocation.cached === true ? '{"checked":false,"cached":true,"outcome":"' : '{"checked":false,"cached":false,"outcome":"';
    outcome = codeOr(revocation.outcome, "unknown");
    ms = Number.isFinite(revocation.ms) && revocation.ms >= 0 ? num(Math.round(revocation.ms * 1000) / 1000) : "0";
    storeError = revocation.storeError == null ? ',"store_error":null}' : ',"store_error":"' + codeOr(revocation.storeError, "unknown") + '"}';
  }
  const failModeUsed = facts.failModeUsed;
  const failMode = failModeUsed === "open" || failModeUsed === "closed" || failModeUsed === "stale" ? ',"fail_mode_used":"' + failModeUsed + '"' : ',"fail_mode_used":null';
  const memo = fixed.outcome;
  // A published bundle (#18) can change the version between two lines of one logger
  if (version !== memo.version || memo.versionPart === "") {
    memo.version = version;
    memo.versionPart = ',"policy_version":' + strOrNull(version) + ',"latency_us":{"total":';
    memo.text = "";
  }
  if (memo.text !== "" && decisionText === memo.decision && reason === memo.reason && detail === memo.detail && reasons === memo.reasons && errors === memo.errors &&
    authError === memo.authError && revocationHead === memo.revocation && outcome === memo.outcome && ms === memo.ms && storeError === memo.storeError && failMode === memo.failMode) {
    return memo.text;
  }
  memo.decision = decisionText;
  memo.reason = reason;
  memo.detail = detail;
  memo.reasons = reasons;
  memo.errors = errors;
  memo.authError = authError;
  memo.revocation = revocationHead;
  memo.outcome = outcome;
  memo.ms = ms;
  memo.storeError = storeError;
  memo.failMode = failMode;
  memo.text = decisionText + reason + detail + reasons + errors + authError + (revocation ? revocationHead + outcome + '","ms":' + ms + storeError : "null") + failMode + memo.versionPart;
  return memo.text;
}

// `},"token":…` and the start of `cache`, up to the JWKS age's value
function tokenCachePart(fixed: FixedParts, token: TokenParts, tokenHit: boolean | null | undefined): string {
  if (token === fixed.lastCacheOf && tokenHit === fixed.lastTokenHit && fixed.lastTokenCachePart !== "") return fixed.lastTokenCachePart;
  fixed.lastCacheOf = token;
  fixed.lastTokenHit = tokenHit;
  fixed.lastTokenCachePart = '},"token":' + token.token +
    (tokenHit === true ? ',"cache":{"token_hit":true,"jwks_age_s":' : tokenHit === false ? ',"cache":{"token_hit":false,"jwks_age_s":' : ',"cache":{"token_hit":null,"jwks_age_s":');
  return fixed.lastTokenCachePart;
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
      lastIp: undefined,
      lastIpPart: "",
      routes: new Map(),
      known: new Map(),
      reasons: new Map(),
      lastPrincipalOf: null,
      lastAction: null,
      lastPrincipalPart: "",
      lastResource: null,
      lastResourcePart: "null",
      outcome: { decision: "", reason: "", detail: "", reasons: "", errors: "", authError: "", revocation: "", outcome: "", ms: "", storeError: "", failMode: "", version: null, versionPart: "", text: "" },
      lastTime: "",
      lastTimePart: "",
      lastPath: undefined,
      lastQuery: undefined,
      lastPathText: "",
      lastTraceId: undefined,
      lastTracePart: "",
      lastCacheOf: null,
      lastTokenHit: undefined,
      lastTokenCachePart: "",
    };
    fixedByContext.set(context, fixed);
  }
  return fixed;
}

// The path's text (query included or redacted per the config, which is the context's): the last one
function pathPart(fixed: FixedParts, path: unknown, query: string | null | undefined, config: AuditContext["config"]): string {
  if (typeof path === "string" && path === fixed.lastPath && query === fixed.lastQuery) return fixed.lastPathText;
  fixed.lastPathText = esc(pathOf(path, query, config.includeQuery, config.maxFieldLength));
  fixed.lastPath = path;
  fixed.lastQuery = query;
  return fixed.lastPathText;
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
