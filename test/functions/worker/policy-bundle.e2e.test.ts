// Policy updates without a code deploy, end to end in the built Worker (issue #18): real workerd
// (Miniflare) with a KV namespace persisted to a directory, which `gatehouse publish` and
// `gatehouse rollback` (the CLI, in a child process) write through Miniflare's persisted KV.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { Miniflare, type MiniflareOptions } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKvStore, type KvNamespaceLike } from "../../../shared/revocation/index.ts";
import { createBundleStore } from "../../../tools/bundle/store.ts";
import type { PolicyIr } from "../../../shared/policy/bundle/index.ts";
import { signBundle } from "../../../tools/bundle/sign.ts";
import { createTestKey, mintToken, type TestKey } from "../../harness/index.ts";
import { workerBundle } from "../../harness/gatehouse-worker.ts";
import { bundleKeyPair, exampleIr, LOCKDOWN_CEDAR, publishText, variantCedar } from "../../harness/policy-bundles.ts";
import { runRepoCli } from "../../harness/repo-cli.ts";

const ISSUER = "https://dev.gatehouse.local";
const AUDIENCE = "gatehouse-demo";
const VIEWER = { sub: "vera", tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] };
const POLL_SECONDS = 2;
const NAMESPACE = "policy-bundles";

const gatehouse = (args: string[]) => runRepoCli(args);

let dir: string;
let key: TestKey;
let keys: Awaited<ReturnType<typeof bundleKeyPair>>;
let base: PolicyIr;
let lockdown: PolicyIr;
let mf: Miniflare;
let out = "";
const observed: Record<string, number> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gatehouse-bundle-worker-"));
  key = await createTestKey("ES256");
  keys = await bundleKeyPair();
  base = exampleIr();
  lockdown = exampleIr(LOCKDOWN_CEDAR);
  writeFileSync(join(dir, "key.json"), JSON.stringify(keys.privateJwk));
  writeFileSync(join(dir, "base.ir.json"), JSON.stringify(base));
  writeFileSync(join(dir, "lockdown.ir.json"), JSON.stringify(lockdown));
  const config = {
    token: { issuers: [{ issuer: ISSUER, audience: AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } }] },
    revocation: null,
    policyBundle: { store: { kind: "kv", binding: "POLICY_BUNDLES" }, publicKey: keys.publicJwk, pollSeconds: POLL_SECONDS },
  };
  mf = new Miniflare({
    modules: true,
    scriptPath: await workerBundle(),
    compatibilityDate: "2025-09-01",
    bindings: { GATEHOUSE_CONFIG: JSON.stringify(config) },
    kvNamespaces: { REVOCATIONS: "revocations", POLICY_BUNDLES: NAMESPACE },
    kvPersist: join(dir, "kv"),
    serviceBindings: { ORIGIN: async () => new Response("origin") },
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
      stderr.resume();
    },
  } as unknown as MiniflareOptions);
  await mf.ready;
}, 180_000);

afterAll(async () => {
  await mf?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (Object.keys(observed).length > 0) console.log(`policy bundle (Worker + KV, poll ${POLL_SECONDS} s): observed seconds ${JSON.stringify(observed)}`);
});

async function listOrders(): Promise<number> {
  const token = await mintToken(key, VIEWER, { issuer: ISSUER, audience: AUDIENCE });
  const response = (await mf.dispatchFetch("http://gatehouse.test/tenants/acme/orders", { headers: { authorization: `Bearer ${token}` } })) as unknown as Response;
  await response.arrayBuffer();
  return response.status;
}

/** Sends a request every 100 ms until the status is `want`; the seconds it took, or throws past `limitSeconds`. */
async function secondsUntil(want: number, limitSeconds: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    if ((await listOrders()) === want) return (performance.now() - started) / 1000;
    if (performance.now() - started > limitSeconds * 1000) throw new Error(`status ${want} not seen within ${limitSeconds} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Requests across two poll intervals: the status must not change. */
async function staysAt(status: number): Promise<void> {
  const until = performance.now() + 2.5 * POLL_SECONDS * 1000;
  while (performance.now() < until) {
    expect(await listOrders()).toBe(status);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function bundleEvents(): Array<Record<string, unknown>> {
  return out.split("\n").filter((l) => l.startsWith('{"event":"policy_bundle"')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function bundlesKv(): Promise<KvNamespaceLike> {
  return (await mf.getKVNamespace("POLICY_BUNDLES")) as unknown as KvNamespaceLike;
}

const kvFlags = () => ["--kv-persist", join(dir, "kv"), "--kv-namespace", NAMESPACE];

describe("policy bundles in the built Worker with KV", { timeout: 120_000 }, () => {
  it("decides by the build-time set until something is published, then by `gatehouse publish`'s set within the poll interval", async () => {
    expect(await listOrders()).toBe(200);
    expect((await gatehouse(["publish", "--ir", join(dir, "base.ir.json"), "--key", join(dir, "key.json"), ...kvFlags()])).code).toBe(0);
    const run = await gatehouse(["publish", "--ir", join(dir, "lockdown.ir.json"), "--key", join(dir, "key.json"), ...kvFlags()]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toContain(`published ${lockdown.version.slice(0, 12)}`);
    observed.publish = await secondsUntil(403, POLL_SECONDS + 5);
    const loaded = bundleEvents().filter((e) => e.outcome === "loaded");
    expect(loaded.at(-1)).toMatchObject({ version: lockdown.version });
  });

  it("refuses a bundle signed with another key, a truncated one and a schema-invalid one; the last good set keeps deciding", async () => {
    const kv = createKvStore(await bundlesKv());
    const now = Date.now();
    // each bad bundle under a version of its own: the good versions stay restorable
    const [v1, v2, v3] = [1, 2, 3].map((n) => exampleIr(variantCedar(n)));
    const other = await bundleKeyPair("other");
    await publishText(kv, v1.version, (await signBundle(v1, other.privateJwk, now)).text, now);
    await staysAt(403);
    const good = (await signBundle(v2, keys.privateJwk, now)).text;
    await publishText(kv, v2.version, good.slice(0, Math.floor(good.length * 0.8)), now);
    await staysAt(403);
    const broken = structuredClone(v3);
    (broken as unknown as { policies: unknown }).policies = [{ id: "x" }];
    const { CompactSign, importJWK } = await import("jose");
    const invalid = await new CompactSign(new TextEncoder().encode(JSON.stringify({ format: "gatehouse-policy-bundle", version: v3.version, createdAt: now, ir: broken })))
      .setProtectedHeader({ alg: "Ed25519", typ: "gatehouse-policy-bundle" })
      .sign(await importJWK(keys.privateJwk, "Ed25519"));
    await publishText(kv, v3.version, invalid, now);
    await staysAt(403);
    const refused = bundleEvents().filter((e) => e.outcome === "refused");
    expect(refused.map((e) => e.reason)).toEqual(["signature_invalid", "malformed", "schema_invalid"]);
    for (const e of refused) expect(e.deciding_version).toBe(lockdown.version);
  });

  it("`gatehouse rollback --to` restores an earlier version, and `bundles list` shows the history", async () => {
    const run = await gatehouse(["rollback", "--to", base.version.slice(0, 12), ...kvFlags()]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    observed.rollback = await secondsUntil(200, POLL_SECONDS + 5);
    const list = await gatehouse(["bundles", "list", "--json", ...kvFlags()]);
    const { current, history } = JSON.parse(list.stdout) as { current: { version: string; by: string }; history: Array<{ by: string }> };
    expect(current).toMatchObject({ version: base.version, by: "rollback" });
    expect(history.map((h) => h.by)).toEqual(["publish", "publish", "publish", "publish", "publish", "rollback"]);
    expect(observed.publish).toBeLessThan(POLL_SECONDS + 5);
  });

  it("picks up a pointer move within the poll interval, timed from the move itself", async () => {
    // the CLI's own start-up (Miniflare) hides part of the interval above; this move is instant
    await createBundleStore(createKvStore(await bundlesKv()), "gatehouse:bundle:").movePointer(lockdown.version, "publish", Date.now());
    observed.pointer_move = await secondsUntil(403, POLL_SECONDS + 5);
    expect(observed.pointer_move).toBeLessThan(POLL_SECONDS + 1.5);
  });
});
