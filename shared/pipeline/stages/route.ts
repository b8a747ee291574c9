import { matchRoute } from "../../routes/match.ts";
import type { RouteTable } from "../../routes/types.ts";
import { verdict, type Stage, type Verdict } from "../state.ts";

const PUBLIC_ROUTE = verdict(200, "public_route");

/**
 * Matches the method and normalised path against the route table. A public route ends the request
 * here, allowed without a token. An unmatched route goes on: it is refused only once the caller is
 * authenticated (see `unmatched.ts`).
 */
export function routeStage(routes: RouteTable): Stage {
  return function route(state): Verdict | undefined {
    const match = matchRoute(routes, state.input.method, state.segments!);
    state.match = match;
    return match !== null && match.route.public ? PUBLIC_ROUTE : undefined;
  };
}
