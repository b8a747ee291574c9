// Canary and automatic rollback end to end (issue #18): the Worker bundle built with a candidate that
// carries a broad deny (`--shadow DIR`), in Miniflare (real workerd, real tokens), configured to let
// the candidate decide for 10 % of principals. Its denies must stay inside that slice, the rule must
// roll it back, and the audit stream must show one `rollback` event and no canary deny after it.
// Its Analytics Engine data points count the canary requests, disagreements and the rollback the
// audit lines show.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { Miniflare, type MiniflareOptions } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANALYTICS_ENGINE_COLUMNS } from "../../../shared/metrics/index.ts";
import { summarizeAuditLines } from "../../../tools/audit/index.ts";
import { candidateCountsOf } from "../../harness/candidate-counts.ts";
import { buildWorker, type BuiltWorker } from "../../../tools/build/worker.ts";
import { auditLineErrors, BROAD_DENY, createTestKey, mintToken, repoRoot, rollbackEventErrors, startAuditedWorker, WORKER_AUDIENCE, WORKER_ISSUER, writeVariantProject, type AuditedWorker, type TestKey } from "../../harness/index.ts";

const SHARE = 0.1;
// The rule as the issue states it, but judged after 20 canary requests instead of 200 so the test
// sends a few hundred requests rather than thousands; the mechanism is the same
const ROLLOUT = { canary: { share: SHARE }, rollback: { maxDenyRate: 0.01, minRequests: 20, windowSeconds: 60 } };

let key: TestKey;
let candidate: ReturnType<typeof writeVariantProject>;
let outDir: string;
let built: BuiltWorker;
let worker: AuditedWorker;

beforeAll(async () => {
  key = await createTestKey("ES256");
  candidate = writeVariantProject(BROAD_DENY);
  mkdirSync(join(repoRoot, ".gatehouse", "test-bundles"), { recursive: true });
  outDir = mkdtempSync(join(repoRoot, ".gatehouse", "test-bundles", "canary-"));
  // Built for its configuration: the bundle keeps `rollout` and leaves the other optional features out
  built = await buildWorker({ outDir, shadowDir: candidate.dir, config: { rollout: ROLLOUT } });
  worker = await startAuditedWorker(built.bundlePath, key, { rollout: ROLLOUT }, { captureMetrics: true });
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  candidate?.remove();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

// Independent of shared/rollout/slice.ts: the slice as docs/rollout.md defines it
function inSlice(sub: string): boolean {
  const version = built.shadowPolicyVersion!;
  const digest = createHash("sha256").update(`${version.length}:${version}4:User${sub.length}:${sub}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32 < SHARE;
}

describe("canary rollout in the built Worker", () => {
  it("keeps the candidate's denies inside the 10 % slice, rolls it back by the rule, and denies no more after the event", async () => {
    const users = Array.from({ length: 400 }, (_, i) => `user-${i}`);
    const statusOf = new Map<string, number>();
    for (const sub of users) {
      const response = await worker.fetch("GET", "/tenants/acme/orders", { sub, tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] });
      await response.arrayBuffer();
      statusOf.set(sub, response.status);
    }
    const lines = await worker.lines(users.length);
    expect(lines).toHaveLength(users.length);
    const stream = worker.stdout().split("\n").filter((line) => line.startsWith("{"));
    const records = lines.map((line) => JSON.parse(line) as Record<string, any>);
    for (const line of lines) expect(auditLineErrors(line)).toEqual([]);

    // Denies only inside the slice, each decided by the candidate
    const denied = users.filter((sub) => statusOf.get(sub) === 403);
    expect(denied.length).toBeGreaterThan(0);
    for (const sub of denied) expect({ sub, inSlice: inSlice(sub) }).toEqual({ sub, inSlice: true });
    for (const record of records.filter((r) => r.decision === "deny")) expect(record.canary).toMatchObject({ enforced: "candidate", stable_decision: "allow" });
    const sliceCount = users.filter(inSlice).length;
    expect(sliceCount).toBeGreaterThan(20);

    // One rollback event, with its evidence, once the slice had sent 20 requests
    const events = stream.filter((line) => line.includes('"event":"rollback"'));
    expect(events).toHaveLength(1);
    expect(rollbackEventErrors(events[0])).toEqual([]);
    const event = JSON.parse(events[0]) as Record<string, any>;
    expect(event).toMatchObject({
      rule: "deny_rate", policy_version: built.policyVersion, candidate_version: built.shadowPolicyVersion,
      evidence: { canary_requests: 20, candidate_denies_stable_allows: 20, deny_rate: 1, min_requests: 20, window_s: 60 },
    });
    // 19 canary denies, then the 20th canary request fires the rule and is decided by the stable set
    expect(denied).toHaveLength(19);
    expect(denied).toEqual(users.filter(inSlice).slice(0, 19));
    const trigger = records.find((r) => r.decision_id === event.evidence.trigger_decision_id)!;
    expect(trigger).toMatchObject({ decision: "allow", principal: { id: users.filter(inSlice)[19] }, canary: { enforced: "stable", rolled_back: true } });

    // After the event: no canary denies, every line says rolled back
    const after = stream.slice(stream.indexOf(events[0]) + 1).map((line) => JSON.parse(line) as Record<string, any>);
    // The event is written during the trigger decision, just before its line
    expect(after.length).toBe(users.length - records.indexOf(trigger));
    expect(after.length).toBeGreaterThan(100);
    for (const record of after) expect({ decision: record.decision, canary: record.canary }).toMatchObject({ decision: "allow", canary: { enforced: "stable", rolled_back: true } });
    // And the candidate is still evaluated there: its denies stay visible as shadow disagreements
    expect(after.every((r) => r.shadow?.decision === "deny" && r.shadow.agrees === false)).toBe(true);

    // `gatehouse audit report` reads the stream: the event is no malformed line, and the candidate is
    // compared with the stable set on every line, whichever decided
    const summary = await summarizeAuditLines(stream);
    expect(summary.malformed.count).toBe(0);
    expect(summary.canary).toEqual({ lines: users.length, candidateEnforced: 19, candidateDenies: 19, rollbacks: [{ time: event.time, rule: "deny_rate", candidateVersion: built.shadowPolicyVersion }] });
    expect(summary.shadow).toMatchObject({ evaluated: users.length, disagreements: users.length, allowToDeny: users.length, denyToAllow: 0 });

    // The data points count what the audit lines show: one per decision, `canary` 1 where the
    // candidate decided and 0 where it was only evaluated, its disagreements, and the rollback on the
    // trigger decision's point (joined by trace id)
    const points = await worker.points(users.length);
    expect(points).toHaveLength(users.length);
    const col = (name: (typeof ANALYTICS_ENGINE_COLUMNS.doubles)[number]) => ANALYTICS_ENGINE_COLUMNS.doubles.indexOf(name);
    const fromPoints = { requests: {} as Record<string, number>, disagreements: {} as Record<string, number> };
    for (const p of points) {
      const mode = p.doubles[col("canary")] === 1 ? "canary" : "shadow";
      const key = `${p.blobs[0]}/${p.blobs[1]}/${mode}`;
      fromPoints.requests[key] = (fromPoints.requests[key] ?? 0) + 1;
      // The decision is the candidate's on a canary request and the stable set's otherwise
      const stable = mode === "canary" ? (p.blobs[1] === "allow" ? "deny" : "allow") : p.blobs[1];
      const direction = `${key}/${stable === "allow" ? "allow_to_deny" : "deny_to_allow"}`;
      if (p.doubles[col("candidate_disagrees")] === 1) fromPoints.disagreements[direction] = (fromPoints.disagreements[direction] ?? 0) + 1;
    }
    const expected = candidateCountsOf([...records, event]);
    expect(Object.values(expected.requests).sort((a, b) => a - b)).toEqual([19, users.length - 19]);
    expect(fromPoints).toEqual({ requests: expected.requests, disagreements: expected.disagreements });
    expect(expected.rollbacks).toEqual({ deny_rate: 1 });
    const rolledBackOn = points.filter((p) => p.doubles[col("canary_rollbacks")] !== 0);
    expect(rolledBackOn.map((p) => [p.doubles[col("canary_rollbacks")], p.blobs[5]])).toEqual([[1, trigger.trace_id]]);
  }, 180_000);

  it("a shared KV flag carries one isolate's rollback to another isolate within its TTL", async () => {
    // Two Workers from the same bundle: two isolates, one KV namespace between them
    let out = "";
    const config = (minRequests: number) => JSON.stringify({
      token: { issuers: [{ issuer: WORKER_ISSUER, audience: WORKER_AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } }] },
      revocation: { store: { kind: "kv" }, ttlMs: 1000 },
      rollout: { canary: { share: 1 }, rollback: { minRequests, shared: { ttlSeconds: 1 } } },
    });
    const origin = async () => new Response("ok");
    const worker = (name: string, minRequests: number) => ({
      name, modules: true, scriptPath: built.bundlePath, compatibilityDate: "2025-09-01",
      bindings: { GATEHOUSE_CONFIG: config(minRequests) }, kvNamespaces: { REVOCATIONS: "shared-revocations" }, serviceBindings: { ORIGIN: origin },
    });
    const mf = new Miniflare({
      // The second isolate's own rule would need a thousand requests: only the flag can roll it back
      workers: [worker("first", 3), worker("second", 1000)],
      handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
        stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
        stderr.resume();
      },
    } as unknown as MiniflareOptions);
    try {
      await mf.ready;
      type Target = { fetch(url: string, init?: RequestInit): Promise<Response> };
      const first = (await mf.getWorker("first")) as unknown as Target;
      const second = (await mf.getWorker("second")) as unknown as Target;
      const send = async (target: Target, sub: string) => {
        const token = await mintToken(key, { tenant: "acme", groups: ["viewer"], scope: "orders:read" }, { issuer: WORKER_ISSUER, audience: WORKER_AUDIENCE, subject: sub });
        const response = await target.fetch("http://gatehouse.test/tenants/acme/orders", { headers: { authorization: `Bearer ${token}` } });
        await response.arrayBuffer();
        return response.status;
      };
      expect(await send(second, "sam")).toBe(403);
      for (const sub of ["a", "b", "c"]) await send(first, sub);
      expect(await send(first, "d")).toBe(200);
      const events = () => out.split("\n").filter((line) => line.includes('"event":"rollback"')).map((line) => JSON.parse(line) as Record<string, any>);
      // Past the second isolate's TTL, one request starts the read (waitUntil keeps it alive), the next sees the flag
      let status = 403;
      for (let waited = 0; status === 403 && waited < 10_000; waited += 250) {
        await new Promise((r) => setTimeout(r, 250));
        status = await send(second, "sam");
      }
      expect(status).toBe(200);
      for (let waited = 0; events().length < 2 && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      expect(events().map((e) => e.rule).sort()).toEqual(["deny_rate", "shared_flag"]);
      for (const event of events()) expect(rollbackEventErrors(event)).toEqual([]);
      expect(events().every((e) => e.candidate_version === built.shadowPolicyVersion)).toBe(true);
    } finally {
      await mf.dispose();
    }
  }, 60_000);
});
