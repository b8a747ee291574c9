// The deployed Lambda entry writes CloudWatch Embedded Metric Format documents on stdout, one per
// label set per invocation, beside the audit lines. Parsed back and checked against the EMF
// specification's required fields, with counts equal to the requests sent, per decision.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLambdaEntry } from "../../../functions/lambda/main.ts";
import type { GatehouseConfig } from "../../../shared/config/index.ts";
import type { RoutesFile } from "../../../shared/routes/index.ts";
import { LATENCY_BUCKETS_MS } from "../../../shared/metrics/index.ts";
import { BROAD_DENY, createTestKey, mintToken, variantPolicies, type TestKey } from "../../harness/index.ts";
import { candidateCountsOf } from "../../harness/candidate-counts.ts";
import { EXAMPLE_AUDIENCE, EXAMPLE_ISSUER, examplePolicies, exampleRoutes } from "../../harness/gatehouse-pipeline.ts";
import { loadEvent, retarget } from "./events.ts";
import { startAuditCollector } from "../../harness/audit-collector.ts";

let lines: string[];
let restore: () => void;
beforeEach(() => {
  lines = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split("\n").filter((l) => l !== ""));
    return true;
  });
  restore = () => spy.mockRestore();
});
afterEach(() => restore());

function config(key: TestKey, extra: Partial<GatehouseConfig> = {}): GatehouseConfig {
  return {
    token: { issuers: [{ issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } }] },
    routes: exampleRoutes(),
    revocation: { store: { kind: "memory" }, ttlMs: 5000 },
    ...extra,
  };
}
const viewer = (key: TestKey) => mintToken(key, { tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] }, { issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, subject: "vera", ttlSeconds: 600 });

type Emf = Record<string, any> & { _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit?: string }[] }[] } };
const emfDocuments = (): Emf[] => lines.map((l) => JSON.parse(l) as Record<string, any>).filter((d): d is Emf => d._aws !== undefined);

/** The checks of the EMF specification's "MUST"s for one document. */
function emfSpecErrors(doc: Emf): string[] {
  const errors: string[] = [];
  const aws = doc._aws;
  if (!Number.isInteger(aws.Timestamp) || aws.Timestamp <= 0) errors.push("_aws.Timestamp: must be a number of ms since the epoch");
  if (!Array.isArray(aws.CloudWatchMetrics) || aws.CloudWatchMetrics.length === 0) errors.push("_aws.CloudWatchMetrics: must be a non-empty array");
  for (const directive of aws.CloudWatchMetrics ?? []) {
    if (typeof directive.Namespace !== "string" || directive.Namespace.length === 0 || directive.Namespace.length > 255) errors.push("Namespace: 1 to 255 characters");
    if (!Array.isArray(directive.Dimensions)) errors.push("Dimensions: must be an array of dimension sets");
    for (const set of directive.Dimensions ?? []) {
      if (!Array.isArray(set) || set.length > 30) errors.push("a dimension set: at most 30 names");
      for (const name of set) if (typeof doc[name] !== "string") errors.push(`dimension ${name}: the root must hold a string value`);
    }
    if (!Array.isArray(directive.Metrics) || directive.Metrics.length > 100) errors.push("Metrics: at most 100 definitions");
    for (const metric of directive.Metrics ?? []) {
      const value = doc[metric.Name];
      const ok = typeof value === "number" || (Array.isArray(value) && value.length <= 100 && value.every((v) => typeof v === "number"));
      if (!ok) errors.push(`metric ${metric.Name}: the root must hold a number or an array of at most 100 numbers`);
    }
  }
  return errors;
}

describe("Lambda: CloudWatch EMF per invocation", () => {
  it("writes EMF documents that meet the specification, counting each request once per decision", async () => {
    const key = await createTestKey("ES256");
    const handler = await createLambdaEntry({ policies: await examplePolicies(), routes: exampleRoutes() as RoutesFile, config: config(key, { metrics: { namespace: "GatehouseTest" } }), env: {} });
    const token = await viewer(key);
    for (let i = 0; i < 3; i++) await handler(loadEvent("rest-request", token));
    for (let i = 0; i < 2; i++) await handler(retarget(loadEvent("rest-request", token), "DELETE", "/tenants/acme/orders/o-17"));
    const missing = loadEvent("rest-request", "");
    delete missing.headers.Authorization;
    delete missing.multiValueHeaders.Authorization;
    await expect(handler(missing)).rejects.toThrow("Unauthorized");
    await expect(handler({ type: "nonsense" })).rejects.toThrow("Unauthorized");

    const docs = emfDocuments();
    // one document per invocation here: each invocation had one label set
    expect(docs).toHaveLength(7);
    for (const doc of docs) expect(emfSpecErrors(doc), JSON.stringify(doc)).toEqual([]);
    for (const doc of docs) expect(doc._aws.CloudWatchMetrics[0].Namespace).toBe("GatehouseTest");
    const count = (pred: (d: Emf) => boolean) => docs.filter(pred).reduce((n, d) => n + (d.Decisions as number), 0);
    expect(count((d) => d.Decision === "allow" && d.Reason === "allowed")).toBe(3);
    expect(count((d) => d.Decision === "deny" && d.Reason === "policy_denied")).toBe(2);
    expect(count((d) => d.Reason === "missing_token")).toBe(1);
    expect(count((d) => d.Reason === "malformed_event" && d.Route === "none")).toBe(1);
    expect(count(() => true)).toBe(7);
    // low-cardinality labels only: the route name (its pattern), never the principal, tenant or path values
    for (const doc of docs) expect(JSON.stringify(doc)).not.toMatch(/vera|acme|o-17/);
    const allowed = docs.find((d) => d.Reason === "allowed")!;
    expect(allowed).toMatchObject({ Platform: "lambda", Route: expect.any(String), Errors: 0, BreakGlass: 0 });
    expect(allowed.PolicyVersion).toMatch(/^[0-9a-f]+/);
    expect(allowed.Latency).toHaveLength(1);
    expect(Number.isInteger(allowed.Latency[0]) && allowed.Latency[0] >= 0).toBe(true);
    expect(allowed._aws.CloudWatchMetrics[0].Metrics.find((m) => m.Name === "Latency")?.Unit).toBe("Microseconds");
    // the revocation answer's age (ms): the first request read the store, the next two the cache (ttlMs 5000);
    // decisions that never reached the revocation check carry no age, and their documents do not list it
    const aged = docs.filter((d) => d.RevocationAge !== undefined);
    expect(aged.map((d) => d.Reason).sort()).toEqual(["allowed", "allowed", "allowed", "policy_denied", "policy_denied"]);
    expect(aged[0].RevocationAge).toBe(0);
    for (const d of aged) expect(Number.isInteger(d.RevocationAge) && d.RevocationAge >= 0 && d.RevocationAge <= 5000, String(d.RevocationAge)).toBe(true);
    for (const d of aged) expect(d._aws.CloudWatchMetrics[0].Metrics).toContainEqual({ Name: "RevocationAge", Unit: "Milliseconds" });
    for (const d of docs.filter((d) => d.RevocationAge === undefined)) expect(d._aws.CloudWatchMetrics[0].Metrics.map((m) => m.Name)).not.toContain("RevocationAge");
    // nothing was lost, so no AuditLinesDropped document
    expect(docs.filter((d) => d.AuditLinesDropped !== undefined)).toEqual([]);
    // no candidate policy set: no canary or shadow metric listed, no rollback document
    for (const doc of docs) expect(doc._aws.CloudWatchMetrics[0].Metrics.map((m) => m.Name).filter((n) => /^(Canary|Shadow)/.test(n))).toEqual([]);
    // the audit lines are still there, one per invocation, and carry no `_aws`
    expect(lines.filter((l) => l.includes('"decision_id"'))).toHaveLength(7);
  });

  it("counts a canary rollout's requests, disagreements and rollback as its audit lines show them", async () => {
    const key = await createTestKey("ES256");
    const rollout = { canary: { share: 0.5 }, rollback: { maxDenyRate: 0.01, minRequests: 5, windowSeconds: 60 } };
    const handler = await createLambdaEntry({ policies: await examplePolicies(), shadowPolicies: await variantPolicies(BROAD_DENY), routes: exampleRoutes() as RoutesFile, config: config(key, { rollout }), env: {} });
    for (let i = 0; i < 40; i++) {
      const token = await mintToken(key, { tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] }, { issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, subject: `user-${i}`, ttlSeconds: 600 });
      await handler(loadEvent("rest-request", token)).catch(() => undefined);
    }
    const records = lines.map((l) => JSON.parse(l) as Record<string, any>).filter((r) => r.decision_id !== undefined || r.event === "rollback");
    const expected = candidateCountsOf(records);
    // the slice decided 4 requests (denied), the 5th fired the rule; every other request was shadow
    expect(expected.rollbacks).toEqual({ deny_rate: 1 });
    const route = records.find((r) => r.decision_id !== undefined)!.route as string;
    expect(expected.requests).toEqual({ [`${route}/deny/canary`]: 4, [`${route}/allow/shadow`]: 36 });

    const docs = emfDocuments();
    for (const doc of docs) expect(emfSpecErrors(doc), JSON.stringify(doc)).toEqual([]);
    const fromEmf = { requests: {} as Record<string, number>, disagreements: {} as Record<string, number> };
    const add = (map: Record<string, number>, k: string, n: number) => n > 0 && (map[k] = (map[k] ?? 0) + n);
    for (const d of docs.filter((d) => d.Decisions !== undefined)) {
      add(fromEmf.requests, `${d.Route}/${d.Decision}/canary`, d.CanaryRequests);
      add(fromEmf.requests, `${d.Route}/${d.Decision}/shadow`, d.ShadowRequests);
      add(fromEmf.disagreements, `${d.Route}/${d.Decision}/canary`, d.CanaryDisagreements);
      add(fromEmf.disagreements, `${d.Route}/${d.Decision}/shadow`, d.ShadowDisagreements);
    }
    // EMF has no direction: the audit counts summed over it
    const disagreements: Record<string, number> = {};
    for (const [k, n] of Object.entries(expected.disagreements)) add(disagreements, k.split("/").slice(0, -1).join("/"), n);
    expect(fromEmf).toEqual({ requests: expected.requests, disagreements });
    const rollbackDocs = docs.filter((d) => d.CanaryRollbacks !== undefined);
    expect(rollbackDocs).toHaveLength(1);
    expect(rollbackDocs[0]).toMatchObject({ Platform: "lambda", CanaryRollbacks: 1, _aws: { CloudWatchMetrics: [{ Dimensions: [["Platform"]], Metrics: [{ Name: "CanaryRollbacks", Unit: "Count" }] }] } });
  });

  it("aggregates several decisions of one invocation batch into one document per label set", async () => {
    const { emfMetrics } = await import("../../../shared/metrics/index.ts");
    const written: string[] = [];
    const metrics = emfMetrics({ writeLine: (l) => written.push(l), now: () => 1_700_000_000_000 });
    const facts = (reason: "allowed" | "internal_error", ms: number) => ({ decision: reason === "allowed" ? "allow" : "deny", reason, request: { method: "GET", path: "/x" }, route: "r", timingsMs: { total: ms } }) as const;
    metrics.observe(facts("allowed", 0.02), "lambda", "v1");
    metrics.observe(facts("allowed", 3), "lambda", "v1");
    metrics.observe(facts("internal_error", 1), "lambda", "v1");
    await metrics.flush();
    const docs = written.map((l) => JSON.parse(l) as Emf);
    expect(docs).toHaveLength(2);
    expect(docs[0]).toMatchObject({ Decisions: 2, Latency: [20, 3000], Errors: 0, _aws: { Timestamp: 1_700_000_000_000 } });
    expect(docs[1]).toMatchObject({ Decisions: 1, Errors: 1, Reason: "internal_error" });
    await metrics.flush();
    expect(written).toHaveLength(2);
    expect(LATENCY_BUCKETS_MS[0]).toBe(0.05);
  });

  it("counts audit lines a real collector refused as AuditLinesDropped, in a document of their own", async () => {
    const { emfMetrics } = await import("../../../shared/metrics/index.ts");
    const { createAuditLogger, httpBatchSink } = await import("../../../shared/audit/index.ts");
    const collector = await startAuditCollector();
    try {
      collector.setMode("error");
      const written: string[] = [];
      const metrics = emfMetrics({ writeLine: (l) => written.push(l), now: () => 1_700_000_000_000 });
      const logger = createAuditLogger(undefined, { platform: "lambda", sink: httpBatchSink({ url: collector.url, batchSize: 10, flushIntervalMs: 0 }), metrics });
      const facts = { decision: "allow", reason: "allowed", request: { method: "GET", path: "/x" }, route: "r", timingsMs: { total: 0.1 }, cache: { tokenHit: true, revocationAgeMs: 2400 } } as const;
      for (let i = 0; i < 3; i++) logger.log(facts);
      // as the Lambda handler does after an invocation: the audit flush (one batch of 3, answered 500), then the metrics
      await logger.flush();
      await metrics.flush();
      expect(collector.received).toBe(1);
      const docs = written.map((l) => JSON.parse(l) as Emf);
      expect(docs).toHaveLength(2);
      for (const doc of docs) expect(emfSpecErrors(doc), JSON.stringify(doc)).toEqual([]);
      expect(docs[0]).toMatchObject({ Decisions: 3, RevocationAge: 2400 });
      expect(docs[1]).toEqual({
        _aws: { Timestamp: 1_700_000_000_000, CloudWatchMetrics: [{ Namespace: "Gatehouse", Dimensions: [["Platform"]], Metrics: [{ Name: "AuditLinesDropped", Unit: "Count" }] }] },
        Platform: "lambda", AuditLinesDropped: 3,
      });
      // counted once: the next batch has no drops to report
      logger.log(facts);
      collector.setMode("ok");
      await logger.flush();
      await metrics.flush();
      expect(written.slice(2).map((l) => JSON.parse(l) as Emf).filter((d) => d.AuditLinesDropped !== undefined)).toEqual([]);
    } finally {
      await collector.stop();
    }
  });

  it("is silent with `metrics.enabled: false`", async () => {
    const key = await createTestKey("ES256");
    const handler = await createLambdaEntry({ policies: await examplePolicies(), routes: exampleRoutes() as RoutesFile, config: config(key, { metrics: { enabled: false } }), env: {} });
    await handler(loadEvent("rest-request", await viewer(key)));
    expect(emfDocuments()).toEqual([]);
    expect(lines.filter((l) => l.includes('"decision_id"'))).toHaveLength(1);
  });

  it("refuses to start a break-glass configuration unless the API Gateway cache is off", async () => {
    const key = await createTestKey("ES256");
    const breakGlassIssuer = { issuer: "https://break-glass.example", name: "break-glass", audience: EXAMPLE_AUDIENCE, algorithms: ["ES256" as const], jwks: { keys: [key.publicJwk] }, maxAgeSeconds: 300 };
    const cfg = config(key, { breakGlass: { issuer: "break-glass" } });
    const withBoth = { ...cfg, token: { issuers: [...cfg.token.issuers, breakGlassIssuer] } };
    const policies = await examplePolicies();
    await expect(createLambdaEntry({ policies, breakGlassPolicies: policies, routes: exampleRoutes() as RoutesFile, config: withBoth, env: { GATEHOUSE_AUTHORIZER_CACHE_TTL: "60" } })).rejects.toThrow(/^GATEHOUSE_AUTHORIZER_CACHE_TTL: expected `0`/);
    await expect(createLambdaEntry({ policies, routes: exampleRoutes() as RoutesFile, config: withBoth, env: { GATEHOUSE_AUTHORIZER_CACHE_TTL: "0" } })).rejects.toThrow(/^breakGlassPolicies: /);
    await expect(createLambdaEntry({ policies, breakGlassPolicies: policies, routes: exampleRoutes() as RoutesFile, config: withBoth, env: { GATEHOUSE_AUTHORIZER_CACHE_TTL: "0" } })).resolves.toBeTypeOf("function");
  });
});
