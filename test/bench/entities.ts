// Live entity data (#17): the pipeline with every entity record cached, against the same pipeline
// without an `entities` section (goal ≤ 1.2×), measured in one process over interleaved rounds; and
// one entity-store miss (principal + resource, one MGET) against a loopback redis-server, p50/p99.
//   node --import tsx test/bench/entities.ts [--quick]
import { createRedisStore } from "../../functions/stores/index.ts";
import { frozenClock } from "../../shared/clock/index.ts";
import { createEntityLoader, entityStoreKey, NO_EXPIRY_SECONDS, resolveEntitiesConfig, storeEntitySource } from "../../shared/entities/index.ts";
import { createAuthorizer, isPromise, type AuthorizeInput, type Authorizer } from "../../shared/pipeline/index.ts";
import { createMemoryStore } from "../../shared/revocation/index.ts";
import { EXAMPLE_AUDIENCE, EXAMPLE_ISSUER, EXAMPLE_START_MS, examplePolicies, exampleRoutes } from "../harness/gatehouse-pipeline.ts";
import { createTestKey, mintToken, startRedisServer } from "../harness/index.ts";

/** The `entities` section of the bench JSON. */
export interface EntityFigures {
  /** One decision, entities off, ns (median of rounds). */
  pipeline_without_entities_ns: number;
  /** One decision, principal and resource records cached, ns (median of rounds). */
  pipeline_entity_hits_ns: number;
  /** pipeline_entity_hits_ns / pipeline_without_entities_ns, median of per-round ratios. Goal ≤ 1.2. */
  entity_hit_ratio: number;
  /** One loader read of two records that miss the cache, against loopback redis-server, µs. */
  redis_miss_p50_us: number;
  redis_miss_p99_us: number;
  rounds: number;
}

// Lines are built and serialised, then dropped: a sink that keeps them would grow the heap for both sides
const DISCARD = { write() {}, flush: async () => {} };
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round1 = (n: number) => Math.round(n * 10) / 10;

function timeSync(decide: () => void, iterations: number): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) decide();
  return Number(process.hrtime.bigint() - started) / iterations;
}

/** Runs both figures; quick mode is a few seconds. */
export async function benchEntities(opts: { quick: boolean }): Promise<EntityFigures> {
  const rounds = opts.quick ? 5 : 9;
  const iterations = opts.quick ? 3000 : 30_000;
  const key = await createTestKey("ES256");
  const clock = frozenClock(EXAMPLE_START_MS);
  const policies = await examplePolicies();
  const token = await mintToken(key, { tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] }, { issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, subject: "olive", now: EXAMPLE_START_MS / 1000, ttlSeconds: 3600 });
  const base = {
    token: { issuers: [{ issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } }] },
    routes: exampleRoutes(),
    revocation: { store: { kind: "memory" } },
  } as const;
  const records = createMemoryStore();
  await records.put(entityStoreKey('User::"olive"'), JSON.stringify({ uid: { type: "User", id: "olive" }, attrs: { tenant: "acme", suspended: false }, parents: [{ type: "Role", id: "viewer" }] }), NO_EXPIRY_SECONDS);
  await records.put(entityStoreKey('Order::"acme/o-1"'), JSON.stringify({ uid: { type: "Order", id: "acme/o-1" }, attrs: { tenant: "acme", owner: { __entity: { type: "User", id: "olive" } } } }), NO_EXPIRY_SECONDS);
  const without = createAuthorizer(base as never, { policies, clock, auditSink: DISCARD, revocationStore: createMemoryStore() });
  const withEntities = createAuthorizer({ ...base, entities: { source: { kind: "memory" }, ttlMs: 300_000 } } as never, { policies, clock, auditSink: DISCARD, revocationStore: createMemoryStore(), entitySource: storeEntitySource(records) });
  const request: AuthorizeInput = { platform: "node", method: "GET", path: "/tenants/acme/orders/o-1", headers: new Headers({ authorization: `Bearer ${token}` }) };
  // Warm both until they answer synchronously (token, revocation and entity caches filled)
  for (const authorize of [without, withEntities]) {
    const first = await authorize(request);
    if (!first.allow) throw new Error(`bench request denied: ${first.reason}`);
    const again = authorize.decide(request);
    if (isPromise(again)) throw new Error("the cached path must be synchronous");
  }
  const run = (authorize: Authorizer) => () => void authorize.decide(request);
  const plain: number[] = [];
  const hits: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // Alternating which side goes first, so neither always runs on the warmer (or busier) half of a round
    const first = r % 2 === 0;
    const a0 = first ? timeSync(run(without), iterations) : 0;
    const b = timeSync(run(withEntities), iterations);
    const a = first ? a0 : timeSync(run(without), iterations);
    plain.push(a);
    hits.push(b);
    ratios.push(b / a);
  }

  const redis = await startRedisServer();
  const store = createRedisStore({ url: redis.url });
  const samples: number[] = [];
  try {
    const config = resolveEntitiesConfig({ source: { kind: "redis" }, ttlMs: 0, negativeTtlMs: 0, deadlineMs: 2000 });
    // Only the principal and the resource: static parents are not read
    const loaderRecords = createEntityLoader(config, { source: storeEntitySource(store), clock, shapes: policies.entityShapes ?? null, isStatic: (type) => type === "Role" });
    for (let i = 0; i < 50; i++) await store.put(entityStoreKey(`Order::"acme/o-${i}"`), JSON.stringify({ uid: { type: "Order", id: `acme/o-${i}` }, attrs: { tenant: "acme" } }), NO_EXPIRY_SECONDS);
    const lookups = opts.quick ? 200 : 3000;
    for (let i = 0; i < 50; i++) await loaderRecords.load([{ type: "User", id: "olive" }, { type: "Order", id: `acme/o-${i % 50}` }], "closed");
    for (let i = 0; i < lookups; i++) {
      const started = performance.now();
      const result = await loaderRecords.load([{ type: "User", id: "olive" }, { type: "Order", id: `acme/o-${i % 50}` }], "closed");
      samples.push((performance.now() - started) * 1000);
      if (!result.ok) throw new Error(`entity read failed during the benchmark: ${result.reason}`);
    }
  } finally {
    await store.close();
    await redis.stop();
  }
  const sorted = samples.sort((a, b) => a - b);
  return {
    pipeline_without_entities_ns: Math.round(median(plain)),
    pipeline_entity_hits_ns: Math.round(median(hits)),
    entity_hit_ratio: Math.round(median(ratios) * 100) / 100,
    redis_miss_p50_us: round1(sorted[Math.floor(sorted.length * 0.5)]),
    redis_miss_p99_us: round1(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]),
    rounds,
  };
}

// `node --import tsx test/bench/entities.ts [--quick]` runs these figures alone
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchEntities({ quick: process.argv.includes("--quick") }), null, 2));
}
