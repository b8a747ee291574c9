// Revocation lookups on loopback, per store: p50/p99 of one checker lookup that goes to the store
// (ttlMs 0, four keys: jti, sub, sid, client_id; one MGET / BatchGetItem / parallel KV reads), and
// the cost of a cache hit. Real servers: a spawned redis-server, the Upstash REST bridge over it,
// dynalite, and KV in Miniflare (workerd).
import { createDynamoDbStore, createRedisStore, createRevocationTable } from "../../functions/stores/index.ts";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createMemoryStore, createRevocationChecker, createUpstashStore, revocationKey, type RevocationStore } from "../../shared/revocation/index.ts";
import { startDynalite, startRedisServer, startUpstashBridge, startWorker } from "../harness/index.ts";
import { bundleRevocationWorker } from "../shared/revocation/stores/_worker-bundle.ts";

export interface RevocationFigures {
  readonly store: string;
  /** Median of one store lookup through the checker, in µs. */
  readonly p50_us: number;
  /** 99th percentile of the same, in µs. */
  readonly p99_us: number;
  /** One `check` answered from the isolate's cache, in ns (mean over many). */
  readonly cached_ns: number;
}

const ISS = "https://bench.test";
const claims = (i: number) => ({ iss: ISS, sub: `user-${i % 50}`, jti: `jti-${i}`, sid: `sid-${i % 20}`, client_id: "web", iat: 1_800_000_000 });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

const round = (n: number) => Math.round(n * 10) / 10;

async function measure(store: RevocationStore, lookups: number, hits: number): Promise<{ p50_us: number; p99_us: number; cached_ns: number }> {
  const cold = createRevocationChecker({ store: { kind: "memory" }, ttlMs: 0, deadlineMs: 2000, breaker: { failureThreshold: 1000 } }, { store });
  // Some revoked entries, so lookups read real values and not only misses
  for (let i = 0; i < 50; i += 5) await store.put(revocationKey("sub", ISS, `user-${i}`), "1700000000", Math.floor(Date.now() / 1000) + 3600);
  for (let i = 0; i < Math.min(50, lookups / 10); i++) await cold.check(claims(i)); // warm connections and JIT
  const samples = new Float64Array(lookups);
  for (let i = 0; i < lookups; i++) {
    const started = performance.now();
    const result = await cold.check(claims(i));
    samples[i] = performance.now() - started;
    if (result.outcome === "store_error") throw new Error(`${store.name}: lookup failed during the benchmark (${result.storeError})`);
  }
  const sorted = Array.from(samples).sort((a, b) => a - b);

  const warm = createRevocationChecker({ store: { kind: "memory" }, ttlMs: 300_000 }, { store });
  const hot = claims(7);
  await warm.check(hot);
  for (let i = 0; i < Math.min(hits, 10_000); i++) await warm.check(hot);
  const started = process.hrtime.bigint();
  for (let i = 0; i < hits; i++) await warm.check(hot);
  const cachedNs = Number(process.hrtime.bigint() - started) / hits;
  return { p50_us: round(percentile(sorted, 0.5) * 1000), p99_us: round(percentile(sorted, 0.99) * 1000), cached_ns: Math.round(cachedNs) };
}

/** Runs every store in turn; `quick` keeps the whole run to a few seconds. */
export async function benchRevocation(opts: { quick: boolean }): Promise<RevocationFigures[]> {
  const lookups = opts.quick ? 80 : 3000;
  const hits = opts.quick ? 20_000 : 500_000;
  const figures: RevocationFigures[] = [];

  figures.push({ store: "memory", ...(await measure(createMemoryStore(), lookups, hits)) });

  const redis = await startRedisServer();
  const bridge = await startUpstashBridge(redis.url);
  try {
    const tcp = createRedisStore({ url: redis.url });
    figures.push({ store: "redis (tcp)", ...(await measure(tcp, lookups, hits)) });
    await tcp.close();
    figures.push({ store: "upstash (rest bridge)", ...(await measure(createUpstashStore({ url: bridge.url, token: bridge.token }), lookups, hits)) });
  } finally {
    await bridge.stop();
    await redis.stop();
  }

  const dynalite = await startDynalite();
  try {
    const credentials = { accessKeyId: "local", secretAccessKey: "local" };
    const client = new DynamoDBClient({ region: "local", endpoint: dynalite.endpoint, credentials });
    await createRevocationTable(client, "bench");
    client.destroy();
    const store = createDynamoDbStore({ table: "bench", region: "local", endpoint: dynalite.endpoint, credentials });
    figures.push({ store: "dynamodb (dynalite)", ...(await measure(store, Math.min(lookups, opts.quick ? 40 : 1000), hits)) });
    await store.close();
  } finally {
    await dynalite.stop();
  }

  // KV: timed inside the Worker around the store's reads, so the Node↔workerd hop is not counted.
  // workerd's clock advances only across I/O, which is what is being timed here.
  const worker = await startWorker({ script: await bundleRevocationWorker(), kvNamespaces: ["REVOCATIONS"] });
  try {
    const keys = ["jti", "sub", "sid", "client"].map((kind) => revocationKey(kind as "jti", ISS, "x"));
    const response = await worker.fetch("/bench", { method: "POST", body: JSON.stringify({ keys, iterations: opts.quick ? 80 : 3000 }) });
    const sorted = ((await response.json()) as number[]).slice(30).sort((a, b) => a - b);
    const memoryRow = figures[0];
    figures.push({ store: "kv (miniflare, in-worker)", p50_us: round(percentile(sorted, 0.5) * 1000), p99_us: round(percentile(sorted, 0.99) * 1000), cached_ns: memoryRow.cached_ns });
  } finally {
    await worker.stop();
  }
  return figures;
}
