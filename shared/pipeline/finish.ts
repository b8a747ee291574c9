import type { CompiledRoute } from "../routes/types.ts";
import { unauthorizedChallenge } from "../token/challenge.ts";
import { actionText, resourceText } from "./entity-text.ts";
import { identityHeaders, principalText } from "./identity.ts";
import type { DecideParts } from "./parts.ts";
import type { RequestState, Verdict } from "./state.ts";
import type { Decision } from "./types.ts";

// RFC 6750 §3.1: no error code when no credential was sent; one generic `invalid_token` for every
// other refusal (revoked included), so a client learns nothing about keys, clocks or lists
const CHALLENGE_MISSING = unauthorizedChallenge("missing_token");
const CHALLENGE_INVALID = unauthorizedChallenge("malformed");

/** Writes the request's one audit line from its state and verdict, and builds the `Decision`. */
export function finish(parts: DecideParts, state: RequestState, verdict: Verdict): Decision {
  const { status, reason } = verdict;
  const input = state.input;
  const allow = status === 200;
  const principal = state.principal;
  const route = state.match === null ? null : state.match.route;
  const revocation = state.revocation;
  const request = state.request;
  // Worked out once per token where the principal stage memoised it (issue #22)
  const facts = state.principalFacts;
  const tenant = facts !== null ? facts.tenant : principal !== null && typeof principal.attrs.tenant === "string" ? principal.attrs.tenant : undefined;
  const principalString = facts !== null ? facts.principalText : principal === null ? undefined : principalText(principal.uid.type, principal.uid.id);
  // The decision stage reads the policies' answer and nothing else: ended there, the request's total
  // is taken from the policies' own end time rather than from one more clock read
  const total = (state.stage === "decision" && state.evaluatedAt !== null ? state.evaluatedAt : performance.now()) - state.started;
  parts.audit[input.platform === "lambda" || input.platform === "node" ? input.platform : "worker"].log({
    decision: allow ? "allow" : "deny",
    decisionId: state.decisionId,
    reason,
    detail: verdict.detail ?? null,
    request: { method: input.method, path: input.path, clientIp: input.clientIp ?? null, headers: input.headers, platformRequestId: input.requestId ?? null },
    route: route === null ? null : route.name,
    principal: principal === null ? null : principal.uid,
    action: request === null ? null : actionText(request.action),
    resource: request === null ? null : resourceText(request.resource),
    claims: state.claims,
    authError: state.authError,
    revocation: revocation === null ? null : { checked: true, cached: revocation.cached, outcome: revocation.outcome, ms: revocation.ms, storeError: revocation.storeError ?? null },
    // `stale` too (#21): an answer served from an expired cache entry must not read as an ordinary hit
    failModeUsed: revocation === null ? null : revocation.failModeUsed ?? null,
    policy: state.policy,
    shadow: state.shadow,
    timingsMs: { total, verify: state.verifyMs, revocation: revocation === null ? null : revocation.ms, eval: state.evalMs },
    breakGlass: state.breakGlass,
    entities: entityFacts(state.entityLoad, state.entityAgeShiftMs ?? 0), // #17, #17b: age shift of a reused load
    cache: state.token === null ? null : { tokenHit: state.token.cache.hit, jwksAgeS: state.token.cache.jwksAgeSeconds ?? null, revocationAgeMs: revocation === null ? null : revocation.ageMs ?? null },
    // References only; the logger writes them with `audit.replay`
    principalEntity: state.cedarRequest === null ? null : principal,
    context: state.cedarRequest === null ? null : state.cedarRequest.context,
    canary: state.canary,
  });
  const context = contextFor(state.decisionId, principalString, tenant, route);
  const decisionPrincipal = principal === null ? undefined : facts !== null && facts.decisionPrincipal !== undefined ? facts.decisionPrincipal : tenant === undefined ? principal.uid : { type: principal.uid.type, id: principal.uid.id, tenant };
  // The common allow in one literal, every field in its place; an object given its fields one by one
  // outgrows its first layout and gets a second store for them. Field order as below in both forms.
  if (allow && route !== null && decisionPrincipal !== undefined && state.policy !== null && verdict.dpopNonce === undefined) {
    return { allow, status, reason, decisionId: state.decisionId, context, route: route.pattern, principal: decisionPrincipal, policies: state.policy.reasons, identityHeaders: identityHeaders(principalString ?? "", tenant, state.decisionId) };
  }
  const decision: { -readonly [K in keyof Decision]: Decision[K] } = { allow, status, reason, decisionId: state.decisionId, context };
  if (route !== null) decision.route = route.pattern;
  if (decisionPrincipal !== undefined) decision.principal = decisionPrincipal;
  if (state.policy !== null) decision.policies = state.policy.reasons;
  // Every identity header on every allow, empty when there is nothing to say (#21)
  if (allow) decision.identityHeaders = identityHeaders(principalString ?? "", tenant, state.decisionId);
  if (status === 401) decision.wwwAuthenticate = verdict.challenge ?? (state.authError === "missing_token" ? CHALLENGE_MISSING : CHALLENGE_INVALID); // DPoP challenges
  if (verdict.dpopNonce !== undefined) decision.dpopNonce = verdict.dpopNonce;
  return decision;
}

// The entity stage's loads for the audit line; absent when the stage did not run
function entityFacts(load: RequestState["entityLoad"], ageShiftMs: number) {
  if (load === undefined || load === null) return undefined;
  // A reused load's cached records have aged since it was answered
  const loaded = ageShiftMs > 0 && load.ok ? load.loaded.map((e) => (e.source === "cache" ? { ...e, ageMs: e.ageMs + ageShiftMs } : e)) : load.loaded;
  if (load.ok) return { loaded, version: load.version, failModeUsed: load.failModeUsed ?? null, storeError: load.storeError ?? null };
  return { loaded: load.loaded, version: null, failModeUsed: load.reason === "entities_unavailable" ? "closed" : null, storeError: load.reason === "entities_unavailable" ? load.storeError : null };
}

// Authorizer context for API Gateway: strings only
function contextFor(decisionId: string, principal: string | undefined, tenant: string | undefined, route: CompiledRoute | null): Record<string, string> {
  if (principal !== undefined && tenant !== undefined && route !== null) return { decisionId, principal, tenant, route: route.name };
  const context: Record<string, string> = { decisionId };
  if (principal !== undefined) context.principal = principal;
  if (tenant !== undefined) context.tenant = tenant;
  if (route !== null) context.route = route.name;
  return context;
}
