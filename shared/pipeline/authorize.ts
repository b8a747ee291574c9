import type { EntityJson, PolicyResult } from "../policy/types.ts";
import type { RevocationCheckResult } from "../revocation/check.ts";
import { matchRoute } from "../routes/match.ts";
import { normalizePath } from "../routes/normalize.ts";
import { resolveRequest, type ResolvedRequest } from "../routes/resolve.ts";
import type { CompiledRoute, RouteMatch } from "../routes/types.ts";
import { unauthorizedChallenge } from "../token/challenge.ts";
import type { PrincipalEntity, TokenContext } from "../token/claims.ts";
import { extractCredential } from "../token/extract.ts";
import type { TokenFailureReason } from "../token/reasons.ts";
import type { JwtClaims, TokenSuccess, VerifyOutcome } from "../token/verify.ts";
import type { ClaimsFacts } from "./claims-memo.ts";
import { buildContext } from "./context.ts";
import type { Pipeline } from "./create-authorizer.ts";
import { evaluateShadow } from "./evaluate-shadow.ts";
import { identityHeaders } from "./identity.ts";
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
  /** The memoised facts of the verified claims the principal came from. */
  principalFacts: ClaimsFacts | null;
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
 * function; each refusal ends the request with its reason. Never throws, never rejects: anything
 * unexpected is a fail-closed 503 `internal_error`, and every path writes exactly one audit line.
 *
 * Fast path (issue #22): the two stages that may wait (token, revocation) first ask their caches
 * synchronously and continue in the same turn on a hit; only a miss goes through a Promise. So a
 * request whose token and revocation answer are cached is decided, and its audit line written,
 * before this function returns, with the Decision itself rather than a Promise.
 */
export function authorize(p: Pipeline, input: AuthorizeInput): Decision | Promise<Decision> {
  const at: Progress = {
    started: performance.now(), decisionId: p.randomUUID(), route: null, claims: null, token: null, principal: null, principalFacts: null,
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
    const cached = p.verifier.verifyCached(credential.token);
    if (cached !== undefined) return afterToken(p, input, at, match, cached, verifyStarted);
    return p.verifier.verify(credential.token).then(
      (token) => afterToken(p, input, at, match, token, verifyStarted),
      () => internalError(p, input, at),
    );
  } catch {
    return internalError(p, input, at);
  }
}

// The stages after the token: principal, unmatched route, then revocation (cached answer first)
function afterToken(p: Pipeline, input: AuthorizeInput, at: Progress, match: RouteMatch | null, token: VerifyOutcome, verifyStarted: number): Decision | Promise<Decision> {
  try {
    at.verifyMs = performance.now() - verifyStarted;
    // The keys could not be fetched: a dependency is down, not the caller's fault
    if (!token.ok) return token.reason === "jwks_unavailable" ? finish(p, input, at, 503, token.reason, token.reason) : deny401(p, input, at, token.reason);
    at.token = token;
    at.claims = token.claims;
    const facts = p.claimsFacts(token.claims, token.claimsMapping);
    const mapped = facts.mapped;
    if (!mapped.ok) return deny401(p, input, at, mapped.reason);
    const tokenContext = mapped.context;
    at.principal = mapped.principal;
    at.principalFacts = facts;
    // Unmatched routes are refused only once the caller is authenticated, so anonymous probing
    // answers 401 everywhere but public routes and learns nothing about the route table
    if (match === null) return finish(p, input, at, 403, "no_route");

    if (p.checker === null) return afterRevocation(p, input, at, match, tokenContext);
    const known = p.checker.checkCached(token.claims);
    if (known !== undefined) {
      at.revocation = known;
      return afterRevocation(p, input, at, match, tokenContext);
    }
    return p.checker.check(token.claims, p.config.failModes.get(match.route.name)).then(
      (revocation) => {
        at.revocation = revocation;
        return afterRevocation(p, input, at, match, tokenContext);
      },
      () => internalError(p, input, at),
    );
  } catch {
    return internalError(p, input, at);
  }
}

// The revocation answer (when checked), request mapping, policies and the decision
function afterRevocation(p: Pipeline, input: AuthorizeInput, at: Progress, match: RouteMatch, tokenContext: TokenContext): Decision {
  try {
    if (at.revocation !== null && !at.revocation.allow) {
      const reason = at.revocation.reason ?? "revocation_unavailable";
      return finish(p, input, at, reason === "revocation_unavailable" ? 503 : 401, reason);
    }
    const request = (at.request = resolveRequest(match));
    if (request === null) return finish(p, input, at, 403, "no_route");
    const evalStarted = performance.now();
    const cedarRequest = { principal: at.principal!.uid, action: request.action, resource: request.resource, context: buildContext(tokenContext, input, p.clock.now(), p.config.contextHeaders, p.parsedContext) };
    // The principal's entity is built once per token (claims-memo.ts); the runtime accepts its own `Entity`s
    const entities = [at.principalFacts!.entity as EntityJson, request.resourceEntity as unknown as EntityJson];
    at.policy = p.policies.evaluate(cedarRequest, entities);
    at.evalMs = performance.now() - evalStarted;
    // Shadow mode (issue #7): the candidate sees the same request and entities; its answer goes to the audit line only
    if (p.shadowPolicies !== null) at.shadow = evaluateShadow(p.shadowPolicies, cedarRequest, entities);
    if (at.policy.decision !== "allow") return finish(p, input, at, 403, "policy_denied");
    if (p.forbidIds !== null && forbidErrored(at.policy, p.forbidIds)) return finish(p, input, at, 403, "forbid_error");
    return finish(p, input, at, 200, "allowed");
  } catch {
    return internalError(p, input, at);
  }
}

// Invariant: no stage throws for a request; reaching here is a bug, and a bug must not let anyone in
function internalError(p: Pipeline, input: AuthorizeInput, at: Progress): Decision {
  try {
    return finish(p, input, at, 503, "internal_error");
  } catch {
    return { allow: false, status: 503, reason: "internal_error", decisionId: at.decisionId };
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
  const tenant = at.principalFacts === null ? undefined : at.principalFacts.tenant;
  const principalString = at.principalFacts === null ? undefined : at.principalFacts.principalText;
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
