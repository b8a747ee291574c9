// A request state for one stage test: the state the stages before it would have left.
import { frozenClock } from "../../../../shared/clock/index.ts";
import { newState, type RequestState } from "../../../../shared/pipeline/state.ts";
import type { AuthorizeInput } from "../../../../shared/pipeline/index.ts";
import { compileRoutes } from "../../../../shared/routes/index.ts";
import { matchRoute } from "../../../../shared/routes/match.ts";
import { defaultClaimsMapping, mapClaims } from "../../../../shared/token/index.ts";
import { NOW_MS, exampleRoutes, viewer } from "../fixtures.ts";

export const routes = compileRoutes(exampleRoutes);
export const clock = frozenClock(NOW_MS);

export function stateFor(method: string, path: string, extra: Partial<AuthorizeInput> = {}): RequestState {
  return newState({ platform: "node", method, path, headers: new Headers(), ...extra }, "decision-1", 0);
}

/** The state after path, route, token and principal: `viewer` verified, the route matched. */
export function authenticatedState(method: string, path: string, claims: Record<string, unknown> = { iss: "https://dev.gatehouse.local", ...viewer }): RequestState {
  const state = stateFor(method, path);
  state.segments = path.split("/").slice(1);
  state.match = matchRoute(routes, method, state.segments);
  const frozen = Object.freeze({ ...claims });
  state.token = { ok: true, claims: frozen, issuer: "dev", claimsMapping: defaultClaimsMapping, cache: { hit: true } };
  state.claims = frozen;
  const mapped = mapClaims(frozen, defaultClaimsMapping);
  if (!mapped.ok) throw new Error(`fixture claims do not map: ${mapped.reason}`);
  state.principal = mapped.principal;
  state.tokenContext = mapped.context;
  return state;
}
