// The S3 store (policy bundles, issue #18) against s3rver, a real S3 API server, with the real AWS
// SDK client: the store contract, expiry kept as object metadata, the key prefix, the abort race,
// and the configuration that confines `s3` to `policyBundle.store`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HeadObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { createS3Store, nodeStores } from "../../../functions/stores/index.ts";
import { validateConfig } from "../../../shared/config/index.ts";
import { ConfigError } from "../../../shared/errors.ts";
import { openStore, type OpenedStore } from "../../../shared/revocation/index.ts";
import { startS3rver, startTcpProxy, type S3rverServer } from "../../harness/index.ts";
import { describeStoreContract } from "../../shared/revocation/_store-contract.ts";

let s3: S3rverServer;
let raw: S3Client;
const open = (prefix?: string, endpoint = s3.endpoint) => createS3Store({ bucket: s3.bucket, endpoint, region: "us-east-1", credentials: s3.credentials, ...(prefix === undefined ? {} : { prefix }) });

beforeAll(async () => {
  s3 = await startS3rver();
  raw = new S3Client({ region: "us-east-1", endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials });
});
afterAll(async () => {
  raw?.destroy();
  await s3?.stop();
});

describeStoreContract("s3", async () => open("contract/"), { shortExpiry: true, conditionalWrite: false, servesChecker: false });

describe("s3: objects", () => {
  it("names each object prefix + key, and a store sees only its own prefix", async () => {
    const a = open("team-a/");
    const b = open("team-b/");
    const exp = Math.floor(Date.now() / 1000) + 3600;
    await a.put("gatehouse:bundle:current", "A", exp);
    await b.put("gatehouse:bundle:current", "B", exp);
    const listed = await raw.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: "team-" }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(["team-a/gatehouse:bundle:current", "team-b/gatehouse:bundle:current"]);
    expect(await a.getMany(["gatehouse:bundle:current"], AbortSignal.timeout(5000), Date.now())).toEqual(["A"]);
    expect((await b.list("gatehouse:", Date.now())).map((e) => [e.key, e.value])).toEqual([["gatehouse:bundle:current", "B"]]);
    await Promise.all([a.close(), b.close()]);
  });

  it("keeps the expiry as object metadata and judges it by the caller's time, not S3's day-granular lifecycle", async () => {
    const store = open("expiry/");
    const nowMs = Date.UTC(2026, 0, 1);
    const nowS = nowMs / 1000;
    await store.put("old", "1", nowS - 1);
    await store.put("new", "2", nowS + 60);
    const head = await raw.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: "expiry/new" }));
    expect(head.Metadata).toEqual({ "expires-at": String(nowS + 60) });
    expect(await store.getMany(["old", "new"], AbortSignal.timeout(5000), nowMs)).toEqual([null, "2"]);
    expect(await store.list("", nowMs)).toEqual([{ key: "new", value: "2", expiresAt: nowS + 60 }]);
    // a minute later by the caller's clock, the second one is gone too
    expect(await store.getMany(["new"], AbortSignal.timeout(5000), nowMs + 61_000)).toEqual([null]);
    await store.close();
  });

  it("gives up a read as soon as the signal aborts when the server hangs", async () => {
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: s3.port });
    const store = open("hang/", `http://127.0.0.1:${proxy.port}`);
    try {
      await store.put("k", "v", Math.floor(Date.now() / 1000) + 60);
      proxy.setMode("hang");
      const started = performance.now();
      const reference = new Promise<number>((r) => setTimeout(() => r(performance.now() - started), 100));
      await expect(store.getMany(["k"], AbortSignal.timeout(100), Date.now())).rejects.toBeDefined();
      expect(performance.now() - started).toBeLessThan((await reference) + 50);
    } finally {
      await store.close();
      await proxy.stop();
    }
  });

  it("rejects with the service's error when the bucket does not exist", async () => {
    const store = createS3Store({ bucket: "no-such-bucket", endpoint: s3.endpoint, region: "us-east-1", credentials: s3.credentials });
    await expect(store.getMany(["k"], AbortSignal.timeout(5000), Date.now())).rejects.toMatchObject({ name: "NoSuchBucket" });
    await store.close();
  });
});

describe("s3: configuration", () => {
  const key = { kty: "OKP", crv: "Ed25519", x: "gD8Zpll7LRUw8_FimjL5xcNp6KtdwXj-Xe6Yr_NEg64" } as const;
  const base = { token: { issuers: [{ issuer: "https://auth.example.com/", audience: "api", algorithms: ["RS256"], jwksUri: "https://auth.example.com/jwks" }] }, routes: [{ method: "GET", path: "/health", public: true }] };
  const section = { kind: "s3", bucket: "b", prefix: "p/", endpoint: "http://127.0.0.1:1", forcePathStyle: true } as const;
  const fieldOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    return undefined;
  };

  it("is a policy bundle store, opened from `policyBundle.store` with its options", async () => {
    const resolved = validateConfig({ ...base, revocation: null, policyBundle: { store: section, publicKey: key } });
    expect(resolved.policyBundle?.store).toEqual(section);
    const { store, description } = (await openStore(nodeStores, resolved.policyBundle!.store, { env: {} }, "policyBundle.store")) as OpenedStore;
    expect([store.name, description]).toEqual(["s3", "s3 bucket b prefix p/"]);
    await store.close?.();
  });

  it("is refused as a revocation store or an entity source, with the reason", async () => {
    expect(fieldOf(() => validateConfig({ ...base, revocation: { store: { kind: "s3", bucket: "b" } } }))).toMatch(/^revocation\.store\.kind: expected one of .*, got `s3`: S3 holds policy bundles only/);
    expect(fieldOf(() => validateConfig({ ...base, revocation: null, entities: { source: { kind: "s3", bucket: "b" } } }))).toMatch(/^entities\.source\.kind: expected a store kind for entity reads, got `s3`: S3 holds policy bundles only/);
    // the registry says so too, for a caller that opens stores without validateConfig
    await expect(openStore(nodeStores, section, { env: {} })).rejects.toMatchObject({ field: "revocation.store.kind", message: expect.stringContaining("too slow for a lookup on every request") });
    await expect(openStore(nodeStores, section, { env: {} }, "entities.source")).rejects.toMatchObject({ field: "entities.source.kind" });
  });

  it("names the missing bucket, the missing region and a bad endpoint", async () => {
    expect(fieldOf(() => validateConfig({ ...base, revocation: null, policyBundle: { store: { kind: "s3" }, publicKey: key } }))).toMatch(/^policyBundle\.store\.bucket: /);
    expect(fieldOf(() => validateConfig({ ...base, revocation: null, policyBundle: { store: { ...section, forcePathStyle: "yes" }, publicKey: key } }))).toMatch(/^policyBundle\.store\.forcePathStyle: /);
    await expect(openStore(nodeStores, { kind: "s3", bucket: "b" }, { env: {} }, "policyBundle.store")).rejects.toMatchObject({ field: "policyBundle.store.region" });
    await expect(openStore(nodeStores, { kind: "s3", bucket: "b", endpoint: "ftp://x" }, { env: {} }, "policyBundle.store")).rejects.toMatchObject({ field: "policyBundle.store.endpoint" });
    const fromEnv = (await openStore(nodeStores, { kind: "s3", bucket: "b" }, { env: { AWS_REGION: "eu-west-1" } }, "policyBundle.store")) as OpenedStore;
    expect(fromEnv.description).toBe("s3 bucket b");
    await fromEnv.store.close?.();
  });
});
