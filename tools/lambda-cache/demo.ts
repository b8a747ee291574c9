// The scenario `gatehouse dev --lambda` can print: one token through a cached authorizer, a route it
// may not call, then a revocation, until the cached allow expires.
import { authorizerEvent } from "./events.ts";
import { replayAuthorizerCache, type AuthorizerCacheOptions, type AuthorizerHandler, type ReplayReport, type ReplayStep } from "./replay.ts";

/** Inputs of `lambdaCacheDemo`. */
export interface LambdaCacheDemoOptions extends Omit<AuthorizerCacheOptions, "identitySources"> {
  /** A token the handler allows for `GET allowedPath` and denies for `DELETE deniedPath`. */
  readonly token: string;
  readonly allowedPath: string;
  readonly deniedPath: string;
  /** Revokes the token (through the store the handler reads); run at `revokeAtMs`. */
  readonly revoke: () => Promise<void> | void;
  /** When the revocation happens, in ms after the start; default 10000. */
  readonly revokeAtMs?: number;
}

/** Identity sources that key the cache on token, method and path (as infra/template.yaml does). */
export const ROUTE_BOUND_IDENTITY_SOURCES = {
  rest_token: [],
  rest_request: ["method.request.header.Authorization", "context.httpMethod", "context.path"],
  http_simple: ["$request.header.Authorization", "$context.httpMethod", "$context.path"],
} as const;

/** Runs the demo scenario; the report shows cache hits, stale allows and when the revocation lands. */
export function lambdaCacheDemo(handler: AuthorizerHandler, options: LambdaCacheDemoOptions): Promise<ReplayReport> {
  const ttlMs = (options.ttlSeconds ?? 300) * 1000;
  const revokeAt = options.revokeAtMs ?? 10_000;
  const headers = { authorization: `Bearer ${options.token}` };
  const get = authorizerEvent(options.kind, { method: "GET", path: options.allowedPath, headers });
  const del = authorizerEvent(options.kind, { method: "DELETE", path: options.deniedPath, headers });
  const steps: ReplayStep[] = [
    { atMs: 0, event: get },
    { atMs: 1000, event: del },
    { atMs: 2000, event: get },
    { atMs: revokeAt, event: get, before: options.revoke, label: `revoked at ${revokeAt / 1000} s` },
    { atMs: Math.max(revokeAt, ttlMs - 1), event: get },
    { atMs: Math.max(revokeAt, ttlMs) + 1, event: get, label: "after the TTL" },
  ];
  return replayAuthorizerCache(handler, steps, { ...options, identitySources: [...ROUTE_BOUND_IDENTITY_SOURCES[options.kind]] });
}
