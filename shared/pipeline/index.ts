// The decision pipeline: the one entry point every adapter calls.
//
// Once, at start (Lambda, Node: module scope; Workers: first request, when `env` is known):
//
//   import { createAuthorizer } from "../../shared/pipeline/index.ts";
//   import policies from "../../dist/policies.js";          // the compiled policy module
//   const authorize = createAuthorizer(config, {            // config: GatehouseConfig (JSON)
//     policies,                                             // required
//     revocationStore,                                      // built by the adapter from config.revocation.store
//     auditSink,                                            // default stdoutSink()
//     clock, fetch, jwksPersistence,                        // defaults: system clock, global fetch, none
//   });                                                     // throws ConfigError naming the field
//
// Per request (never throws, never rejects):
//
//   const decision = await authorize({ platform: "lambda", method, path, query, headers, clientIp, requestId });
//   decision.allow / decision.status (200 | 401 | 403 | 503) / decision.reason (DecisionReason)
//   decision.identityHeaders (on allow) / decision.wwwAuthenticate (on 401) / decision.context (strings)
//   await authorize.flush();   // Lambda: before returning; Workers: ctx.waitUntil(authorize.flush())
//
// A request the adapter turns away before deciding (malformed event, unbound cache key, ARN with
// wildcards, a proxy that named no request) still gets its one audit line and a decision id:
//
//   const decision = authorize.refuse({ platform: "lambda", requestId }, "malformed_event", 401);
//
// The order of the stages is in order.ts; compose.ts runs them, each stage is one file in stages/.
export type { AuthorizeInput, Decision, DecisionStatus, HeadersLike, Platform } from "./types.ts";
export { createAuthorizer, type Authorizer, type AuthorizerDeps } from "./create-authorizer.ts";
export { DECISION_REASONS, REASONS_BY_STATUS, type DecisionDetail, type DecisionReason } from "./reasons.ts";
export { pipelineStages, type StageSwaps } from "./order.ts";
export { createDecide, decisionOf, type DecideState } from "./authorize.ts";
export type { PipelineParts, DecideParts } from "./parts.ts";
export { isPromise, type MaybePromise, type NamedStage, type RequestState, type Stage, type StageName, type Verdict } from "./state.ts";
export { forbidPolicyIds } from "./stages/decision.ts";
export { entitiesStage } from "./stages/entities.ts"; // Policy tools run the production entity stage on fixtures
export type { EntityStageParts } from "./entity-parts.ts";
export { refuseRequest, type RefusalReason, type RefusedRequest } from "./refuse.ts";
export { buildContext } from "./context.ts";
export { trackContextNeeds, type ContextNeeds } from "./context-needs.ts";
export { identityHeaders, principalText, IDENTITY_HEADER_PREFIX } from "./identity.ts";
export { validateConfig, type GatehouseConfig, type ResolvedConfig, type FailMode } from "../config/index.ts";
