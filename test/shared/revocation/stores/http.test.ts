// The HTTP key-value store (issue #18) against a real local HTTP server speaking its protocol.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpStore, httpStore } from "../../../../shared/revocation/stores/http.ts";

const data = new Map<string, string>();
const seen: Array<{ method: string; url: string; auth: string | undefined }> = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization });
    if (req.headers.authorization !== "Bearer s3cret") return void res.writeHead(401).end();
    const url = new URL(req.url!, "http://x");
    const key = decodeURIComponent(url.pathname.replace(/^\/kv\//, ""));
    if (req.method === "GET" && key === "") {
      const prefix = url.searchParams.get("prefix") ?? "";
      return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify([...data].filter(([k]) => k.startsWith(prefix)).map(([k, value]) => ({ key: k, value }))));
    }
    if (req.method === "GET") return void (data.has(key) ? res.writeHead(200).end(data.get(key)) : res.writeHead(404).end());
    if (req.method === "DELETE") return void res.writeHead(data.delete(key) ? 204 : 404).end();
    let body = "";
    req.setEncoding("utf8").on("data", (c: string) => (body += c)).on("end", () => {
      data.set(key, body);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/kv`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("http store", () => {
  it("writes, reads, lists and deletes through the protocol, with the bearer token", async () => {
    const store = createHttpStore({ url: base, token: "s3cret" });
    await store.put("gatehouse:bundle:current", '{"v":1}', 2_000_000_000);
    await store.put("gatehouse:bundle:v:ab/../cd?x", "bundle text", 2_000_000_000);
    expect(await store.getMany(["gatehouse:bundle:current", "gatehouse:bundle:v:ab/../cd?x", "absent"], AbortSignal.timeout(5000), 0)).toEqual(['{"v":1}', "bundle text", null]);
    expect((await store.list("gatehouse:bundle:v:", 0)).map((e) => e.key)).toEqual(["gatehouse:bundle:v:ab/../cd?x"]);
    await store.delete("gatehouse:bundle:current");
    expect(await store.getMany(["gatehouse:bundle:current"], AbortSignal.timeout(5000), 0)).toEqual([null]);
    expect(seen.every((s) => s.auth === "Bearer s3cret")).toBe(true);
  });

  it("security: a key never leaves the configured path (encoded as one segment)", async () => {
    const store = createHttpStore({ url: base, token: "s3cret" });
    seen.length = 0;
    await store.getMany(["../../etc/passwd", "http://evil.test/x"], AbortSignal.timeout(5000), 0);
    for (const s of seen) expect(s.url.startsWith("/kv/")).toBe(true);
    expect(seen.map((s) => s.url)).toEqual(["/kv/..%2F..%2Fetc%2Fpasswd", "/kv/http%3A%2F%2Fevil.test%2Fx"]);
  });

  it("rejects on a server error instead of reading it as absent", async () => {
    const store = createHttpStore({ url: base, token: "wrong" });
    await expect(store.getMany(["k"], AbortSignal.timeout(5000), 0)).rejects.toThrow(/answered 401/);
  });

  it("parses its options from the section or the environment, and refuses a non-http url", () => {
    const name = (f: string) => `policyBundle.store.${f}`;
    expect(httpStore.parse({}, { GATEHOUSE_STORE_HTTP_URL: base, GATEHOUSE_STORE_HTTP_TOKEN: "t" }, name)).toEqual({ url: base, token: "t" });
    expect(() => httpStore.parse({ url: "file:///etc" }, {}, name)).toThrow(/policyBundle\.store\.url/);
    expect(() => httpStore.parse({}, {}, name)).toThrow(/GATEHOUSE_STORE_HTTP_URL/);
    expect(httpStore.describe({ url: base, token: "t" })).not.toContain("t@");
  });
});

describe("http store: policy bundles (issue #18)", () => {
  it("an authorizer polling the http store swaps in what is published there", async () => {
    const { bundleKeyPair, exampleIr, LOCKDOWN_CEDAR, publishIr } = await import("../../../harness/policy-bundles.ts");
    const { input, setup } = await import("../../pipeline/fixtures.ts");
    const keys = await bundleKeyPair();
    const store = createHttpStore({ url: base, token: "s3cret" });
    const env = await setup({ policyBundle: { store: { kind: "http", url: base }, publicKey: keys.publicJwk, pollSeconds: 5 } }, { policyBundleStore: store });
    const token = await env.token({ sub: "vera", tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] }, { ttlSeconds: 3600 });
    expect((await env.authorize(input("GET", "/tenants/acme/orders", token))).allow).toBe(true);
    const lockdown = exampleIr(LOCKDOWN_CEDAR);
    await publishIr(store, lockdown, keys.privateJwk, env.clock.now());
    env.clock.advance(5000);
    await env.authorize(input("GET", "/health"));
    await env.authorize.flush();
    expect((await env.authorize(input("GET", "/tenants/acme/orders", token))).reason).toBe("policy_denied");
    expect(env.authorize.policyVersion).toBe(lockdown.version);
  });
});
