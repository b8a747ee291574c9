// Issue #22: the audit line written straight from the facts must be byte for byte the line
// `JSON.stringify(buildAuditRecord(...))` gives, for every decision path, config and hostile value.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildAuditRecord, resolveAuditConfig, type AuditConfig, type AuditContext, type DecisionFacts } from "../../../shared/audit/index.ts";
import { serializeAuditLine } from "../../../shared/audit/serialize-line.ts";
import { auditLineErrors } from "../../harness/index.ts";
import { NOW_MS, decisionPaths, sampleClaims } from "./fixtures.ts";

const CONFIGS: AuditConfig[] = [
  {},
  { includeQuery: true },
  { claims: ["email", "tenant", "missing", "groups"] },
  { policyErrorDetail: "message" },
  { clientIp: "keep" },
  { clientIp: "omit" },
  { clientIp: "hash", clientIpSalt: "0123456789abcdef-salt" },
  { maxFieldLength: 16 },
];

function contextFor(config: AuditConfig, shadowPolicyVersion: string | null = null): AuditContext {
  return { config: resolveAuditConfig(config), platform: "lambda", policyVersion: "v-1234", shadowPolicyVersion };
}

function expectSameLine(facts: DecisionFacts, context: AuditContext, sampleRate = 1, dropped = 0) {
  const record = buildAuditRecord(facts, context, NOW_MS, "11111111-2222-4333-8444-555555555555", sampleRate);
  if (dropped > 0) record.audit_dropped = dropped;
  const expected = JSON.stringify(record);
  const line = serializeAuditLine(facts, context, NOW_MS, "11111111-2222-4333-8444-555555555555", sampleRate, dropped);
  expect(line).toBe(expected);
  return line;
}

describe("serializeAuditLine: the same bytes as JSON.stringify of the record", () => {
  it("for every decision path under every config, and each line passes the schema", () => {
    for (const config of CONFIGS) {
      for (const [name, facts] of Object.entries(decisionPaths())) {
        const line = expectSameLine(facts, contextFor(config));
        expect(auditLineErrors(line), `${name} ${JSON.stringify(config)}`).toEqual([]);
      }
    }
  });

  it("with shadow answers, sampling and dropped-line counts", () => {
    const facts = decisionPaths().allow_by_policy;
    const shadow = { decision: "deny" as const, reasons: ["candidate-forbid"], errors: [{ policy: "p\"1", message: "boom\n" }] };
    for (const config of CONFIGS) {
      expectSameLine({ ...facts, shadow }, contextFor(config, "cand-9"), 0.25, 3);
      expectSameLine({ ...facts, shadow, policy: null }, contextFor(config), 1, 0);
      expectSameLine({ ...facts, revocation: { checked: true, cached: false, outcome: "store_error", ms: 50.0004, storeError: "timeout" } }, contextFor(config));
    }
  });

  it("for strings JSON must escape, unpaired surrogates, odd numbers and values of the wrong type", () => {
    const claims = sampleClaims({ iss: 'https://idp"\\\u0001.example', jti: "j\u2028\ud800x", iat: -0, exp: 1e21, email: { nested: ["\u0000"] } });
    const base = decisionPaths(claims).allow_by_policy;
    const odd = {
      ...base,
      decisionId: "id-\"quoted\"",
      detail: { stage: "token", field: "e\"xp", claim: "groups\u0001", segment: 2, store: "redis", storeError: "Timeout!", revokedBy: "sub", policies: ["p1", "p\u2028"], message: "x".repeat(40) },
      route: "r\u007f\u0080é",
      action: 'Action::"read\\n"',
      principal: { type: "User", id: "vé\ud83d\ude00ra\ud83d" },
      request: { ...base.request, method: "GE\tT", path: "/a\"b?x=1#frag", query: "token=abc&q=\"", platformRequestId: "req-1" },
      policy: { decision: "allow" as const, reasons: ["a", 7 as unknown as string], errors: [] },
      revocation: { checked: true, cached: false, outcome: "Not-A-Code", ms: Number.NaN, storeError: "Bad Error" },
      timingsMs: { total: Number.POSITIVE_INFINITY, verify: -1, revocation: 0.0004, eval: 1e-7 },
      cache: { tokenHit: true, jwksAgeS: Number.NaN, revocationAgeMs: -0 },
    } as unknown as DecisionFacts;
    for (const config of CONFIGS) expectSameLine(odd, contextFor(config));
  });

  it("for a frozen claims object seen again (its fields are serialised once), under other configs and principals", () => {
    const claims = Object.freeze(sampleClaims({ jti: "j-memo", iss: "https://idp.example.test/" + "x".repeat(40) }));
    const principal = Object.freeze({ type: "User", id: "memo-user-with-a-rather-long-id" });
    const facts = { ...decisionPaths(claims).allow_by_policy, principal };
    for (let round = 0; round < 2; round++) {
      for (const config of CONFIGS) expectSameLine(facts, contextFor(config));
      expectSameLine({ ...facts, principal: Object.freeze({ type: "Admin", id: "other" }) }, contextFor({}));
      expectSameLine({ ...facts, principal: null }, contextFor({}));
    }
  });

  // Issue #22: one context remembers its last client address; another address must not reuse its text
  it("for client addresses that change from line to line within one context", () => {
    const facts = decisionPaths().allow_by_policy;
    const addresses = ["203.0.113.77", "198.51.100.9", "2001:DB8::1", "not an address", "", "198.51.100.9"];
    for (const config of CONFIGS) {
      const context = contextFor(config);
      for (const clientIp of [...addresses, ...addresses.reverse()]) expectSameLine({ ...facts, request: { ...facts.request, clientIp } }, context);
      expectSameLine({ ...facts, request: { ...facts.request, clientIp: undefined } }, context);
    }
  });

  it("for paths and queries that change from line to line within one context", () => {
    const facts = decisionPaths().allow_by_policy;
    const requests: [unknown, string | undefined][] = [
      ["/tenants/acme/orders/o-17", undefined], ["/tenants/acme/orders/o-17", undefined], ["/tenants/acme/orders/o-17", "access_token=secret&x=1"],
      ["/tenants/acme/orders/o-17", "x=1"], ["/tenants/acme/orders/o-17?token=inline", undefined], ['/tenants/"quoted"/\u2028', undefined],
      ["/tenants/acme/orders/o-17", ""], [42, undefined], [42, undefined], ["/tenants/acme/orders/o-18", "x=1"], ["/tenants/acme/orders/o-17", undefined],
    ];
    for (const config of CONFIGS) {
      const context = contextFor(config);
      for (const [path, query] of [...requests, ...requests.reverse()]) expectSameLine({ ...facts, request: { ...facts.request, path, query } } as DecisionFacts, context);
    }
  });

  // Issue #22: one context remembers the texts of route names, methods, actions and single policy
  // ids; values that change from line to line, hostile ones included, must never reuse another's text
  it("for routes, methods, actions and reasons that change from line to line within one context (fast-check)", () => {
    const contexts = CONFIGS.map((config) => contextFor(config));
    const pick = (values: string[]) => fc.oneof(fc.constantFrom(...values), fc.string({ unit: "binary", maxLength: 24 }));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: contexts.length - 1 }),
        fc.option(pick(["GET /orders/:id", "POST /orders", 'route"quoted'])),
        pick(["GET", "POST", "DELETE"]),
        fc.option(pick(['Action::"read"', 'Action::"write"', "Action::\"x\u2028\""])),
        fc.array(pick(["orders-read", "admins", "p\"1"]), { maxLength: 3 }),
        (which, route, method, action, reasons) => {
          const facts = decisionPaths().allow_by_policy;
          const policy = { decision: "allow" as const, reasons, errors: [] };
          expectSameLine({ ...facts, route, action, policy, request: { ...facts.request, method } }, contexts[which]);
        },
      ),
      { numRuns: 400 },
    );
  });

  // Issue #22: one context remembers the last principal/action, resource, outcome (decision through
  // policy version) and token/cache texts; a line that differs from the last in any one of their
  // pieces must not reuse them
  it("for every decision path, one after another in one context, each repeated and then varied one field at a time", () => {
    const frozenClaims = Object.freeze(sampleClaims({ jti: "j-shared" }));
    const principal = Object.freeze({ type: "User", id: "shared" });
    for (const config of CONFIGS) {
      const context = contextFor(config);
      for (const facts of [...Object.values(decisionPaths()), ...Object.values(decisionPaths(frozenClaims)).map((f) => ({ ...f, principal: f.principal ? principal : f.principal }))]) {
        expectSameLine(facts, context);
        expectSameLine(facts, context);
        const revocation = facts.revocation ?? { checked: true, cached: true, outcome: "not_revoked", ms: 0 };
        const variants: Partial<DecisionFacts>[] = [
          { decision: facts.decision === "allow" ? "deny" : "allow" },
          { reason: "policy_denied" },
          { detail: { stage: "decision", policies: ["p1"] } },
          { detail: null },
          { policy: { decision: "allow", reasons: ["other-policy"], errors: [] } },
          { policy: { decision: "deny", reasons: [], errors: [{ policy: "p2", message: "m" }] } },
          { authError: "expired" },
          { authError: null },
          { revocation: null },
          { revocation: { ...revocation, checked: !revocation.checked } },
          { revocation: { ...revocation, cached: !revocation.cached } },
          { revocation: { ...revocation, outcome: "revoked" } },
          { revocation: { ...revocation, ms: 1.5 } },
          { revocation: { ...revocation, storeError: "timeout" } },
          { failModeUsed: "open" },
          { failModeUsed: "stale" },
          { failModeUsed: null },
          { action: 'Action::"other"' },
          { action: null },
          { resource: 'Order::"other"' },
          { resource: null },
          { principal: Object.freeze({ type: "Admin", id: "shared" }) },
          { principal: null },
          { cache: { ...facts.cache, tokenHit: !facts.cache?.tokenHit } },
          { cache: null },
          { traceId: "0af7651916cd43dd8448eb211c80319c" },
          { traceId: 'trace"quoted' },
          { traceId: null },
          { request: { ...facts.request, headers: new Headers({ traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }) } },
          { request: { ...facts.request, headers: undefined, platformRequestId: "req-2" } },
        ];
        for (const variant of variants) {
          expectSameLine({ ...facts, ...variant } as DecisionFacts, context);
          expectSameLine(facts, context);
        }
      }
    }
  });

  it("for decision times that change from line to line within one context", () => {
    const facts = decisionPaths().allow_by_policy;
    const context = contextFor({});
    for (const timeMs of [NOW_MS, NOW_MS, NOW_MS + 1, NOW_MS + 1, NOW_MS - 86_400_000, NOW_MS]) {
      const line = serializeAuditLine(facts, context, timeMs, "d-1");
      expect(line).toBe(JSON.stringify(buildAuditRecord(facts, context, timeMs, "d-1", 1)));
      expect(JSON.parse(line).time).toBe(new Date(timeMs).toISOString());
    }
  });

  // A published policy bundle changes the enforced version between two lines of one logger
  it("for a policy version that changes between lines of one context", () => {
    const facts = decisionPaths().allow_by_policy;
    let version: string | null = "v-1";
    const context = contextFor({});
    Object.defineProperty(context, "policyVersion", { get: () => version, enumerable: true });
    expect(JSON.parse(expectSameLine(facts, context)).policy_version).toBe("v-1");
    version = "v-2";
    expect(JSON.parse(expectSameLine(facts, context)).policy_version).toBe("v-2");
    version = null;
    expect(JSON.parse(expectSameLine(facts, context)).policy_version).toBe(null);
  });

  it("for generated facts (fast-check)", () => {
    const text = fc.string({ unit: "binary", maxLength: 40 });
    const number = fc.oneof(fc.double(), fc.integer(), fc.constant(-0));
    fc.assert(
      fc.property(text, text, text, text, number, number, fc.boolean(), fc.constantFrom(...CONFIGS), (route, id, path, reason, ms, iat, hit, config) => {
        const facts = decisionPaths(sampleClaims({ jti: id, iat })).allow_by_policy;
        expectSameLine(
          { ...facts, route, reason: reason as DecisionFacts["reason"], principal: { type: "User", id }, request: { ...facts.request, path }, timingsMs: { total: ms, verify: ms }, cache: { tokenHit: hit, jwksAgeS: ms } },
          contextFor(config),
        );
      }),
      { numRuns: 200 },
    );
  });
});
