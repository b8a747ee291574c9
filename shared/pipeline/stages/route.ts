import { matchRoute } from "../../routes/match.ts";
import type { RouteMatch, RouteTable } from "../../routes/types.ts";
import { verdict, type Stage, type Verdict } from "../state.ts";

const PUBLIC_ROUTE = verdict(200, "public_route");

/**
 * Matches the method and normalised path against the route table. A public route ends the request
 * here, allowed without a token. An unmatched route goes on: it is refused only once the caller is
 * authenticated (see `unmatched.ts`).
 */
export function routeStage(routes: RouteTable): Stage {
  // The last segments (the path stage hands the same frozen array for the same path), method and
  // their match, frozen: the table never changes, so the same segments and method match the same way
  let lastSegments: readonly string[] | null = null;
  let lastMethod = "";
  let lastMatch: RouteMatch | null = null;
  return function route(state): Verdict | undefined {
    const segments = state.segments!;
    const method = state.input.method;
    let match: RouteMatch | null;
    if (lastSegments !== null && segments === lastSegments && method === lastMethod && Object.isFrozen(segments)) {
      match = lastMatch;
    } else {
      match = matchRoute(routes, method, segments);
      if (match !== null) {
        Object.freeze(match.params);
        Object.freeze(match);
      }
      lastSegments = segments;
      lastMethod = method;
      lastMatch = match;
    }
    state.match = match;
    return match !== null && match.route.public ? PUBLIC_ROUTE : undefined;
  };
}
