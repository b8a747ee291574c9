// Replay end to end (issue #18): audit lines recorded by the built Worker in Miniflare (real tokens,
// real workerd stdout), then `gatehouse replay` on them with a seeded policy change. The report must
// name exactly the decisions the change flips, and nothing else.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { command as replayCommand } from "../../../tools/cli/commands/replay.ts";
import type { ReplayReport } from "../../../tools/replay/index.ts";
import { auditLineErrors, CANDIDATE_DISAGREES_ON, createTestKey, repoRoot, startAuditedWorker, writeCandidateProject, type AuditedWorker, type TestKey } from "../../harness/index.ts";
import { workerBundle } from "../../harness/gatehouse-worker.ts";
import { runCli } from "../../tools/cli/cli.ts";

const vera = { sub: "vera", tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] };
const vic = { sub: "vic", tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] };
const ada = { sub: "ada", tenant: "acme", groups: ["admin"], scope: "orders:read orders:write", amr: ["pwd", "mfa"] };

// [method, path, who, status the enforced set gives]
const SCENARIO = [
  ["GET", "/tenants/acme/orders", vera, 200],
  ["GET", "/tenants/acme/orders/o-1", vera, 200], // the candidate denies: viewers no longer read one order
  ["GET", "/tenants/acme/orders/o-2", vic, 200], // the same
  ["GET", "/tenants/globex/orders/o-3", vera, 403],
  ["DELETE", "/tenants/acme/orders/o-1", vera, 403],
  ["DELETE", "/tenants/acme/orders/o-1", ada, 200],
  ["GET", "/admin/audit", ada, 200],
  ["GET", "/health", undefined, 200],
  ["GET", "/tenants/acme/orders", undefined, 401],
] as const;

let key: TestKey;
let candidate: ReturnType<typeof writeCandidateProject>;
let dir: string;
let worker: AuditedWorker;
let log: string;
let records: Record<string, any>[];

beforeAll(async () => {
  key = await createTestKey("ES256");
  candidate = writeCandidateProject();
  dir = mkdtempSync(join(tmpdir(), "gatehouse-replay-"));
  worker = await startAuditedWorker(await workerBundle(), key, { audit: { replay: true, clientIp: "keep" } });
  for (const [method, path, who, status] of SCENARIO) {
    const response = await worker.fetch(method, path, who, { "cf-connecting-ip": "198.51.100.7" });
    await response.arrayBuffer();
    expect({ request: `${method} ${path}`, status: response.status }).toEqual({ request: `${method} ${path}`, status });
  }
  const lines = await worker.lines(SCENARIO.length);
  expect(lines).toHaveLength(SCENARIO.length);
  records = lines.map((line) => JSON.parse(line) as Record<string, any>);
  // Two more lines the report must account for: one written without replay facts, and noise
  const withoutReplay: Record<string, unknown> = { ...records[0], decision_id: "00000000-0000-4000-8000-000000000000" };
  delete withoutReplay.replay;
  log = [...lines, JSON.stringify(withoutReplay), "workerd says hello"].join("\n") + "\n";
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  candidate?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `gatehouse replay` as the CLI runs it, in this process: exit code and what it printed. */
async function replay(args: string[]): Promise<{ code: number; stdout: string }> {
  const file = join(dir, "audit.ndjson");
  writeFileSync(file, log);
  let stdout = "";
  const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const writeErr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    const code = await replayCommand.run([file, ...args]);
    return { code, stdout };
  } finally {
    write.mockRestore();
    writeErr.mockRestore();
  }
}

const changedOf = (report: ReplayReport) => report.changes.map((c) => ({ request: `${c.method} ${c.path}`, principal: c.principal, change: c.change, decisionId: c.decisionId }));
const idOf = (method: string, path: string, sub: string) => records.find((r) => r.method === method && r.path === path && r.principal?.id === sub)!.decision_id as string;

describe("replay of audit lines the built Worker wrote", () => {
  it("writes schema-valid lines whose replay facts hold the principal entity and the context as built", () => {
    for (const record of records) expect(auditLineErrors(record)).toEqual([]);
    const read = records.find((r) => r.path === "/tenants/acme/orders/o-1" && r.method === "GET")!;
    expect(read.replay).toEqual({
      principal: { uid: { type: read.principal.type, id: "vera" }, attrs: expect.objectContaining({ tenant: "acme" }), parents: [{ type: "Role", id: "viewer" }] },
      context: expect.objectContaining({ scopes: ["orders:read"], amr: ["pwd"], ip: { __extn: { fn: "ip", arg: "198.51.100.7" } }, time: { __extn: { fn: "datetime", arg: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) } } }),
      omitted: [],
    });
    // Only lines that reached the policies carry them
    expect(records.filter((r) => r.replay !== undefined)).toHaveLength(SCENARIO.length - 2);
  });

  it("with the enforced project, every replayed decision is the recorded one", async () => {
    const { code, stdout } = await replay(["--policies", join(repoRoot, "policies"), "--json"]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as ReplayReport;
    expect(report).toMatchObject({ replayed: SCENARIO.length - 2, changed: 0, errors: { count: 0 } });
  });

  it("with the seeded change, names exactly the two viewer reads the candidate would deny", async () => {
    const { code, stdout } = await replay(["--policies", candidate.dir, "--json"]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as ReplayReport;
    expect(changedOf(report)).toEqual([
      { request: "GET /tenants/acme/orders/o-1", principal: `${records[0].principal.type}::"vera"`, change: "allow→deny", decisionId: idOf("GET", "/tenants/acme/orders/o-1", "vera") },
      { request: "GET /tenants/acme/orders/o-2", principal: `${records[0].principal.type}::"vic"`, change: "allow→deny", decisionId: idOf("GET", "/tenants/acme/orders/o-2", "vic") },
    ]);
    expect(report.groups).toEqual([
      expect.objectContaining({ route: CANDIDATE_DISAGREES_ON, action: 'Action::"ReadOrder"', change: "allow→deny", policies: ["before:viewers-read-orders"], count: 2 }),
    ]);
    expect(report).toMatchObject({
      policyDecisions: SCENARIO.length - 1,
      replayed: SCENARIO.length - 2,
      allowToDeny: 2,
      denyToAllow: 0,
      notReplayed: [{ reason: "no_replay_facts", count: 1, firstLines: [SCENARIO.length + 1] }],
      notPolicyDecisions: [{ reason: "missing_token", count: 1 }, { reason: "public_route", count: 1 }],
      malformed: { count: 1, firstLines: [SCENARIO.length + 2] },
    });
  });

  it("--against decides the baseline again and finds the same changes, the reverse way round too", async () => {
    const forward = JSON.parse((await replay(["--policies", candidate.dir, "--against", join(repoRoot, "policies"), "--json"])).stdout) as ReplayReport;
    expect(forward.baseline).toBe("against");
    expect(changedOf(forward).map((c) => c.request)).toEqual(["GET /tenants/acme/orders/o-1", "GET /tenants/acme/orders/o-2"]);
    const back = JSON.parse((await replay(["--policies", join(repoRoot, "policies"), "--against", candidate.dir, "--json"])).stdout) as ReplayReport;
    expect(back).toMatchObject({ changed: 2, allowToDeny: 0, denyToAllow: 2 });
    expect(back.groups[0].policies).toEqual(["after:viewers-read-orders"]);
  });

  it("--max-changes gates CI: exit 1 above it, 0 at it; text and HTML name route, action and policy", async () => {
    expect((await replay(["--policies", candidate.dir, "--max-changes", "1"])).code).toBe(1);
    const html = join(dir, "replay.html");
    const { code, stdout } = await replay(["--policies", candidate.dir, "--max-changes", "2", "--html", html]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/changed:\s+2 \(2 allow→deny, 0 deny→allow\)/);
    expect(stdout).toContain(`allow→deny  2  ${CANDIDATE_DISAGREES_ON}  Action::"ReadOrder"  before:viewers-read-orders`);
    expect(stdout).toContain("no `replay` field (audit.replay was off)");
    const page = (await import("node:fs")).readFileSync(html, "utf8");
    expect(page).toContain("before:viewers-read-orders");
    expect(page).not.toContain("<script");
  });

  it("is a command of the gatehouse CLI, exit code and all", async () => {
    const file = join(dir, "audit.ndjson");
    writeFileSync(file, log);
    const run = (args: string[]) => runCli(["replay", file, ...args], { cwd: repoRoot, env: { NO_COLOR: "1" } });
    const gated = await run(["--policies", candidate.dir, "--max-changes", "0"]);
    expect(gated.code).toBe(1);
    expect(gated.stderr).toContain("2 decisions change, more than --max-changes 0");
    const usage = await run(["--max-changes", "-1"]);
    expect(usage.code).not.toBe(0);
    expect(usage.stderr).toMatch(/--policies DIR|--max-changes/);
  }, 60_000);
});
