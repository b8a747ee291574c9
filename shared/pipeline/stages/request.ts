import type { Clock } from "../../clock/index.ts";
import type { EntityJson } from "../../policy/types.ts";
import { resolveRequest } from "../../routes/resolve.ts";
import { buildContext } from "../context.ts";
import { verdict, type Stage, type Verdict } from "../state.ts";

const NO_ROUTE = verdict(403, "no_route");

/**
 * Maps the matched route to the Cedar request: action and resource from the route's templates,
 * the context (token facts, client address, time, allowlisted headers, geo) and the request
 * entities (principal and resource). A route without an action or resource is refused as unmatched.
 */
export function requestStage(contextHeaders: readonly string[], clock: Clock): Stage {
  return function request(state): Verdict | undefined {
    const resolved = resolveRequest(state.match!);
    if (resolved === null) return NO_ROUTE;
    state.request = resolved;
    const principal = state.principal!;
    state.cedarRequest = {
      principal: principal.uid,
      action: resolved.action,
      resource: resolved.resource,
      context: buildContext(state.tokenContext!, state.input, clock.now(), contextHeaders),
    };
    state.entities = [principal as unknown as EntityJson, resolved.resourceEntity as unknown as EntityJson];
    return undefined;
  };
}
