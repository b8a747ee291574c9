// Policy updates without a code deploy, end to end in the forward-auth server (issue #18): the
// server as deployed (functions/node/main.ts) polling a real redis-server that `gatehouse publish`
// and `gatehouse rollback` (the CLI, in a child process) write to.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFromEnv } from "../../../functions/node/main.ts";
import type { ForwardAuthServer } from "../../../functions/node/index.ts";
import { createRedisStore } from "../../../functions/stores/index.ts";
import { memorySink } from "../../../shared/audit/index.ts";
import type { PolicyBundleEvent } from "../../../shared/bundle/index.ts";
import { createBundleStore } from "../../../tools/bundle/store.ts";
import type { PolicyIr } from "../../../shared/policy/bundle/index.ts";
import type { RevocationStore } from "../../../shared/revocation/index.ts";
import { signBundle } from "../../../tools/bundle/sign.ts";
import { repoRoot } from "../../harness/corpus.ts";
import { EXAMPLE_AUDIENCE, EXAMPLE_ISSUER } from "../../harness/gatehouse-pipeline.ts";
import { startRedisServer, type RedisServer } from "../../harness/redis-server.ts";
import { createTestKey, type TestKey } from "../../harness/tokens.ts";
import { bundleKeyPair, exampleIr, publishText, variantCedar, writeBundleFiles } from "../../harness/policy-bundles.ts";
import { runRepoCli } from "../../harness/repo-cli.ts";
import { ordersProbe } from "../../harness/orders-probe.ts";

const POLL_SECONDS = 2;
let work: string;
let key: TestKey;
let keys: Awaited<ReturnType<typeof bundleKeyPair>>;
let redis: RedisServer;
let store: RevocationStore;
let base: PolicyIr;
let lockdown: PolicyIr;
const servers: ForwardAuthServer[] = [];
const audit = memorySink();
const observed: Record<string, number[]> = {};

const gatehouse = (args: string[]) => runRepoCli(args);

beforeAll(async () => {
  mkdirSync(join(repoRoot, ".gatehouse"), { recursive: true });
  work = mkdtempSync(join(repoRoot, ".gatehouse", "test-bundle-forward-auth-"));
  key = await createTestKey("ES256");
  keys = await bundleKeyPair();
  redis = await startRedisServer();
  store = createRedisStore({ url: redis.url });
  ({ base, lockdown } = writeBundleFiles(work, keys.privateJwk));
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await store?.close?.();
  await redis?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  if (Object.keys(observed).length > 0) console.log(`policy bundle (forward-auth + redis): observed seconds from pointer move to first changed decision ${JSON.stringify(observed)}`);
});

async function start(pollSeconds: number | undefined): Promise<ForwardAuthServer> {
  const file = join(work, `config-${pollSeconds ?? "default"}.json`);
  writeFileSync(file, JSON.stringify({
    token: { issuers: [{ issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } }] },
    revocation: null,
    policyBundle: { store: { kind: "redis", url: redis.url }, publicKey: keys.publicJwk, ...(pollSeconds === undefined ? {} : { pollSeconds }) },
  }));
  const server = await startFromEnv({ GATEHOUSE_CONFIG_FILE: file, GATEHOUSE_POLICIES: join(work, "policies.mjs"), GATEHOUSE_ROUTES_FILE: join(repoRoot, "policies", "routes.json"), GATEHOUSE_PROXY: "nginx", PORT: "0" }, { auditSink: audit });
  servers.push(server);
  return server;
}

const { listOrders, secondsUntil, staysAt } = ordersProbe(() => key, POLL_SECONDS);

const events = () => audit.records.filter((r) => (r as unknown as { event?: string }).event === "policy_bundle") as unknown as PolicyBundleEvent[];
const bundles = () => createBundleStore(store, "gatehouse:bundle:");
const record = (name: string, seconds: number) => (observed[name] ??= []).push(Math.round(seconds * 100) / 100);

describe("policy bundles in the forward-auth server with redis-server", { timeout: 120_000 }, () => {
  let server: ForwardAuthServer;

  it("`gatehouse publish` changes decisions within the poll interval, without a restart", async () => {
    server = await start(POLL_SECONDS);
    expect(await listOrders(server)).toBe(200);
    expect((await gatehouse(["publish", "--ir", join(work, "base.ir.json"), "--key", join(work, "key.json"), "--redis", redis.url])).code).toBe(0);
    const run = await gatehouse(["publish", "--ir", join(work, "lockdown.ir.json"), "--key", join(work, "key.json"), "--redis", redis.url]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    await secondsUntil(server, 403, POLL_SECONDS + 5);
    // timed from the move itself, a few times: each lands within one interval
    for (const [version, status] of [[base.version, 200], [lockdown.version, 403], [base.version, 200], [lockdown.version, 403]] as const) {
      await bundles().movePointer(version, "publish", Date.now());
      const seconds = await secondsUntil(server, status, POLL_SECONDS + 5);
      record(`poll_${POLL_SECONDS}s`, seconds);
      expect(seconds).toBeLessThan(POLL_SECONDS + 1);
    }
  });

  it("refuses a bundle signed with another key, a truncated one and a schema-invalid one; the last good set keeps deciding", async () => {
    const now = Date.now();
    const before = events().length;
    const [v1, v2, v3] = [1, 2, 3].map((n) => exampleIr(variantCedar(n)));
    const other = await bundleKeyPair("other");
    await publishText(store, v1.version, (await signBundle(v1, other.privateJwk, now)).text, now);
    await staysAt(server, 403);
    const good = (await signBundle(v2, keys.privateJwk, now)).text;
    await publishText(store, v2.version, good.slice(0, good.length - 1), now);
    await staysAt(server, 403);
    const { CompactSign, importJWK } = await import("jose");
    const invalid = await new CompactSign(new TextEncoder().encode(JSON.stringify({ format: "gatehouse-policy-bundle", version: v3.version, createdAt: now, ir: { ...v3, formatVersion: 99 } })))
      .setProtectedHeader({ alg: "Ed25519", typ: "gatehouse-policy-bundle" })
      .sign(await importJWK(keys.privateJwk, "Ed25519"));
    await publishText(store, v3.version, invalid, now);
    await staysAt(server, 403);
    const refused = events().slice(before).filter((e) => e.outcome === "refused");
    expect(refused.map((e) => e.reason)).toEqual(["signature_invalid", "malformed", "schema_invalid"]);
    for (const e of refused) expect(e.deciding_version).toBe(lockdown.version);
  });

  it("`gatehouse rollback` restores the version before, and `bundles list` shows it current", async () => {
    // the pointer names the refused v3; the one before it is the refused v2 ... roll back to a known good one by version
    const run = await gatehouse(["rollback", "--to", base.version.slice(0, 16), "--redis", redis.url]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toContain(`rolled back to ${base.version.slice(0, 12)}`);
    await secondsUntil(server, 200, POLL_SECONDS + 5);
    const list = await gatehouse(["bundles", "list", "--redis", redis.url]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`\\* +\\d+  ${base.version.slice(0, 12)}  rollback`));
    // plain `rollback` goes to the version current before this one
    await bundles().movePointer(lockdown.version, "publish", Date.now());
    await secondsUntil(server, 403, POLL_SECONDS + 5);
    const back = await gatehouse(["rollback", "--redis", redis.url]);
    expect(back.stdout).toContain(`rolled back to ${base.version.slice(0, 12)}`);
    await secondsUntil(server, 200, POLL_SECONDS + 5);
  });

  it("with the default interval (10 s), a published change decides within it", async () => {
    const slow = await start(undefined);
    expect(await listOrders(slow)).toBe(200);
    await new Promise((r) => setTimeout(r, 1000)); // not right after the start-up poll
    await bundles().movePointer(lockdown.version, "publish", Date.now());
    const seconds = await secondsUntil(slow, 403, 15);
    record("poll_10s_default", seconds);
    expect(seconds).toBeLessThan(11);
  }, 60_000);
});
