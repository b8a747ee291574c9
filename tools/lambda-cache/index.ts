// Local emulation of API Gateway's Lambda authorizer result cache (issue #6).
export { replayAuthorizerCache, formatReplay, type AuthorizerCacheOptions, type AuthorizerHandler, type ReplayReport, type ReplayResult, type ReplayStep } from "./replay.ts";
export { lambdaCacheDemo, ROUTE_BOUND_IDENTITY_SOURCES, type LambdaCacheDemoOptions } from "./demo.ts";
export { authorizerEvent, type EventRequest } from "./events.ts";
export { evaluateIamPolicy } from "./iam.ts";
export { resolveIdentitySource } from "./identity-source.ts";
export type { AuthorizerKind, ClientOutcome } from "./types.ts";
