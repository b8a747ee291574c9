import type { Clock } from "../../clock/index.ts";
import { Entity } from "../../policy/entities.ts";
import type { EntityJson } from "../../policy/types.ts";
import { resolveRequest, type ResolvedRequest } from "../../routes/resolve.ts";
import type { RouteMatch } from "../../routes/types.ts";
import { buildContext } from "../context.ts";
import { EVERY_CONTEXT_PART, type ContextNeeds } from "../context-needs.ts";
import { verdict, type Stage, type Verdict } from "../state.ts";

const NO_ROUTE = verdict(403, "no_route");

/**
 * Maps the matched route to the Cedar request: action and resource from the route's templates,
 * the context (token facts, client address, time, allowlisted headers, geo) and the request
 * entities (principal and resource). A route without an action or resource is refused as unmatched.
 * `parsedContext`: the policy set takes this runtime's parsed values and entities (`ownsPolicySet`).
 * `needs`: whether `geo` goes in, read at each request (it follows policy set swaps); default yes.
 */
export function requestStage(contextHeaders: readonly string[], clock: Clock, parsedContext = false, needs: ContextNeeds = EVERY_CONTEXT_PART): Stage {
  // The last match (frozen by the route stage, so the same object means the same route and
  // parameters), its resolved request (frozen) and, for a set built by this runtime, its resource
  // as the runtime's entity: decoded once for consecutive requests of one resource
  let lastMatch: RouteMatch | null = null;
  let lastResolved: ResolvedRequest | null = null;
  let lastResource: Entity | EntityJson | null = null;
  return function request(state): Verdict | undefined {
    const match = state.match!;
    let resolved: ResolvedRequest | null;
    let resource: Entity | EntityJson | null;
    if (lastMatch !== null && match === lastMatch && Object.isFrozen(match)) {
      resolved = lastResolved;
      resource = lastResource;
    } else {
      resolved = resolveRequest(match);
      resource = resolved === null ? null : freezeResolved(resolved, parsedContext);
      lastMatch = match;
      lastResolved = resolved;
      lastResource = resource;
    }
    if (resolved === null) return NO_ROUTE;
    state.request = resolved;
    const principal = state.principal!;
    const geo = needs.geo;
    state.cedarRequest = {
      principal: principal.uid,
      action: resolved.action,
      resource: resolved.resource,
      context: buildContext(state.tokenContext!, state.input, clock.now(), contextHeaders, parsedContext, geo),
    };
    if (!geo) state.geoLeftOut = true;
    // The principal's policy entity is built once per token (claims-memo.ts) when the runtime takes its own
    const entity = state.principalFacts === null ? (principal as unknown as EntityJson) : (state.principalFacts.entity as EntityJson);
    state.entities = [entity, resource as EntityJson];
    return undefined;
  };
}

// Shared by the requests of one match from now on: never changed, and the runtime's entity made once
function freezeResolved(resolved: ResolvedRequest, ownEntities: boolean): Entity | EntityJson {
  Object.freeze(resolved.resource);
  Object.freeze(resolved.resourceEntity.attrs);
  Object.freeze(resolved.resourceEntity);
  Object.freeze(resolved);
  const json = resolved.resourceEntity as unknown as EntityJson;
  return ownEntities ? new Entity(json) : json;
}
