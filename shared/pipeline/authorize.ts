import type { EntityJson, PolicyResult } from "../policy/types.ts";
import type { RevocationCheckResult } from "../revocation/check.ts";
import { matchRoute } from "../routes/match.ts";
import { normalizePath } from "../routes/normalize.ts";
import { resolveRequest, type ResolvedRequest } from "../routes/resolve.ts";
import type { CompiledRoute } from "../routes/types.ts";
import { unauthorizedChallenge } from "../token/challenge.ts";
import { mapClaims, type PrincipalEntity } from "../token/claims.ts";
import { extractCredential } from "../token/extract.ts";
import type { TokenFailureReason } from "../token/reasons.ts";
import type { JwtClaims, TokenSuccess } from "../token/verify.ts";
import { buildContext } from "./context.ts";
import type { Pipeline } from "./create-authorizer.ts";
import { evaluateShadow } from "./evaluate-shadow.ts";
import { identityHeaders, principalText } from "./identity.ts";
import type { DecisionReason } from "./reasons.ts";
import type { AuthorizeInput, Decision, DecisionStatus } from "./types.ts";

// RFC 6750 §3.1: no error code when no credential was sent; one generic `invalid_token` for every
// other refusal (revoked included), so a client learns nothing about keys, clocks or lists
const CHALLENGE_MISSING = unauthorizedChallenge("missing_token");
const CHALLENGE_INVALID = unauthorizedChallenge("malformed");

/** What one request has established so far; `finish` turns it into the Decision and the one audit line. */
interface Progress {
  readonly started: number;
  readonly decisionId: string;
  route: CompiledRoute | null;
  claims: JwtClaims | null;
  token: TokenSuccess | null;
  principal: PrincipalEntity | null;
  authError: TokenFailureReason | null;
  request: ResolvedRequest | null;
  revocation: RevocationCheckResult | null;
  policy: PolicyResult | null;
  /** The candidate set's answer in shadow mode; evidence for the audit line, never the decision. */
  shadow: PolicyResult | null;
  verifyMs: number | null;
  evalMs: number | null;
}

/**
 * The decision, in order: path → route (public routes stop here) → credential → token → principal
 * → unmatched route → revocation → request mapping → policies → audit. Each step is its stage's
 * function; each refusal ends the request with its reason. Never throws: anything unexpected is a
 * fail-closed 503 `internal_error`, and every path writes exactly one audit line.
 */
export async function authorize(p: Pipeline, input: AuthorizeInput): Promise<Decision> {
  const at: Progress = {
    started: performance.now(), decisionId: p.randomUUID(), route: null, claims: null, token: null, principal: null,
    authError: null, request: null, revocation: null, policy: null, shadow: null, verifyMs: null, evalMs: null,
  };
  try {
    const path = normalizePath(input.path, p.config.paths);
    if (!path.ok) return finish(p, input, at, 403, path.reason);
    const match = matchRoute(p.config.routes, input.method, path.segments);
    at.route = match === null ? null : match.route;
    if (match !== null && match.route.public) return finish(p, input, at, 200, "public_route");

    const credential = extractCredential(input.headers, {
      cookie: p.config.credential.cookie,
      queryParam: p.config.credential.queryParam,
      query: input.query,
      maxTokenBytes: p.config.token.maxTokenBytes,
      authorizationCount: input.headerCounts?.authorization,
    });
    if (!credential.ok) return deny401(p, input, at, credential.reason);
    const verifyStarted = performance.now();
    const token = await p.verifier.verify(credential.token);
    at.verifyMs = performance.now() - verifyStarted;
    // The keys could not be fetched: a dependency is down, not the caller's fault
    if (!token.ok) return token.reason === "jwks_unavailable" ? finish(p, input, at, 503, token.reason, token.reason) : deny401(p, input, at, token.reason);
    at.token = token;
    at.claims = token.claims;
    const mapped = mapClaims(token.claims, token.claimsMapping);
    if (!mapped.ok) return deny401(p, input, at, mapped.reason);
    at.principal = mapped.principal;
    // Unmatched routes are refused only once the caller is authenticated, so anonymous probing
    // answers 401 everywhere but public routes and learns nothing about the route table
    if (match === null) return finish(p, input, at, 403, "no_route");

    if (p.checker !== null) {
      at.revocation = await p.checker.check(token.claims, p.config.failModes.get(match.route.name));
      if (!at.revocation.allow) {
        const reason = at.revocation.reason ?? "revocation_unavailable";
        return finish(p, input, at, reason === "revocation_unavailable" ? 503 : 401, reason);
      }
    }

    const request = (at.request = resolveRequest(match));
    if (request === null) return finish(p, input, at, 403, "no_route");
    const evalStarted = performance.now();
    const cedarRequest = { principal: mapped.principal.uid, action: request.action, resource: request.resource, context: buildContext(mapped.context, input, p.clock.now(), p.config.contextHeaders) };
    const entities = [mapped.principal as unknown as EntityJson, request.resourceEntity as unknown as EntityJson];
    at.policy = p.policies.evaluate(cedarRequest, entities);
    at.evalMs = performance.now() - evalStarted;
    // Shadow mode (issue #7): the candidate sees the same request and entities; its answer goes to the audit line only
    if (p.shadowPolicies !== null) at.shadow = evaluateShadow(p.shadowPolicies, cedarRequest, entities);
    if (at.policy.decision !== "allow") return finish(p, input, at, 403, "policy_denied");
    if (p.forbidIds !== null && forbidErrored(at.policy, p.forbidIds)) return finish(p, input, at, 403, "forbid_error");
    return finish(p, input, at, 200, "allowed");
  } catch {
    // Invariant: no stage throws for a request; reaching here is a bug, and a bug must not let anyone in
    try {
      return finish(p, input, at, 503, "internal_error");
    } catch {
      return { allow: false, status: 503, reason: "internal_error", decisionId: at.decisionId };
    }
  }
}

// Strict mode (`onForbidError: "deny"`): a guard that could not be evaluated must not be skipped silently
function forbidErrored(result: PolicyResult, forbidIds: ReadonlySet<string>): boolean {
  for (let i = 0; i < result.errors.length; i++) if (forbidIds.has(result.errors[i].policy)) return true;
  return false;
}

function deny401(p: Pipeline, input: AuthorizeInput, at: Progress, reason: TokenFailureReason): Decision {
  return finish(p, input, at, 401, reason, reason);
}

function finish(p: Pipeline, input: AuthorizeInput, at: Progress, status: DecisionStatus, reason: DecisionReason, authError: TokenFailureReason | null = null): Decision {
  const allow = status === 200;
  const principal = at.principal;
  const route = at.route;
  const revocation = at.revocation;
  const tenant = principal !== null && typeof principal.attrs.tenant === "string" ? principal.attrs.tenant : undefined;
  const principalString = principal === null ? undefined : principalText(principal.uid.type, principal.uid.id);
  const total = performance.now() - at.started;
  p.audit[input.platform === "lambda" || input.platform === "node" ? input.platform : "worker"].log({
    decision: allow ? "allow" : "deny",
    decisionId: at.decisionId,
    reason,
    request: { method: input.method, path: input.path, clientIp: input.clientIp ?? null, headers: input.headers, platformRequestId: input.requestId ?? null },
    route: route === null ? null : route.name,
    principal: principal === null ? null : principal.uid,
    action: at.request === null ? null : `Action::${JSON.stringify(at.request.action.id)}`,
    resource: at.request === null ? null : `${at.request.resource.type}::${JSON.stringify(at.request.resource.id)}`,
    claims: at.claims,
    authError,
    revocation: revocation === null ? null : { checked: true, cached: revocation.cached, outcome: revocation.outcome, ms: revocation.ms, storeError: revocation.storeError ?? null },
    // `stale` too (#21): an answer served from an expired cache entry must not read as an ordinary hit
    failModeUsed: revocation === null ? null : revocation.failModeUsed ?? null,
    policy: at.policy,
    shadow: at.shadow,
    timingsMs: { total, verify: at.verifyMs, revocation: revocation === null ? null : revocation.ms, eval: at.evalMs },
    cache: at.token === null ? null : { tokenHit: at.token.cache.hit, jwksAgeS: at.token.cache.jwksAgeSeconds ?? null, revocationAgeMs: revocation === null ? null : revocation.ageMs ?? null },
  });
  // Built field by field rather than with spreads: this runs once per request
  const decision: { -readonly [K in keyof Decision]: Decision[K] } = { allow, status, reason, decisionId: at.decisionId, context: contextFor(at.decisionId, principalString, tenant, route) };
  if (route !== null) decision.route = route.pattern;
  if (principal !== null) decision.principal = tenant === undefined ? principal.uid : { type: principal.uid.type, id: principal.uid.id, tenant };
  if (at.policy !== null) decision.policies = at.policy.reasons;
  // Every identity header on every allow, empty when there is nothing to say (#21)
  if (allow) decision.identityHeaders = identityHeaders(principalString ?? "", tenant, at.decisionId);
  if (status === 401) decision.wwwAuthenticate = authError === "missing_token" ? CHALLENGE_MISSING : CHALLENGE_INVALID;
  return decision;
}

// Authorizer context for API Gateway: strings only
function contextFor(decisionId: string, principal: string | undefined, tenant: string | undefined, route: CompiledRoute | null): Record<string, string> {
  const context: Record<string, string> = { decisionId };
  if (principal !== undefined) context.principal = principal;
  if (tenant !== undefined) context.tenant = tenant;
  if (route !== null) context.route = route.name;
  return context;
}
