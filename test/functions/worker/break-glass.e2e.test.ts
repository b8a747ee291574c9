// Break-glass in the Worker as it deploys: `build:worker --break-glass DIR` (wrangler's dry run, the
// `@gatehouse/break-glass-policies` alias of infra/wrangler.toml) in Miniflare. A break-glass token
// reaches the origin where the everyday policies deny, its audit line (read from workerd's stdout)
// says `break_glass: true`; everyday tokens are decided as before. Built without it, a configuration
// with `breakGlass` refuses every request (fail closed, `config_refused`).
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorker, type BuiltWorker } from "../../../tools/build/worker.ts";
import { createTestKey, mintToken, repoRoot, startAuditedWorker, WORKER_AUDIENCE, WORKER_ISSUER, type AuditedWorker, type TestKey } from "../../harness/index.ts";

const GLASS_ISSUER = "https://break-glass.example";
let everyday: TestKey;
let glass: TestKey;
let outDir: string;
let plainOutDir: string;
let built: BuiltWorker;
let plain: BuiltWorker;
const running: AuditedWorker[] = [];

beforeAll(async () => {
  everyday = await createTestKey("ES256");
  glass = await createTestKey("ES256");
  // Their own output directories: the shared test bundle must stay as it is
  mkdirSync(join(repoRoot, ".gatehouse", "test-bundles"), { recursive: true });
  outDir = mkdtempSync(join(repoRoot, ".gatehouse", "test-bundles", "break-glass-"));
  plainOutDir = mkdtempSync(join(repoRoot, ".gatehouse", "test-bundles", "no-break-glass-"));
  [built, plain] = await Promise.all([buildWorker({ outDir, breakGlassDir: join(repoRoot, "examples", "break-glass") }), buildWorker({ outDir: plainOutDir })]);
}, 240_000);

afterAll(async () => {
  await Promise.all(running.map((w) => w.stop()));
  for (const dir of [outDir, plainOutDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

const config = () => ({
  token: {
    issuers: [
      { issuer: WORKER_ISSUER, audience: WORKER_AUDIENCE, algorithms: ["ES256"], jwks: { keys: [everyday.publicJwk] } },
      { issuer: GLASS_ISSUER, name: "break-glass", audience: WORKER_AUDIENCE, algorithms: ["ES256"], jwks: { keys: [glass.publicJwk] }, maxAgeSeconds: 300 },
    ],
  },
  breakGlass: { issuer: "break-glass", maxLifetimeSeconds: 300 },
  // every everyday allow line sampled away: break-glass lines are written all the same
  audit: { allowSampleRate: 0 },
});
const claims = { sub: "vera", tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd", "mfa"] };
const glassHeader = async (extra: Record<string, unknown> = {}) => ({ authorization: `Bearer ${await mintToken(glass, { ...claims, sub: "oncall-olga", ...extra }, { issuer: GLASS_ISSUER, audience: WORKER_AUDIENCE, ttlSeconds: 300 })}` });

async function start(bundlePath: string) {
  const worker = await startAuditedWorker(bundlePath, everyday, config());
  running.push(worker);
  return worker;
}

describe("Worker built with --break-glass", () => {
  it("bundles the emergency set: the module in the bundle, its version reported", () => {
    expect(built.breakGlassPolicyVersion).toMatch(/^[0-9a-f]{64}$/);
    expect(plain.breakGlassPolicyVersion).toBeNull();
    expect(readFileSync(built.bundlePath, "utf8")).toContain("break-glass-read-and-cancel-orders");
    expect(readFileSync(plain.bundlePath, "utf8")).not.toContain("break-glass-read-and-cancel-orders");
  });

  it("lets a break-glass token through where the everyday policies deny, audited with break_glass: true", async () => {
    const worker = await start(built.bundlePath);
    // the everyday viewer may not delete an order
    const denied = await worker.fetch("DELETE", "/tenants/acme/orders/o-17", claims);
    expect(denied.status).toBe(403);
    // the break-glass token may: the dedicated set decides, and the origin is reached
    const allowed = await worker.fetch("DELETE", "/tenants/acme/orders/o-17", undefined, await glassHeader());
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ origin: "ok", path: "/tenants/acme/orders/o-17" });
    // and only that set: it asks for mfa, which the everyday set does not for a read
    const noMfa = await worker.fetch("GET", "/tenants/acme/orders/o-17", undefined, await glassHeader({ amr: ["pwd"] }));
    expect(noMfa.status).toBe(403);
    // an everyday read is allowed as before (its line sampled away)
    expect((await worker.fetch("GET", "/tenants/acme/orders/o-17", claims)).status).toBe(200);

    const lines = (await worker.lines(3)).map((l) => JSON.parse(l) as Record<string, any>);
    expect(lines.map((l) => [l.decision, l.decision_reason, l.break_glass])).toEqual([
      ["deny", "policy_denied", undefined],
      ["allow", "allowed", true],
      ["deny", "policy_denied", true],
    ]);
    expect(lines[1]).toMatchObject({ platform: "worker", reasons: ["break-glass-read-and-cancel-orders"], sample_rate: 1 });
    expect(worker.stdout()).not.toContain((await glassHeader()).authorization.slice(7, 40));
  });
});

describe("Worker built without --break-glass", () => {
  it("refuses every request of a configuration with breakGlass (the module is null): config_refused", async () => {
    const worker = await start(plain.bundlePath);
    const everydayRead = await worker.fetch("GET", "/tenants/acme/orders/o-17", claims);
    expect(everydayRead.status).toBe(503);
    const glassDelete = await worker.fetch("DELETE", "/tenants/acme/orders/o-17", undefined, await glassHeader());
    expect(glassDelete.status).toBe(503);
    // one audit line each, with the reason
    const lines = (await worker.lines(2)).map((l) => JSON.parse(l) as Record<string, any>);
    expect(lines.map((l) => [l.decision, l.decision_reason])).toEqual([["deny", "config_refused"], ["deny", "config_refused"]]);
  });
});
