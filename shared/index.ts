// The package's root entry (`gatehouse`): the pipeline, the configuration and the types a caller
// meets. Platform adapters, the Hono middleware and the stores have their own subpaths, so a
// bundle carries only what it imports (issue #15).
export { createAuthorizer, type Authorizer, type AuthorizerDeps, type AuthorizeInput, type Decision, type DecisionReason, type DecisionStatus, type HeadersLike, type Platform } from "./pipeline/index.ts";
export { defineConfig, validateConfig, type FailMode, type GatehouseConfig, type ResolvedConfig } from "./config/index.ts";
export { ConfigError } from "./errors.ts";
export { systemClock, frozenClock, type Clock } from "./clock/index.ts";
export type { RevocationStore, RevocationStoreEntry } from "./revocation/store.ts";
export type { AuditSink } from "./audit/sink.ts";
export { stdoutSink, type StdoutSinkOptions } from "./audit/stdout-sink.ts";
export { memorySink, type MemorySink } from "./audit/memory-sink.ts";
export type { CompiledPolicySet, OnForbidError } from "./policy/types.ts";
// Decision metrics (the adapters pick the emitter; these are for a custom entry)
export { emfMetrics, analyticsEngineMetrics, noMetrics, LATENCY_BUCKETS_MS, type DecisionMetrics, type EmfMetricsOptions, type AnalyticsEngineDataset } from "./metrics/index.ts";
