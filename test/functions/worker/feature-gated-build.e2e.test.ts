// The feature-gated Worker build (tools/build/features.ts) in Miniflare: built for the example
// configuration (infra/wrangler.toml's GATEHOUSE_CONFIG) the bundle leaves every optional feature
// out, decides as before and is smaller; run with a configuration naming a left-out feature it
// refuses every request (503 `config_refused`, one audit line each) and logs the field, never
// deciding without the configured feature; built for a configuration with `entities` it keeps them.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorker, type BuiltWorker } from "../../../tools/build/worker.ts";
import { ALL_FEATURES, expectFeaturesLeftOut } from "../../harness/feature-markers.ts";
import { createTestKey, repoRoot, startAuditedWorker, type AuditedWorker, type TestKey } from "../../harness/index.ts";

const ENTITIES = { source: { kind: "memory" } };
let key: TestKey;
const dirs: string[] = [];
let gated: BuiltWorker;
let all: BuiltWorker;
let withEntities: BuiltWorker;
const running: AuditedWorker[] = [];

beforeAll(async () => {
  key = await createTestKey("ES256");
  // Their own output directories: the shared test bundle (every feature) must stay as it is
  mkdirSync(join(repoRoot, ".gatehouse", "test-bundles"), { recursive: true });
  const outDir = (name: string) => {
    const dir = mkdtempSync(join(repoRoot, ".gatehouse", "test-bundles", `${name}-`));
    dirs.push(dir);
    return dir;
  };
  [gated, all, withEntities] = await Promise.all([
    buildWorker({ outDir: outDir("gated") }),
    buildWorker({ outDir: outDir("all-features"), features: "all" }),
    buildWorker({ outDir: outDir("entities"), config: { entities: ENTITIES } }),
  ]);
}, 240_000);

afterAll(async () => {
  await Promise.all(running.map((w) => w.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function start(bundlePath: string, config: Record<string, unknown> = {}) {
  const worker = await startAuditedWorker(bundlePath, key, config);
  running.push(worker);
  return worker;
}

const viewer = { sub: "vera", tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] };

describe("Worker built for the example configuration", () => {
  it("leaves out every optional feature's code and is smaller than a build with all", () => {
    expect(gated.features).toEqual([]);
    expect(all.features).toEqual(ALL_FEATURES);
    expectFeaturesLeftOut({ file: gated.bundlePath, gzipBytes: gated.gzipBytes }, { file: all.bundlePath, gzipBytes: all.gzipBytes });
  });

  it("decides as before: a viewer reads, may not delete, and each decision has its audit line", async () => {
    const worker = await start(gated.bundlePath);
    const read = await worker.fetch("GET", "/tenants/acme/orders/o-17", viewer);
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({ origin: "ok", path: "/tenants/acme/orders/o-17" });
    expect((await worker.fetch("DELETE", "/tenants/acme/orders/o-17", viewer)).status).toBe(403);
    const lines = (await worker.lines(2)).map((l) => JSON.parse(l) as Record<string, any>);
    expect(lines.map((l) => [l.decision, l.decision_reason])).toEqual([["allow", "allowed"], ["deny", "policy_denied"]]);
  });
});

describe("security: a configuration naming a feature the bundle was built without", () => {
  it.each([
    ["entities", { entities: ENTITIES }],
    ["policyBundle", { policyBundle: { store: { kind: "kv" }, publicKey: { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" } } }],
    ["token.issuers[0].discovery", { token: { issuers: [{ issuer: "https://idp.example", audience: "gatehouse-demo", algorithms: ["ES256"], discovery: true }] } }],
  ])("refuses every request, closed (503 config_refused), and logs `%s`", async (field, config) => {
    const worker = await start(gated.bundlePath, config);
    const read = await worker.fetch("GET", "/tenants/acme/orders/o-17", viewer);
    expect(read.status).toBe(503);
    const [line] = (await worker.lines(1)).map((l) => JSON.parse(l) as Record<string, any>);
    expect([line.decision, line.decision_reason]).toEqual(["deny", "config_refused"]);
    expect(worker.stderr()).toContain(`${field}: the configuration sets it`);
    expect(worker.stderr()).toContain("this bundle was built without");
  });
});

describe("Worker built for a configuration with entities", () => {
  it("keeps the entity loader and decides with it", async () => {
    expect(withEntities.features).toEqual(["entities"]);
    expect(readFileSync(withEntities.bundlePath, "utf8")).toContain("too many parents");
    const worker = await start(withEntities.bundlePath, { entities: ENTITIES });
    expect((await worker.fetch("GET", "/tenants/acme/orders/o-17", viewer)).status).toBe(200);
    const [line] = (await worker.lines(1)).map((l) => JSON.parse(l) as Record<string, any>);
    expect([line.decision, line.decision_reason]).toEqual(["allow", "allowed"]);
  });
});
