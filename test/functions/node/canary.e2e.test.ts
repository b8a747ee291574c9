// Canary and automatic rollback in the forward-auth server (issue #18): the server as deployed
// (startFromEnv) with the candidate from `GATEHOUSE_SHADOW_POLICIES`, a broad deny enforced for 10 % of
// principals. Its denies must stay inside that slice, the rule must roll it back, and the audit
// stream must show one `rollback` event and no canary deny after it; `/metrics` on the ops port
// counts the canary requests, disagreements and the rollback the audit lines show.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { request as httpRequest } from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFromEnv } from "../../../functions/node/main.ts";
import { memorySink } from "../../../shared/audit/index.ts";
import { ConfigError } from "../../../shared/errors.ts";
import type { CompiledPolicySet } from "../../../shared/policy/index.ts";
import { compilePolicyProject } from "../../../tools/compiler/index.ts";
import { BROAD_DENY, writeVariantProject } from "../../harness/canary-candidate.ts";
import { repoRoot } from "../../harness/corpus.ts";
import { auditLineErrors, rollbackEventErrors } from "../../harness/audit-schema.ts";
import { candidateCountsOf } from "../../harness/candidate-counts.ts";
import { EXAMPLE_AUDIENCE, EXAMPLE_ISSUER } from "../../harness/gatehouse-pipeline.ts";
import { createTestKey, mintToken, type TestKey } from "../../harness/tokens.ts";

const SHARE = 0.1;
// Prometheus's own linter of the exposition format (Debian's `prometheus` package; .ci/run installs it)
const promtool = spawnSync("promtool", ["--version"]).status === 0 || process.env.CI === "true";
// The issue's rule, judged after 20 canary requests instead of 200 (as in the Worker's canary test)
const ROLLOUT = { canary: { share: SHARE }, rollback: { maxDenyRate: 0.01, minRequests: 20, windowSeconds: 60 } };

let work: string;
let key: TestKey;
let candidateVersion: string;
let server: Awaited<ReturnType<typeof startFromEnv>> | undefined;
const audit = memorySink();

beforeAll(async () => {
  mkdirSync(join(repoRoot, ".gatehouse"), { recursive: true });
  work = mkdtempSync(join(repoRoot, ".gatehouse", "test-canary-forward-auth-"));
  key = await createTestKey("ES256");
  const candidate = writeVariantProject(BROAD_DENY);
  try {
    compilePolicyProject({ policiesDir: join(repoRoot, "policies"), outFile: join(work, "policies.mjs") });
    compilePolicyProject({ policiesDir: candidate.dir, outFile: join(work, "policies.shadow.mjs") });
  } finally {
    candidate.remove();
  }
  candidateVersion = ((await import(pathToFileURL(join(work, "policies.shadow.mjs")).href)) as { default: CompiledPolicySet }).default.version!;
  writeFileSync(join(work, "config.json"), JSON.stringify({
    token: { issuers: [{ issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } }] },
    revocation: null,
    rollout: ROLLOUT,
  }));
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { GATEHOUSE_CONFIG_FILE: join(work, "config.json"), GATEHOUSE_POLICIES: join(work, "policies.mjs"), GATEHOUSE_ROUTES_FILE: join(repoRoot, "policies", "routes.json"), GATEHOUSE_PROXY: "nginx", PORT: "0", GATEHOUSE_OPS_PORT: "0", ...extra };
}

// Independent of shared/rollout/slice.ts: the slice as docs/rollout.md defines it
function inSlice(sub: string): boolean {
  const digest = createHash("sha256").update(`${candidateVersion.length}:${candidateVersion}4:User${sub.length}:${sub}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32 < SHARE;
}

function scrape(opsUrl: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${opsUrl}/metrics`, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
    req.end();
  });
}

async function listOrders(url: string, sub: string): Promise<number> {
  const token = await mintToken(key, { tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] }, { issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, subject: sub });
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/auth`, { headers: { "x-original-method": "GET", "x-original-uri": "/tenants/acme/orders", authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("canary rollout in the forward-auth server", () => {
  it("a config with `rollout` and no `GATEHOUSE_SHADOW_POLICIES` fails at start naming the missing candidate", async () => {
    await expect(startFromEnv(env(), { auditSink: memorySink() })).rejects.toSatisfy((error: unknown) => error instanceof ConfigError && error.field === "rollout");
  });

  it("a `GATEHOUSE_SHADOW_POLICIES` that is no compiled module fails at start naming the variable", async () => {
    await expect(startFromEnv(env({ GATEHOUSE_SHADOW_POLICIES: join(work, "missing.mjs") }), { auditSink: memorySink() })).rejects.toSatisfy((error: unknown) => error instanceof ConfigError && error.field === "GATEHOUSE_SHADOW_POLICIES");
  });

  it("keeps the candidate's denies inside the 10 % slice, rolls it back by the rule, and denies no more after the event", async () => {
    server = await startFromEnv(env({ GATEHOUSE_SHADOW_POLICIES: join(work, "policies.shadow.mjs") }), { auditSink: audit });
    const users = Array.from({ length: 400 }, (_, i) => `user-${i}`);
    const statusOf = new Map<string, number>();
    for (const sub of users) statusOf.set(sub, await listOrders(server.url, sub));
    const stream = audit.lines;
    const records = stream.map((line) => JSON.parse(line) as Record<string, any>);
    const decisions = records.filter((r) => r.event === undefined);
    expect(decisions).toHaveLength(users.length);
    for (const line of stream.filter((l) => !l.includes('"event":'))) expect(auditLineErrors(line)).toEqual([]);

    // Denies only inside the slice, each decided by the candidate
    const slice = users.filter(inSlice);
    expect(slice.length).toBeGreaterThan(20);
    const denied = users.filter((sub) => statusOf.get(sub) === 403);
    for (const sub of denied) expect({ sub, inSlice: inSlice(sub) }).toEqual({ sub, inSlice: true });
    for (const record of decisions.filter((r) => r.decision === "deny")) expect(record.canary).toMatchObject({ enforced: "candidate", stable_decision: "allow" });
    // 19 canary denies; the 20th canary request fires the rule and is decided by the stable set
    expect(denied).toEqual(slice.slice(0, 19));

    // One rollback event, with its evidence
    const events = records.filter((r) => r.event === "rollback");
    expect(events).toHaveLength(1);
    expect(rollbackEventErrors(events[0])).toEqual([]);
    expect(events[0]).toMatchObject({ rule: "deny_rate", candidate_version: candidateVersion, evidence: { canary_requests: 20, candidate_denies_stable_allows: 20, deny_rate: 1, min_requests: 20, window_s: 60 } });
    const trigger = decisions.find((r) => r.decision_id === events[0].evidence.trigger_decision_id)!;
    expect(trigger).toMatchObject({ decision: "allow", principal: { id: slice[19] }, canary: { enforced: "stable", rolled_back: true } });

    // After the event: no canary denies, every line rolled back, the candidate still evaluated in shadow
    const after = records.slice(records.indexOf(events[0]) + 1);
    expect(after.length).toBe(users.length - decisions.indexOf(trigger));
    expect(after.length).toBeGreaterThan(100);
    for (const record of after) expect({ decision: record.decision, canary: record.canary }).toMatchObject({ decision: "allow", canary: { enforced: "stable", rolled_back: true } });
    expect(after.every((r) => r.shadow?.decision === "deny" && r.shadow.agrees === false)).toBe(true);
    expect(users.slice(users.indexOf(trigger.principal.id)).every((sub) => statusOf.get(sub) === 200)).toBe(true);

    // /metrics counts what the audit lines show: 19 canary requests (all allow → deny), the other 381
    // evaluated in shadow (all disagreeing), and the one rollback
    const text = await scrape(server.opsUrl!);
    if (promtool) expect(spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" })).toMatchObject({ status: 0 });
    const families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
    const scraped = (name: string, keyOf: (labels: Record<string, string>) => string) => {
      const out: Record<string, number> = {};
      for (const m of families.get(name)?.metrics ?? []) out[keyOf(m.labels!)] = (out[keyOf(m.labels!)] ?? 0) + Number(m.value);
      return out;
    };
    const expected = candidateCountsOf(records);
    const route = decisions[0].route as string;
    expect(expected.requests).toEqual({ [`${route}/deny/canary`]: 19, [`${route}/allow/shadow`]: 381 });
    expect(expected.disagreements).toEqual({ [`${route}/deny/canary/allow_to_deny`]: 19, [`${route}/allow/shadow/allow_to_deny`]: 381 });
    expect(scraped("gatehouse_canary_requests_total", (l) => `${l.route}/${l.decision}/${l.mode}`)).toEqual(expected.requests);
    expect(scraped("gatehouse_canary_disagreements_total", (l) => `${l.route}/${l.decision}/${l.mode}/${l.direction}`)).toEqual(expected.disagreements);
    expect(scraped("gatehouse_canary_rollbacks_total", (l) => l.rule)).toEqual({ deny_rate: 1 });
    expect(expected.rollbacks).toEqual({ deny_rate: 1 });
  }, 120_000);
});
