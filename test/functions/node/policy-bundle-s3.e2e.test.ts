// Policy updates without a code deploy with bundles in S3, end to end (issue #18): the forward-auth
// server as deployed (functions/node/main.ts) polling s3rver, a real S3 API server, through the
// AWS SDK; `gatehouse publish`, `rollback` and `bundles list` (the CLI, in a child process) write
// and read the same bucket.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFromEnv } from "../../../functions/node/main.ts";
import type { ForwardAuthServer } from "../../../functions/node/index.ts";
import { createS3Store, type S3Store } from "../../../functions/stores/index.ts";
import { memorySink } from "../../../shared/audit/index.ts";
import type { PolicyBundleEvent } from "../../../shared/bundle/index.ts";
import type { PolicyIr } from "../../../shared/policy/bundle/index.ts";
import { createBundleStore } from "../../../tools/bundle/store.ts";
import { signBundle } from "../../../tools/bundle/sign.ts";
import { repoRoot } from "../../harness/corpus.ts";
import { EXAMPLE_AUDIENCE, EXAMPLE_ISSUER } from "../../harness/gatehouse-pipeline.ts";
import { startS3rver, type S3rverServer } from "../../harness/s3rver.ts";
import { createTestKey, type TestKey } from "../../harness/tokens.ts";
import { bundleKeyPair, exampleIr, publishText, variantCedar, writeBundleFiles } from "../../harness/policy-bundles.ts";
import { runRepoCli } from "../../harness/repo-cli.ts";
import { ordersProbe } from "../../harness/orders-probe.ts";

const POLL_SECONDS = 2;
// Object names are `gatehouse/` + the bundle keys, as an IAM policy on `bucket/gatehouse/*` would scope them
const S3_PREFIX = "gatehouse/";
let work: string;
let key: TestKey;
let keys: Awaited<ReturnType<typeof bundleKeyPair>>;
let s3: S3rverServer;
let store: S3Store;
let base: PolicyIr;
let lockdown: PolicyIr;
let server: ForwardAuthServer | undefined;
const audit = memorySink();
const observed: number[] = [];

const s3Flags = () => ["--s3-bucket", s3.bucket, "--s3-endpoint", s3.endpoint, "--s3-prefix", S3_PREFIX];

// s3rver checks SigV4 signatures against its own pair; the CLI takes it from the environment, as in CI
const gatehouse = (args: string[]) => runRepoCli(args, { AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey });

beforeAll(async () => {
  mkdirSync(join(repoRoot, ".gatehouse"), { recursive: true });
  work = mkdtempSync(join(repoRoot, ".gatehouse", "test-bundle-s3-"));
  key = await createTestKey("ES256");
  keys = await bundleKeyPair();
  s3 = await startS3rver();
  store = createS3Store({ bucket: s3.bucket, prefix: S3_PREFIX, endpoint: s3.endpoint, region: "us-east-1", credentials: s3.credentials });
  ({ base, lockdown } = writeBundleFiles(work, keys.privateJwk));
}, 60_000);

afterAll(async () => {
  await server?.close();
  await store?.close();
  await s3?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  if (observed.length > 0) console.log(`policy bundle (forward-auth + s3rver): observed seconds from pointer move to first changed decision with pollSeconds ${POLL_SECONDS}: ${JSON.stringify(observed)}`);
});

async function start(): Promise<ForwardAuthServer> {
  const file = join(work, "config.json");
  writeFileSync(file, JSON.stringify({
    token: { issuers: [{ issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } }] },
    revocation: null,
    policyBundle: { store: { kind: "s3", bucket: s3.bucket, prefix: S3_PREFIX, endpoint: s3.endpoint }, publicKey: keys.publicJwk, pollSeconds: POLL_SECONDS },
  }));
  return startFromEnv(
    {
      GATEHOUSE_CONFIG_FILE: file,
      GATEHOUSE_POLICIES: join(work, "policies.mjs"),
      GATEHOUSE_ROUTES_FILE: join(repoRoot, "policies", "routes.json"),
      GATEHOUSE_PROXY: "nginx",
      PORT: "0",
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    },
    { auditSink: audit },
  );
}

const { listOrders, secondsUntil, staysAt } = ordersProbe(() => key, POLL_SECONDS);

const events = () => audit.records.filter((r) => (r as unknown as { event?: string }).event === "policy_bundle") as unknown as PolicyBundleEvent[];
const bundles = () => createBundleStore(store, "gatehouse:bundle:");

describe("policy bundles in S3 (s3rver) with the forward-auth server", { timeout: 120_000 }, () => {
  it("`gatehouse publish --s3-bucket` changes decisions within the poll interval, without a restart", async () => {
    server = await start();
    expect(await listOrders(server)).toBe(200);
    const first = await gatehouse(["publish", "--ir", join(work, "base.ir.json"), "--key", join(work, "key.json"), ...s3Flags()]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`published ${base.version.slice(0, 12)}`);
    expect(first.stdout).toContain(`to s3 bucket ${s3.bucket} prefix ${S3_PREFIX}`);
    const run = await gatehouse(["publish", "--ir", join(work, "lockdown.ir.json"), "--key", join(work, "key.json"), ...s3Flags()]);
    expect(run.code, run.stderr).toBe(0);
    await secondsUntil(server, 403, POLL_SECONDS + 5);
    // the bundle and the pointer are objects under the prefix, as the IAM policy in the docs scopes them
    expect((await store.list("gatehouse:bundle:", Date.now())).map((e) => e.key)).toEqual(
      expect.arrayContaining(["gatehouse:bundle:current", `gatehouse:bundle:v:${base.version}`, `gatehouse:bundle:v:${lockdown.version}`]),
    );
    // timed from the move itself, a few times: each lands within one interval
    for (const [version, status] of [[base.version, 200], [lockdown.version, 403], [base.version, 200], [lockdown.version, 403]] as const) {
      await bundles().movePointer(version, "publish", Date.now());
      const seconds = await secondsUntil(server, status, POLL_SECONDS + 5);
      observed.push(Math.round(seconds * 100) / 100);
      expect(seconds).toBeLessThan(POLL_SECONDS + 1);
    }
  });

  it("refuses a bundle signed with another key and a truncated one; the last good set keeps deciding", async () => {
    const now = Date.now();
    const before = events().length;
    const [v1, v2] = [1, 2].map((n) => exampleIr(variantCedar(n)));
    const other = await bundleKeyPair("other");
    await publishText(store, v1.version, (await signBundle(v1, other.privateJwk, now)).text, now);
    await staysAt(server!, 403);
    const good = (await signBundle(v2, keys.privateJwk, now)).text;
    await publishText(store, v2.version, good.slice(0, good.length - 1), now);
    await staysAt(server!, 403);
    const refused = events().slice(before).filter((e) => e.outcome === "refused");
    expect(refused.map((e) => e.reason)).toEqual(["signature_invalid", "malformed"]);
    for (const e of refused) expect(e.deciding_version).toBe(lockdown.version);
  });

  it("`gatehouse rollback --s3-bucket` restores a good version, and `bundles list` shows it current", async () => {
    const run = await gatehouse(["rollback", "--to", base.version.slice(0, 16), ...s3Flags()]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`rolled back to ${base.version.slice(0, 12)}`);
    await secondsUntil(server!, 200, POLL_SECONDS + 5);
    const list = await gatehouse(["bundles", "list", ...s3Flags()]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`\\* +\\d+  ${base.version.slice(0, 12)}  rollback`));
    // plain `rollback` goes to the version current before this one
    await bundles().movePointer(lockdown.version, "publish", Date.now());
    await secondsUntil(server!, 403, POLL_SECONDS + 5);
    const back = await gatehouse(["rollback", ...s3Flags()]);
    expect(back.stdout).toContain(`rolled back to ${base.version.slice(0, 12)}`);
    await secondsUntil(server!, 200, POLL_SECONDS + 5);
  });

  it("the CLI offers s3 for bundles only: `revoke --s3-bucket` is refused with the reason", async () => {
    const revoke = await gatehouse(["revoke", "--sub", "alice", "--iss", EXAMPLE_ISSUER, ...s3Flags()]);
    expect(revoke.code).toBe(2);
    expect(revoke.stderr).toContain("`--s3-bucket`: expected a store kind for revocation lookups, got `s3`: S3 holds policy bundles only");
    const [publishHelp, revokeHelp] = await Promise.all([gatehouse(["publish", "--help"]), gatehouse(["revoke", "--help"])]);
    expect(publishHelp.stdout).toMatch(/--s3-bucket NAME/);
    expect(publishHelp.stdout).toMatch(/--s3-endpoint URL/);
    expect(revokeHelp.stdout).not.toContain("--s3-");
  });
});
