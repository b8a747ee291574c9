import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisStore } from "../../../../functions/stores/index.ts";
import { createRevocationChecker, createUpstashStore, revoke } from "../../../../shared/revocation/index.ts";
import { startRedisServer, startTcpProxy, startUpstashBridge, type RedisServer, type UpstashBridge } from "../../../harness/index.ts";
import { describeStoreFaults } from "../_fault-suite.ts";
import { describeStoreContract } from "../_store-contract.ts";

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

describeStoreContract("upstash", async () => createUpstashStore({ url: bridge.url, token: bridge.token }), { shortExpiry: true, conditionalWrite: true });

describeStoreFaults("upstash", async () => {
  const proxy = await startTcpProxy({ host: "127.0.0.1", port: bridge.port });
  return { store: createUpstashStore({ url: `http://127.0.0.1:${proxy.port}`, token: bridge.token }), proxy, stop: () => proxy.stop() };
});

describe("upstash: protocol", () => {
  it("reads all of a token's keys in one REST request (`MGET`)", async () => {
    const store = createUpstashStore({ url: bridge.url, token: bridge.token });
    const checker = createRevocationChecker({ store: { kind: "memory" }, deadlineMs: 2000 }, { store });
    const before = bridge.requests.length;
    await checker.check({ iss: "https://one-trip.test", sub: "a", jti: "b", sid: "c", client_id: "d" });
    expect(bridge.requests.slice(before)).toHaveLength(1);
    expect(bridge.requests[before]).toMatchObject({ path: "/", body: ["mget", expect.any(String), expect.any(String), expect.any(String), expect.any(String)] });
  });

  it("writes a key once in one REST request (`SET NX EXAT`)", async () => {
    const store = createUpstashStore({ url: bridge.url, token: bridge.token });
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const before = bridge.requests.length;
    expect(await store.putIfAbsent!("gh:dpop:one-trip", "1", exp, AbortSignal.timeout(2000), Date.now())).toBe(true);
    expect(await store.putIfAbsent!("gh:dpop:one-trip", "1", exp, AbortSignal.timeout(2000), Date.now())).toBe(false);
    expect(bridge.requests.slice(before)).toEqual([
      { path: "/", body: ["set", "gh:dpop:one-trip", "1", "nx", "exat", exp] },
      { path: "/", body: ["set", "gh:dpop:one-trip", "1", "nx", "exat", exp] },
    ]);
  });

  it("reads what the TCP Redis store wrote: one data layout for both", async () => {
    const tcp = createRedisStore({ url: redis.url });
    try {
      await revoke(tcp, { iss: "https://shared.test", sub: "alice", before: 2_000_000_000 });
      const checker = createRevocationChecker({ store: { kind: "memory" } }, { store: createUpstashStore({ url: bridge.url, token: bridge.token }) });
      expect(await checker.check({ iss: "https://shared.test", sub: "alice", iat: 1_900_000_000 })).toMatchObject({ allow: false, revokedBy: "sub" });
    } finally {
      await tcp.close();
    }
  });

  it("fails closed with `bad_reply` when the token is wrong (401)", async () => {
    const store = createUpstashStore({ url: bridge.url, token: "wrong" });
    const checker = createRevocationChecker({ store: { kind: "memory" } }, { store });
    expect(await checker.check({ iss: "i", sub: "s" })).toMatchObject({ allow: false, reason: "revocation_unavailable", storeError: "bad_reply" });
  });

  for (const mode of ["error", "garbage"] as const) {
    it(`fails closed with \`bad_reply\` when the REST endpoint answers ${mode === "error" ? "500" : "200 with a body that is not JSON"}`, async () => {
      const store = createUpstashStore({ url: bridge.url, token: bridge.token });
      const checker = createRevocationChecker({ store: { kind: "memory" } }, { store });
      bridge.setMode(mode);
      try {
        expect(await checker.check({ iss: "i", sub: `s-${mode}` })).toMatchObject({ allow: false, reason: "revocation_unavailable", storeError: "bad_reply" });
      } finally {
        bridge.setMode("ok");
      }
    });
  }

  it("aborts the HTTP request at the deadline instead of retrying behind the checker's back", async () => {
    const store = createUpstashStore({ url: bridge.url, token: bridge.token });
    const checker = createRevocationChecker({ store: { kind: "memory" }, deadlineMs: 40 }, { store });
    bridge.setMode("hang");
    const before = bridge.requests.length;
    try {
      expect((await checker.check({ iss: "i", sub: "hang" })).storeError).toBe("timeout");
      await new Promise((r) => setTimeout(r, 300));
      expect(bridge.requests.length - before).toBe(1);
    } finally {
      bridge.setMode("ok");
    }
  });

  it("gives concurrent lookups their own abort signal", async () => {
    const store = createUpstashStore({ url: bridge.url, token: bridge.token });
    const aborted = new AbortController();
    aborted.abort();
    const [a, b] = await Promise.allSettled([store.getMany(["k1"], aborted.signal, Date.now()), store.getMany(["k2"], AbortSignal.timeout(2000), Date.now())]);
    expect(a.status).toBe("rejected");
    expect(b).toEqual({ status: "fulfilled", value: [null] });
  });
});
