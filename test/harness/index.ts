export { freePort } from "./free-port.ts";
export { startRedisServer, pingRedis, type RedisServer } from "./redis-server.ts";
export { startJwksServer, type JwksServer } from "./jwks-server.ts";
export { createTestKey, mintToken, type TestKey, type TestAlgorithm, type MintOptions } from "./tokens.ts";
export { startWorker, type WorkerUnderTest, type StartWorkerOptions } from "./miniflare.ts";
export { findCedarCorpus, repoRoot } from "./corpus.ts";
