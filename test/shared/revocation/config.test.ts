import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../shared/errors.ts";
import { memoryStore, neutralStores, openStore, resolveRevocationConfig, type OpenedStore } from "../../../shared/revocation/index.ts";

function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).field;
  }
  return undefined;
}

describe("config: defaults", () => {
  it("fills every default and leaves the caller's object alone", () => {
    const input = Object.freeze({ store: Object.freeze({ kind: "memory" as const }) });
    expect(resolveRevocationConfig(input)).toEqual({
      store: { kind: "memory" },
      ttlMs: 5000,
      deadlineMs: 50,
      maxStaleMs: 60_000,
      cacheMaxEntries: 10_000,
      maxTokenLifetimeSeconds: 86_400,
      breaker: { failureThreshold: 5, cooldownMs: 5000 },
    });
  });

  it("copies the store config, so later edits to the caller's object do not leak in", () => {
    const store = { kind: "redis", url: "redis://127.0.0.1:6379" };
    const resolved = resolveRevocationConfig({ store });
    store.url = "redis://changed:1";
    expect(resolved.store).toEqual({ kind: "redis", url: "redis://127.0.0.1:6379" });
  });
});

describe("config: each bad option names its field", () => {
  const cases: Array<[string, unknown, string]> = [
    ["not an object", "memory", "revocation"],
    ["no store", {}, "revocation.store"],
    ["unknown store kind", { store: { kind: "mysql" } }, "revocation.store.kind"],
    ["unknown store option", { store: { kind: "memory", url: "x" } }, "revocation.store.url"],
    ["redis url of the wrong scheme", { store: { kind: "redis", url: "http://x" } }, "revocation.store.url"],
    ["upstash url of the wrong scheme", { store: { kind: "upstash", url: "redis://x" } }, "revocation.store.url"],
    ["empty table name", { store: { kind: "dynamodb", table: "" } }, "revocation.store.table"],
    ["dynamodb endpoint not a url", { store: { kind: "dynamodb", endpoint: "localhost" } }, "revocation.store.endpoint"],
    ["ttl negative", { store: { kind: "memory" }, ttlMs: -1 }, "revocation.ttlMs"],
    ["ttl too long", { store: { kind: "memory" }, ttlMs: 300_001 }, "revocation.ttlMs"],
    ["deadline zero", { store: { kind: "memory" }, deadlineMs: 0 }, "revocation.deadlineMs"],
    ["deadline fractional", { store: { kind: "memory" }, deadlineMs: 1.5 }, "revocation.deadlineMs"],
    ["deadline as text", { store: { kind: "memory" }, deadlineMs: "50" }, "revocation.deadlineMs"],
    ["maxStale negative", { store: { kind: "memory" }, maxStaleMs: -5 }, "revocation.maxStaleMs"],
    ["cache of zero", { store: { kind: "memory" }, cacheMaxEntries: 0 }, "revocation.cacheMaxEntries"],
    ["lifetime too short", { store: { kind: "memory" }, maxTokenLifetimeSeconds: 59 }, "revocation.maxTokenLifetimeSeconds"],
    ["breaker threshold zero", { store: { kind: "memory" }, breaker: { failureThreshold: 0 } }, "revocation.breaker.failureThreshold"],
    ["breaker cooldown too short", { store: { kind: "memory" }, breaker: { cooldownMs: 10 } }, "revocation.breaker.cooldownMs"],
    ["unknown breaker option", { store: { kind: "memory" }, breaker: { retries: 3 } }, "revocation.breaker.retries"],
    ["unknown top-level option", { store: { kind: "memory" }, ttl: 5 }, "revocation.ttl"],
  ];
  for (const [name, config, field] of cases) {
    it(`rejects ${name} (${field})`, () => {
      expect(fieldOf(() => resolveRevocationConfig(config))).toBe(field);
    });
  }

  it("writes messages as one lowercase line with the value in backticks", () => {
    expect(() => resolveRevocationConfig({ store: { kind: "memory" }, deadlineMs: 0 })).toThrow(
      "revocation.deadlineMs: expected an integer from 1 to 10000, got `0`",
    );
  });

  it("never echoes a redis password back in an error", () => {
    expect(() => resolveRevocationConfig({ store: { kind: "redis", url: "http://user:hunter2@host" } })).toThrow(/\*\*\*@host/);
    expect(() => resolveRevocationConfig({ store: { kind: "redis", url: "http://user:hunter2@host" } })).not.toThrow(/hunter2/);
  });
});

describe("config: building stores that run anywhere, through the neutral registry", () => {
  it("builds upstash from the environment's url and token, its client loaded when named", async () => {
    const opened = await openStore(neutralStores, { kind: "upstash" }, { env: { UPSTASH_REDIS_REST_URL: "https://x.upstash.io", UPSTASH_REDIS_REST_TOKEN: "t" } });
    expect(opened.store.name).toBe("upstash");
    expect(opened.description).toBe("upstash x.upstash.io");
  });

  it("names the missing upstash token", async () => {
    await expect(openStore(neutralStores, { kind: "upstash", url: "https://x.upstash.io" }, { env: {} })).rejects.toMatchObject({ field: "revocation.store.token" });
  });

  it("names the missing KV binding", () => {
    expect(fieldOf(() => openStore(neutralStores, { kind: "kv", binding: "REVOKED" }, { env: {} }))).toBe("revocation.store.binding");
  });

  it("opens memory and kv synchronously", () => {
    const namespace = { get: async () => null, put: async () => {}, delete: async () => {}, list: async () => ({ keys: [], list_complete: true }) };
    expect((openStore(neutralStores, { kind: "memory" }, { env: {} }) as OpenedStore).store.name).toBe("memory");
    expect((openStore(neutralStores, { kind: "kv" }, { env: { REVOCATIONS: namespace } }) as OpenedStore).description).toBe("kv REVOCATIONS");
    expect(neutralStores.memory).toBe(memoryStore);
  });

  it("refuses a Node-only store in the neutral registry, naming the kind", () => {
    expect(fieldOf(() => openStore(neutralStores, { kind: "redis", url: "redis://x:1" }, { env: {} }))).toBe("revocation.store.kind");
  });
});
