export type {
  AuditRecord,
  AuditPlatform,
  AuditDecision,
  AuditFailMode,
  AuditPrincipal,
  AuditPolicyError,
  AuditRevocation,
  AuditLatency,
  AuditTokenFacts,
  AuditCacheFacts,
  AuditShadow,
} from "./record.ts";
export type { DecisionFacts, PolicyOutcome, HeaderSource } from "./facts.ts";
export { resolveAuditConfig, type AuditConfig, type ResolvedAuditConfig } from "./configure.ts";
export { createAuditLogger, type AuditLogger, type AuditLoggerDeps } from "./create-logger.ts";
export { buildAuditRecord, redactQuery, type AuditContext } from "./build-record.ts";
export { traceIdFrom } from "./trace-id.ts";
export { maskClientIp, type ClientIpMode } from "./client-ip.ts";
export { compareShadow, type PolicyErrorDetail } from "./compare-shadow.ts";
export { NOTHING_TO_FLUSH, type AuditSink } from "./sink.ts";
export { stdoutSink, type StdoutSinkOptions } from "./stdout-sink.ts";
export { httpBatchSink, type HttpBatchSink, type HttpBatchSinkOptions, type HttpSinkFailure } from "./http-batch-sink.ts";
export { memorySink, type MemorySink } from "./memory-sink.ts";
