export { freePort } from "./free-port.ts";
export { startRedisServer, pingRedis, type RedisServer } from "./redis-server.ts";
export { startJwksServer, type JwksServer } from "./jwks-server.ts";
export { createTestKey, mintToken, type TestKey, type TestAlgorithm, type MintOptions } from "./tokens.ts";
export { startWorker, type WorkerUnderTest, type StartWorkerOptions } from "./miniflare.ts";
export { findCedarCorpus, repoRoot } from "./corpus.ts";
export { startTcpProxy, type TcpProxy, type TcpProxyMode } from "./tcp-proxy.ts";
export { startUpstashBridge, type UpstashBridge, type UpstashBridgeMode } from "./upstash-bridge.ts";
export { startDynalite, type DynaliteServer } from "./dynalite.ts";
export { mintHmacToken, signRaw, unsignedToken, encodeJson, tamperPayload, tamperHeader, type HmacAlgorithm } from "./hostile-tokens.ts";
export { startAuditCollector, type AuditCollector, type CollectorBatch } from "./audit-collector.ts";
export { auditLineErrors, auditSchemaPath, rollbackEventErrors } from "./audit-schema.ts";
export { writeCandidateProject, candidatePolicies, CANDIDATE_DISAGREES_ON } from "./shadow-candidate.ts";
export { bundleWorkerEntry } from "./bundle-worker.ts";
export { startAuditedWorker, WORKER_ISSUER, WORKER_AUDIENCE, type AuditedWorker } from "./worker-audit.ts"; // #18
export { writeVariantProject, variantPolicies, BROAD_DENY, ERRORING_FORBID } from "./canary-candidate.ts"; // #18
export { startEntityServer, type EntityServer, type EntityServerMode } from "./entity-server.ts"; // #17
export { startOtlpCollector, otlpMetric, otlpAttributes, type OtlpCollector, type OtlpRequest, type OtlpExportRequest } from "./otlp-collector.ts";
