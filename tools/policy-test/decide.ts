import type { EntityJson } from "../../shared/policy/index.ts";
import { buildContext, type HeadersLike } from "../../shared/pipeline/index.ts";
import { matchRoute, normalizePath, resolveRequest } from "../../shared/routes/index.ts";
import { mapClaims, type TokenContext } from "../../shared/token/index.ts";
import type { DecideInput, DecideOutcome, DecideSetup } from "./types.ts";

const NO_TOKEN_CONTEXT: TokenContext = { scopes: [] };

/**
 * Decides a request whose token claims are given, with the pipeline's own stage functions in the
 * pipeline's order (`shared/pipeline/authorize.ts`): path normalisation → route match (public
 * routes allow) → claims mapping → unmatched route → request mapping → context → compiled
 * policies. Only the signature check and the revocation lookup are left out. Never throws.
 */
export function decideWithClaims(setup: DecideSetup, input: DecideInput): DecideOutcome {
  const path = normalizePath(input.path, setup.paths);
  if (!path.ok) return { decision: "deny", reason: path.reason };
  const match = matchRoute(setup.routes, input.method, path.segments);
  const route = match === null ? undefined : match.route.name;
  if (match !== null && match.route.public) return { decision: "allow", reason: "public_route", route: route! };

  let principal: EntityJson;
  let tokenContext = NO_TOKEN_CONTEXT;
  if (input.principal !== undefined) {
    principal = input.principal;
  } else if (input.claims !== undefined) {
    const iss = input.claims.iss;
    const mapping = (typeof iss === "string" ? setup.mappings.get(iss) : undefined) ?? setup.defaultMapping;
    const mapped = mapClaims(input.claims, mapping);
    if (!mapped.ok) return { decision: "deny", reason: mapped.reason, claim: mapped.claim, ...(route ? { route } : {}) };
    principal = mapped.principal as unknown as EntityJson;
    tokenContext = mapped.context;
  } else {
    return { decision: "deny", reason: "missing_token", ...(route ? { route } : {}) };
  }
  if (match === null) return { decision: "deny", reason: "no_route" };

  const resolved = resolveRequest(match);
  if (resolved === null) return { decision: "deny", reason: "no_route", route: route! };
  const headers = lowerCaseKeys(input.headers);
  const headersLike: HeadersLike = { get: (name) => headers.get(name.toLowerCase()) ?? null };
  const context = {
    ...buildContext(tokenContext, { platform: "node", method: input.method, path: input.path, headers: headersLike, ...(input.ip ? { clientIp: input.ip } : {}) }, input.now, setup.contextHeaders),
    ...input.context,
  };
  const uid = principal.uid as { type: string; id: string } | { __entity: { type: string; id: string } };
  const request = { principal: "__entity" in uid ? uid.__entity : uid, action: resolved.action, resource: resolved.resource, context };
  const entities = [principal, resolved.resourceEntity as unknown as EntityJson, ...(input.entities ?? [])];
  try {
    const result = setup.policies.evaluate(request, entities);
    return { decision: result.decision, reason: result.decision === "allow" ? "allowed" : "policy_denied", route: route!, request, entities, result };
  } catch (error) {
    // A malformed entity in a test file is the test's fault: report it as the reason, never crash the run
    return { decision: "deny", reason: `bad_request: ${error instanceof Error ? error.message : String(error)}`, route: route!, request, entities };
  }
}

function lowerCaseKeys(headers: Readonly<Record<string, string>> | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(headers ?? {})) out.set(name.toLowerCase(), value);
  return out;
}
