// Shadow mode end to end (issue #7): the Worker bundle built with `--shadow DIR` (wrangler's dry run)
// in Miniflare, its audit lines read from workerd's stdout, then `gatehouse audit report` on them.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorker, type BuiltWorker } from "../../../tools/build/worker.ts";
import { auditLineErrors, CANDIDATE_DISAGREES_ON, createTestKey, repoRoot, startAuditedWorker, writeCandidateProject, type AuditedWorker, type TestKey } from "../../harness/index.ts";
import { runCli } from "../../tools/cli/cli.ts";
import { workerBundle } from "../../harness/gatehouse-worker.ts";

const viewer = { sub: "vera", tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] };
const admin = { sub: "ada", tenant: "acme", groups: ["admin"], scope: "orders:read orders:write", amr: ["pwd", "mfa"] };

let key: TestKey;
let candidate: ReturnType<typeof writeCandidateProject>;
let outDir: string;
let built: BuiltWorker;
const running: AuditedWorker[] = [];

beforeAll(async () => {
  key = await createTestKey("ES256");
  candidate = writeCandidateProject();
  // Its own output directory: the shared test bundle (no shadow set) must stay as it is
  mkdirSync(join(repoRoot, ".gatehouse", "test-bundles"), { recursive: true });
  outDir = mkdtempSync(join(repoRoot, ".gatehouse", "test-bundles", "shadow-"));
  built = await buildWorker({ outDir, shadowDir: candidate.dir });
}, 180_000);

afterAll(async () => {
  await Promise.all(running.map((w) => w.stop()));
  candidate?.remove();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

async function startWorker(bundlePath: string): Promise<AuditedWorker> {
  const worker = await startAuditedWorker(bundlePath, key, {});
  running.push(worker);
  return worker;
}

/** The `gatehouse audit report` CLI as a user runs it; never rejects on a non-zero exit. */
const auditReport = (args: string[]) => runCli(["audit", "report", ...args], { cwd: repoRoot, env: { NO_COLOR: "1" } });

// The requests of the scenario: [method, path, who, status the enforced set must give]
const SCENARIO = [
  ["GET", "/tenants/acme/orders/o-17", viewer, 200],
  ["GET", "/tenants/acme/orders", viewer, 200],
  ["DELETE", "/tenants/acme/orders/o-17", viewer, 403],
  ["GET", "/tenants/globex/orders/o-1", viewer, 403],
  ["GET", "/admin/audit", admin, 200],
  ["GET", "/health", undefined, 200],
] as const;

describe("shadow mode in the built Worker", () => {
  it("decides by the enforced set, marks the one disagreeing route, and the report names route and policy", async () => {
    expect(built.shadowPolicyVersion).toMatch(/^[0-9a-f]{64}$/);
    expect(built.shadowPolicyVersion).not.toBe(built.policyVersion);
    const worker = await startWorker(built.bundlePath);
    for (const [method, path, who, status] of SCENARIO) {
      const response = await worker.fetch(method, path, who);
      await response.arrayBuffer();
      // Only the enforced set decides: the candidate's deny of the first request changes nothing
      expect({ request: `${method} ${path}`, status: response.status }).toEqual({ request: `${method} ${path}`, status });
    }

    const lines = await worker.lines(SCENARIO.length);
    expect(lines).toHaveLength(SCENARIO.length);
    for (const line of lines) expect(auditLineErrors(line)).toEqual([]);
    const records = lines.map((line) => JSON.parse(line) as Record<string, any>);
    const readOne = records.find((r) => r.path === "/tenants/acme/orders/o-17" && r.method === "GET")!;
    expect(readOne).toMatchObject({
      decision: "allow", decision_reason: "allowed", route: CANDIDATE_DISAGREES_ON, reasons: ["viewers-read-orders"], policy_version: built.policyVersion,
      shadow: { decision: "deny", reasons: [], errors: [], agrees: false, policy_version: built.shadowPolicyVersion },
    });
    const disagreeing = records.filter((r) => r.shadow?.agrees === false).map((r) => `${r.method} ${r.path}`);
    expect(disagreeing).toEqual(["GET /tenants/acme/orders/o-17"]);
    // Requests that reach the policies carry the candidate's answer; the public route does not
    expect(records.filter((r) => r.shadow !== undefined)).toHaveLength(SCENARIO.length - 1);
    expect(records.find((r) => r.path === "/health")!.shadow).toBeUndefined();

    // The report reads workerd's stdout as it is (other output is counted as malformed and skipped)
    const dir = mkdtempSync(join(tmpdir(), "gatehouse-shadow-report-"));
    try {
      const file = join(dir, "audit.ndjson");
      writeFileSync(file, worker.stdout());
      const json = await auditReport([file, "--json"]);
      expect(json.code).toBe(0);
      const summary = JSON.parse(json.stdout) as { shadow: { evaluated: number; disagreements: number; allowToDeny: number; denyToAllow: number; byRoute: { route: string; evaluated: number; disagreements: number }[]; byPolicy: { key: string; count: number }[] } };
      expect(summary.shadow).toMatchObject({ evaluated: SCENARIO.length - 1, disagreements: 1, allowToDeny: 1, denyToAllow: 0 });
      // two requests on that route (acme: disagree; globex: both deny), one disagreement
      expect(summary.shadow.byRoute[0]).toEqual({ route: CANDIDATE_DISAGREES_ON, evaluated: 2, disagreements: 1 });
      expect(summary.shadow.byRoute.filter((r) => r.disagreements > 0)).toHaveLength(1);
      expect(summary.shadow.byPolicy).toEqual([{ key: "enforced:viewers-read-orders", count: 1 }]);

      const text = await auditReport([file]);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(new RegExp(`${SCENARIO.length - 1} evaluated, 1 disagree .*1 allow→deny, 0 deny→allow`));
      expect(text.stdout).toMatch(/^\s+GET \/tenants\/:tenant\/orders\/:id\s+2\s+1\s*$/m);
      expect(text.stdout).toMatch(/^\s+enforced:viewers-read-orders\s+1\s*$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("a bundle built without --shadow writes no shadow field", async () => {
    const worker = await startWorker(await workerBundle());
    const response = await worker.fetch("GET", "/tenants/acme/orders/o-17", viewer);
    expect(response.status).toBe(200);
    const [line] = await worker.lines(1);
    expect(auditLineErrors(line)).toEqual([]);
    expect(JSON.parse(line)).not.toHaveProperty("shadow");
  }, 180_000);
});
