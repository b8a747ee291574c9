import { verdict, type Stage, type Verdict } from "../state.ts";

const NO_ROUTE = verdict(403, "no_route");

/**
 * Refuses a request no route matched, once the caller is authenticated: anonymous probing answers
 * 401 everywhere but public routes, and so learns nothing about the route table.
 */
export function unmatchedStage(): Stage {
  return function unmatched(state): Verdict | undefined {
    return state.match === null ? NO_ROUTE : undefined;
  };
}
