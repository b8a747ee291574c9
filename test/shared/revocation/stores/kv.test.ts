import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKvStore, createRevocationChecker, revoke, type KvNamespaceLike } from "../../../../shared/revocation/index.ts";
import { startRedisServer, startUpstashBridge, startWorker, type RedisServer, type UpstashBridge, type WorkerUnderTest } from "../../../harness/index.ts";
import { describeStoreContract } from "../_store-contract.ts";
import { bundleRevocationWorker } from "./_worker-bundle.ts";

let worker: WorkerUnderTest;
let namespace: KvNamespaceLike;

beforeAll(async () => {
  worker = await startWorker({ script: await bundleRevocationWorker(), kvNamespaces: ["REVOCATIONS"] });
  namespace = (await worker.kv("REVOCATIONS")) as unknown as KvNamespaceLike;
});
afterAll(async () => {
  await worker?.stop();
});

async function call(path: string, body: unknown): Promise<any> {
  const response = await worker.fetch(path, { method: "POST", body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  return response.json();
}

// KV's shortest expiry is 60 s, so the contract's expiry case is skipped here
describeStoreContract("kv", async () => createKvStore(namespace), { shortExpiry: false, conditionalWrite: false });

describe("kv: inside workerd", () => {
  const iss = "https://kv-worker.test";
  const claims = (jti: string) => ({ iss, sub: "alice", jti, iat: Math.floor(Date.now() / 1000) - 10 });

  it("runs the checker over the KV binding in real workerd", async () => {
    expect(await call("/check", { claims: claims("t1") })).toMatchObject({ allow: true, outcome: "not_revoked", cached: false });
    expect(await call("/check", { claims: claims("t1") })).toMatchObject({ allow: true, cached: true });
  });

  it("denies within ttl after a revocation written from outside the Worker, and prints the time it took", async () => {
    expect((await call("/check", { claims: claims("t2") })).allow).toBe(true);
    const started = performance.now();
    await revoke(createKvStore(namespace), { iss, jti: "t2" });
    let result: any;
    do {
      result = await call("/check", { claims: claims("t2") });
      if (!result.allow) break;
      await new Promise((r) => setTimeout(r, 50));
    } while (performance.now() - started < 5000);
    const propagationMs = Math.round(performance.now() - started);
    console.log(`kv (Miniflare): revocation enforced in the Worker after ${propagationMs} ms (ttl 1000 ms)`);
    expect(result).toMatchObject({ allow: false, revokedBy: "jti" });
    expect(propagationMs).toBeLessThan(1000 + 500);
  });

  it("writes revocations from inside the Worker with the library function (IdP webhook)", async () => {
    const record = await call("/revoke", { target: { iss, sub: "bob" } });
    expect(record).toMatchObject({ kind: "sub", id: "bob" });
    expect(await namespace.get(record.key)).toBe(record.value);
  });

  it("stores the value in metadata, so listing needs no read per key", async () => {
    await revoke(createKvStore(namespace), { iss, sid: "s-meta" });
    const page = await namespace.list({ prefix: "gh:rv:sid:" });
    expect(page.keys[0]?.metadata).toMatchObject({ value: expect.stringMatching(/^\d+$/) });
  });

  it("fails closed when the binding rejects, e.g. an over-long key", async () => {
    const checker = createRevocationChecker({ store: { kind: "memory" }, deadlineMs: 2000 }, {
      store: createKvStore({ ...namespace, get: () => namespace.get("x".repeat(600)) } as KvNamespaceLike),
    });
    expect(await checker.check(claims("t3"))).toMatchObject({ allow: false, reason: "revocation_unavailable", storeError: "connection" });
  });
});

describe("upstash: inside workerd", () => {
  let redis: RedisServer;
  let bridge: UpstashBridge;
  beforeAll(async () => {
    redis = await startRedisServer();
    bridge = await startUpstashBridge(redis.url);
  });
  afterAll(async () => {
    await bridge?.stop();
    await redis?.stop();
  });

  it("runs the official @upstash/redis client in workerd against the REST bridge", async () => {
    const body = { url: bridge.url, token: bridge.token, claims: { iss: "https://up.test", jti: "w1", iat: 1 } };
    expect(await call("/upstash-check", body)).toMatchObject({ allow: true, outcome: "not_revoked" });
    const { createUpstashStore } = await import("../../../../shared/revocation/index.ts");
    await revoke(createUpstashStore({ url: bridge.url, token: bridge.token }), { iss: "https://up.test", jti: "w1" });
    expect(await call("/upstash-check", body)).toMatchObject({ allow: false, revokedBy: "jti" });
  });
});
