import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisStore, nodeStores } from "../../../functions/stores/index.ts";
import { createRevocationChecker, openStore } from "../../../shared/revocation/index.ts";
import { ConfigError } from "../../../shared/errors.ts";
import { freePort, startRedisServer, startTcpProxy, type RedisServer } from "../../harness/index.ts";
import { describeStoreContract } from "../../shared/revocation/_store-contract.ts";
import { describeStoreFaults } from "../../shared/revocation/_fault-suite.ts";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

describeStoreContract("redis", async () => createRedisStore({ url: redis.url }), { shortExpiry: true, conditionalWrite: true });

describeStoreFaults("redis", async () => {
  const proxy = await startTcpProxy({ host: redis.host, port: redis.port });
  const store = createRedisStore({ url: `redis://127.0.0.1:${proxy.port}`, commandTimeoutMs: 500 });
  return {
    store,
    proxy,
    stop: async () => {
      await store.close();
      await proxy.stop();
    },
  };
});

describe("redis: connection", () => {
  it("fails closed within the deadline when nothing listens on the port", async () => {
    const store = createRedisStore({ url: `redis://127.0.0.1:${await freePort()}` });
    try {
      const checker = createRevocationChecker({ store: { kind: "memory" }, deadlineMs: 50 }, { store });
      const started = performance.now();
      const result = await checker.check({ iss: "i", sub: "s" });
      expect(performance.now() - started).toBeLessThan(90);
      expect(result).toMatchObject({ allow: false, reason: "revocation_unavailable", failModeUsed: "closed" });
    } finally {
      await store.close();
    }
  });

  it("is built from config or `GATEHOUSE_REDIS_URL`, and names the missing url", async () => {
    const { store } = await openStore(nodeStores, { kind: "redis" }, { env: { GATEHOUSE_REDIS_URL: redis.url } });
    expect(store.name).toBe("redis");
    await store.close?.();
    await expect(openStore(nodeStores, { kind: "redis" }, { env: {} })).rejects.toThrow(ConfigError);
  });
});
