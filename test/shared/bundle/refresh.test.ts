// Policy updates without a deploy, in one authorizer (issue #18): the refresher polls the pointer
// on the authorizer's clock, off the decision path, swaps verified bundles atomically, refuses bad
// ones with one audit event while the last good set keeps deciding, and follows a rollback.
import { beforeAll, describe, expect, it } from "vitest";
import type { PolicyBundleEvent } from "../../../shared/bundle/index.ts";
import { createBundleStore } from "../../../tools/bundle/store.ts";
import type { PolicyIr } from "../../../shared/policy/bundle/index.ts";
import { createMemoryStore, type RevocationStore } from "../../../shared/revocation/index.ts";
import { signBundle } from "../../../tools/bundle/sign.ts";
import { bundleKeyPair, exampleIr, LOCKDOWN_CEDAR, publishIr, publishText } from "../../harness/policy-bundles.ts";
import { input, NOW_MS, setup } from "../pipeline/fixtures.ts";

const VIEWER = { sub: "vera", tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] };
let base: PolicyIr;
let lockdown: PolicyIr;
let keys: Awaited<ReturnType<typeof bundleKeyPair>>;

beforeAll(async () => {
  base = exampleIr();
  lockdown = exampleIr(LOCKDOWN_CEDAR);
  keys = await bundleKeyPair();
});

async function bundledAuthorizer(store: RevocationStore, pollSeconds = 10) {
  const env = await setup({ policyBundle: { store: { kind: "memory" }, publicKey: keys.publicJwk, pollSeconds } }, { policyBundleStore: store });
  const token = await env.token(VIEWER, { ttlSeconds: 3600 });
  const list = async () => {
    const d = await env.authorize(input("GET", "/tenants/acme/orders", token));
    return { allow: d.allow, reason: d.reason };
  };
  // a poll is started by a decision once the interval has passed; flush waits for it
  const poll = async () => {
    env.clock.advance(pollSeconds * 1000);
    await env.authorize(input("GET", "/health"));
    await env.authorize.flush();
  };
  const events = () => env.sink.records.filter((r) => (r as unknown as { event?: string }).event === "policy_bundle") as unknown as PolicyBundleEvent[];
  return { env, list, poll, events };
}

describe("policy bundle refresh: swap", () => {
  it("keeps the build-time set while nothing is published, then swaps in a published change at the next poll", async () => {
    const store = createMemoryStore();
    const { env, list, poll, events } = await bundledAuthorizer(store);
    const builtVersion = env.authorize.policyVersion;
    expect(await list()).toEqual({ allow: true, reason: "allowed" });
    await poll();
    expect(events()).toEqual([]);

    await publishIr(store, lockdown, keys.privateJwk, env.clock.now());
    // before the interval has passed, no poll: still the old set (the decision never waits)
    expect(await list()).toEqual({ allow: true, reason: "allowed" });
    await poll();
    expect(await list()).toEqual({ allow: false, reason: "policy_denied" });
    expect(env.authorize.policyVersion).toBe(lockdown.version);
    expect(env.authorize.policyVersion).not.toBe(builtVersion);
    expect(env.authorize.livePolicies?.current().version).toBe(lockdown.version);
    const loaded = events();
    expect(loaded).toHaveLength(1);
    expect(loaded[0]).toMatchObject({ outcome: "loaded", version: lockdown.version, seq: 1, deciding_version: builtVersion });
    // the decision line names the version that decided and the policy
    const line = env.sink.records.at(-1) as unknown as { policy_version: string; policy?: { reasons?: string[] } };
    expect(line.policy_version).toBe(lockdown.version);
    expect(JSON.stringify(line)).toContain("lockdown-list-orders");
  });

  it("does not poll more often than the interval by the authorizer's clock", async () => {
    const store = createMemoryStore();
    let reads = 0;
    const counting: RevocationStore = { ...store, getMany: (keys, signal, now) => ((reads += 1), store.getMany(keys, signal, now)) };
    const { env } = await bundledAuthorizer(counting, 10);
    await env.authorize.flush();
    const start = reads;
    for (let i = 0; i < 20; i++) {
      env.clock.advance(400); // 8 s in all: under one interval
      await env.authorize(input("GET", "/health"));
    }
    await env.authorize.flush();
    expect(reads).toBe(start);
    env.clock.advance(2000);
    await env.authorize(input("GET", "/health"));
    await env.authorize.flush();
    expect(reads).toBe(start + 1);
  });
});

describe("policy bundle refresh: refusals keep the last good set", () => {
  it("refuses a bundle signed with another key, a truncated one and a schema-invalid one, one audit event each", async () => {
    const store = createMemoryStore();
    const { env, list, poll, events } = await bundledAuthorizer(store);
    await publishIr(store, lockdown, keys.privateJwk, env.clock.now());
    await poll();
    expect(await list()).toMatchObject({ allow: false });

    // 1. another key
    const other = await bundleKeyPair("other");
    await publishIr(store, base, other.privateJwk, env.clock.now());
    await poll();
    await poll(); // polled again: the same move is neither refetched nor audited twice
    expect(await list()).toMatchObject({ allow: false });
    // 2. truncated
    const good = (await signBundle(base, keys.privateJwk, env.clock.now())).text;
    await publishText(store, base.version, good.slice(0, good.length - 40), env.clock.now());
    await poll();
    expect(await list()).toMatchObject({ allow: false });
    // 3. schema-invalid (correctly signed, but the IR has an unknown operation)
    const broken = structuredClone(base);
    broken.policies[0].conditions = [["eval", ["lit", "x"]] as never];
    const { CompactSign, importJWK } = await import("jose");
    const text = await new CompactSign(new TextEncoder().encode(JSON.stringify({ format: "gatehouse-policy-bundle", version: base.version, createdAt: NOW_MS, ir: broken })))
      .setProtectedHeader({ alg: "Ed25519", typ: "gatehouse-policy-bundle" })
      .sign(await importJWK(keys.privateJwk, "Ed25519"));
    await publishText(store, base.version, text, env.clock.now());
    await poll();
    expect(await list()).toMatchObject({ allow: false });
    expect(env.authorize.policyVersion).toBe(lockdown.version);

    const refused = events().filter((e) => e.outcome === "refused");
    expect(refused.map((e) => [e.seq, e.reason])).toEqual([
      [2, "signature_invalid"],
      [3, "malformed"],
      [4, "schema_invalid"],
    ]);
    for (const e of refused) expect(e.deciding_version).toBe(lockdown.version);
    expect(refused[2].message).toMatch(/unknown operation `eval`/);
  });

  it("keeps deciding when the store fails, and audits the failure once", async () => {
    const store = createMemoryStore();
    let down = false;
    const flaky: RevocationStore = { ...store, getMany: (k, s, n) => (down ? Promise.reject(new Error("connection refused")) : store.getMany(k, s, n)) };
    const { env, list, poll, events } = await bundledAuthorizer(flaky);
    await publishIr(store, lockdown, keys.privateJwk, env.clock.now());
    await poll();
    down = true;
    await poll();
    await poll();
    expect(await list()).toMatchObject({ allow: false });
    expect(events().filter((e) => e.outcome === "refused").map((e) => e.reason)).toEqual(["store_error"]);
    // recovers: the next publish is picked up
    down = false;
    await publishIr(store, base, keys.privateJwk, env.clock.now());
    await poll();
    expect(await list()).toEqual({ allow: true, reason: "allowed" });
  });
});

describe("policy bundle refresh: rollback", () => {
  it("follows the pointer back to the previous version", async () => {
    const store = createMemoryStore();
    const { env, list, poll } = await bundledAuthorizer(store);
    await publishIr(store, base, keys.privateJwk, env.clock.now());
    await publishIr(store, lockdown, keys.privateJwk, env.clock.now());
    await poll();
    expect(await list()).toMatchObject({ allow: false });
    await createBundleStore(store, "gatehouse:bundle:").movePointer(base.version, "rollback", env.clock.now());
    await poll();
    expect(await list()).toEqual({ allow: true, reason: "allowed" });
    expect(env.authorize.policyVersion).toBe(base.version);
  });
});

describe("policy bundle refresh: configuration", () => {
  it("refuses a policyBundle section without a store opened for it, naming the field", async () => {
    await expect(setup({ policyBundle: { store: { kind: "memory" }, publicKey: keys.publicJwk } })).rejects.toThrow(/policyBundle\.store/);
  });
  it("refuses a private key in policyBundle.publicKey", async () => {
    await expect(setup({ policyBundle: { store: { kind: "memory" }, publicKey: { ...keys.privateJwk } as never } }, { policyBundleStore: createMemoryStore() })).rejects.toThrow(/policyBundle\.publicKey/);
  });
});
