// Live entity data (#17) through the built Worker bundle in Miniflare (real workerd), with revocation
// and entities in one KV namespace: `gatehouse entities put` (spawned CLI, writing Miniflare's KV on
// disk) changes a decision within the entity TTL; with KV failing, each fail mode answers as configured.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestKey, mintToken, repoRoot, type TestKey } from "../../harness/index.ts";
import { startGatehouse, workerBundle, type GatehouseUnderTest } from "../../harness/gatehouse-worker.ts";

const ISSUER = "https://dev.gatehouse.local";
const AUDIENCE = "gatehouse-demo";

let key: TestKey;
let bundlePath: string;
let dir: string;
const started: GatehouseUnderTest[] = [];

beforeAll(async () => {
  key = await createTestKey("ES256");
  bundlePath = await workerBundle();
  dir = mkdtempSync(join(tmpdir(), "gatehouse-entities-kv-"));
}, 180_000);
afterAll(async () => {
  await Promise.all(started.map((w) => w.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function gatehouse(entities: Record<string, unknown>, kvPersist?: string): Promise<GatehouseUnderTest> {
  const config = {
    token: { issuers: [{ issuer: ISSUER, audience: AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } }] },
    revocation: { store: { kind: "kv" }, ttlMs: 1000, deadlineMs: 200 },
    failMode: "open",
    entities: { source: { kind: "kv" }, ...entities },
  };
  const worker = await startGatehouse({ config, bundlePath, ...(kvPersist ? { kvPersist } : {}) });
  started.push(worker);
  return worker;
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(GATEHOUSE_|UPSTASH_|AWS_)/.test(k))) as Record<string, string>;
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "tools/cli/main.ts", ...args], { cwd: repoRoot, env: clean, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const order = (id: string, owner: string) => JSON.stringify({ uid: { type: "Order", id: `acme/${id}` }, attrs: { tenant: "acme", owner: { __entity: { type: "User", id: owner } } } });
const olive = () => mintToken(key, { tenant: "acme", scope: "orders:read", amr: ["pwd"] }, { issuer: ISSUER, audience: AUDIENCE, subject: "olive" });
const get = async (w: GatehouseUnderTest, path: string, token: string) => (await w.fetch(path, { headers: { authorization: `Bearer ${token}` } })).status;

describe("worker + KV: live entities", { timeout: 180_000 }, () => {
  it("`gatehouse entities put --kv-persist` changes the owner; the Worker follows within the TTL", async () => {
    // Longer than the CLI takes to start Miniflare and write (about 11 s on this machine), so the change lands inside it
    const ttlMs = 20_000;
    const kvFlags = ["--kv-persist", dir, "--kv-namespace", "revocations"];
    expect(await cli(["entities", "put", order("o-1", "olive"), ...kvFlags])).toMatchObject({ code: 0 });
    const w = await gatehouse({ ttlMs }, dir);
    const token = await olive();
    expect(await get(w, "/tenants/acme/orders/o-1", token)).toBe(200);
    const cachedAt = performance.now();
    expect((await cli(["entities", "put", order("o-1", "otto"), ...kvFlags])).code).toBe(0);
    const putDoneAt = performance.now();
    // Right after the put, the cached record still decides: the TTL has not passed
    expect(await get(w, "/tenants/acme/orders/o-1", token)).toBe(200);
    let status = 200;
    while (status === 200 && performance.now() - cachedAt < ttlMs + 5000) {
      status = await get(w, "/tenants/acme/orders/o-1", token);
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const now = performance.now();
    console.log(`#17 worker + KV: decision changed ${((now - putDoneAt) / 1000).toFixed(2)} s after \`entities put\` returned, ${((now - cachedAt) / 1000).toFixed(2)} s after the record was cached (ttlMs ${ttlMs})`);
    expect(status).toBe(403);
    expect(now - cachedAt).toBeLessThan(ttlMs + 1000);
  });

  it("with KV failing: closed → 503, open → decides without records, stale → the last record", async () => {
    const results: Record<string, { status: number; ms: number }> = {};
    for (const failMode of ["closed", "open", "stale"] as const) {
      const w = await gatehouse({ failMode, ttlMs: 200, deadlineMs: 50 });
      await (await w.kv()).put('gh:en:Order::"acme/o-2"', order("o-2", "olive"));
      const token = await olive();
      expect(await get(w, "/tenants/acme/orders/o-2", token)).toBe(200);
      await w.setKvMode("hang");
      await new Promise((resolve) => setTimeout(resolve, 300));
      const started = performance.now();
      results[failMode] = { status: await get(w, "/tenants/acme/orders/o-2", token), ms: performance.now() - started };
    }
    console.log(`#17 worker + KV hanging: ${Object.entries(results).map(([mode, r]) => `${mode} ${r.status} in ${r.ms.toFixed(0)} ms`).join(", ")} (entity deadline 50 ms, revocation 200 ms in fail mode open)`);
    expect(results.closed.status).toBe(503);
    expect(results.open.status).toBe(403);
    expect(results.stale.status).toBe(200);
    for (const r of Object.values(results)) expect(r.ms).toBeLessThan(3000);
  });
});
