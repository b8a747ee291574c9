import { describe, expect, it } from "vitest";
import { frozenClock } from "../../../shared/clock/index.ts";
import {
  createAuditLogger,
  memorySink,
  type AuditRecord,
  type AuditSink,
  type DecisionFacts,
} from "../../../shared/audit/index.ts";
import { auditLineErrors } from "../../harness/index.ts";
import { NOW_MS, decisionPaths, sampleClaims } from "./fixtures.ts";

function setup(config: Parameters<typeof createAuditLogger>[0] = {}, random = () => 0.5) {
  const sink = memorySink();
  let n = 0;
  const logger = createAuditLogger(config, {
    platform: "node",
    sink,
    clock: frozenClock(NOW_MS),
    random,
    randomUUID: () => `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
    policyVersion: "pv-enforced",
    shadowPolicyVersion: "pv-candidate",
  });
  return { sink, logger };
}

describe("audit logger: every decision path writes exactly one valid line", () => {
  for (const [name, facts] of Object.entries(decisionPaths())) {
    it(`${name}: one line that matches the schema`, () => {
      const { sink, logger } = setup();
      const record = logger.log(facts);
      expect(sink.lines).toHaveLength(1);
      expect(auditLineErrors(sink.lines[0])).toEqual([]);
      expect(JSON.parse(sink.lines[0])).toEqual(JSON.parse(JSON.stringify(record)));
      expect(record?.decision).toBe(facts.decision);
      expect(record?.decision_reason).toBe(facts.reason);
    });
  }

  it("writes the same keys on every path (null when a stage did not run)", () => {
    const { sink, logger } = setup();
    for (const facts of Object.values(decisionPaths())) logger.log(facts);
    const keySets = new Set(sink.records.map((r) => Object.keys(r).filter((k) => k !== "shadow").join(",")));
    expect(keySets.size).toBe(1);
  });
});

describe("audit logger: fields", () => {
  it("maps a policy allow onto the documented fields", () => {
    const { logger } = setup();
    const r = logger.log(decisionPaths().allow_by_policy)!;
    expect(r).toMatchObject({
      time: "2026-03-01T12:00:00.000Z",
      decision_id: "00000000-0000-4000-8000-000000000001",
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
      platform: "node",
      route: "/tenants/:tenant/orders/:id",
      method: "GET",
      path: "/tenants/acme/orders/42",
      principal: { type: "User", id: "user-7f3a", iss: "https://idp.example.test" },
      action: 'Action::"read"',
      resource: 'Order::"42"',
      decision: "allow",
      decision_reason: "allowed",
      reasons: ["orders-read"],
      policy_errors: [],
      auth_error: null,
      revocation: { checked: true, cached: false, outcome: "not_revoked", ms: 0.412 },
      fail_mode_used: null,
      policy_version: "pv-enforced",
      latency_us: { total: 900, verify: 300, revocation: 412, eval: 50 },
      token: { jti: "jti-0001", iat: NOW_MS / 1000 - 60, exp: NOW_MS / 1000 + 240 },
      cache: { token_hit: false, jwks_age_s: 12, revocation_age_ms: 0 },
      client_ip: "203.0.113.0/24",
      sample_rate: 1,
    });
    expect(r).not.toHaveProperty("claims");
    expect(r).not.toHaveProperty("shadow");
  });

  it("records a token failure with its reason code and no principal or token facts", () => {
    const { logger } = setup();
    const r = logger.log(decisionPaths().deny_expired_token)!;
    expect(r.auth_error).toBe("expired");
    expect(r.decision_reason).toBe("expired");
    expect(r.principal).toBeNull();
    expect(r.token).toBeNull();
    expect(r.revocation).toBeNull();
    expect(r.latency_us).toEqual({ total: 400, verify: 380, revocation: null, eval: null });
  });

  it("records the fail mode a revocation outage used", () => {
    const { logger } = setup();
    expect(logger.log(decisionPaths().deny_revocation_unavailable_fail_closed)!.fail_mode_used).toBe("closed");
    expect(logger.log(decisionPaths().allow_revocation_unavailable_fail_open)!.fail_mode_used).toBe("open");
    const stale = logger.log({ ...decisionPaths().allow_revocation_unavailable_fail_open, failModeUsed: "stale" })!;
    expect(stale.fail_mode_used).toBe("stale");
    expect(auditLineErrors(stale)).toEqual([]);
  });

  it("records policy errors by policy id only, by default", () => {
    const { logger } = setup();
    const r = logger.log(decisionPaths().allow_with_policy_error)!;
    expect(r.policy_errors).toEqual([{ policy: "tenant-match" }]);
  });

  it("records policy error messages with policyErrorDetail: message", () => {
    const { logger } = setup({ policyErrorDetail: "message" });
    const r = logger.log(decisionPaths().allow_with_policy_error)!;
    expect(r.policy_errors).toEqual([{ policy: "tenant-match", message: "type error: expected string, got long" }]);
  });

  it("uses the pipeline's decision id when the facts carry one", () => {
    const { logger } = setup();
    const id = "5b0b7a1e-2f43-4c55-9d2e-0d5f0f7b8a11";
    expect(logger.log({ ...decisionPaths().deny_no_route, decisionId: id })!.decision_id).toBe(id);
  });

  it("makes a fresh UUID per decision by default", () => {
    const sink = memorySink();
    const logger = createAuditLogger({}, { platform: "worker", sink, clock: frozenClock(NOW_MS) });
    const a = logger.log(decisionPaths().deny_no_route)!;
    const b = logger.log(decisionPaths().deny_no_route)!;
    expect(a.decision_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.decision_id).not.toBe(b.decision_id);
  });

  it("takes the time from the injected clock", () => {
    const sink = memorySink();
    const clock = frozenClock(NOW_MS);
    const logger = createAuditLogger({}, { platform: "lambda", sink, clock });
    clock.advance(1234);
    expect(logger.log(decisionPaths().deny_no_route)!.time).toBe("2026-03-01T12:00:01.234Z");
  });

  it("drops the query string from the path by default", () => {
    const { logger } = setup();
    const facts = decisionPaths().deny_no_route;
    const r = logger.log({ ...facts, request: { ...facts.request, path: "/search?q=alice&page=2", query: "q=alice&page=2" } })!;
    expect(r.path).toBe("/search");
  });

  it("keeps the query string with includeQuery, credential values redacted", () => {
    const { logger } = setup({ includeQuery: true });
    const facts = decisionPaths().deny_no_route;
    const r = logger.log({ ...facts, request: { ...facts.request, path: "/search", query: "q=alice&access_token=abc.def.ghi&page=2" } })!;
    expect(r.path).toBe("/search?q=alice&access_token=redacted&page=2");
  });

  it("copies only allowlisted claims, when they are present", () => {
    const { logger } = setup({ claims: ["tenant", "scope"] });
    const r = logger.log(decisionPaths().allow_by_policy)!;
    expect(r.claims).toEqual({ tenant: "acme" });
    expect(auditLineErrors(r)).toEqual([]);
  });

  it("cuts values longer than maxFieldLength", () => {
    const { logger } = setup({ maxFieldLength: 16 });
    const facts = decisionPaths().deny_no_route;
    const r = logger.log({ ...facts, request: { ...facts.request, path: "/" + "a".repeat(100) } })!;
    expect(r.path).toHaveLength(16);
    expect(r.path.endsWith("…")).toBe(true);
  });

  it("takes the trace id from the facts when the adapter already has one", () => {
    const { logger } = setup();
    expect(logger.log({ ...decisionPaths().deny_no_route, traceId: "abc-123" })!.trace_id).toBe("abc-123");
  });

  it("build() makes the line without writing it", () => {
    const { sink, logger } = setup();
    const r = logger.build(decisionPaths().deny_no_route);
    expect(r.decision).toBe("deny");
    expect(sink.lines).toHaveLength(0);
  });
});

describe("audit logger: sampling", () => {
  it("skips allow lines when the random draw is at or above allowSampleRate", () => {
    const { sink, logger } = setup({ allowSampleRate: 0.25 }, () => 0.25);
    expect(logger.log(decisionPaths().allow_by_policy)).toBeUndefined();
    expect(sink.lines).toHaveLength(0);
  });

  it("keeps a sampled allow line and records its sample rate", () => {
    const { sink, logger } = setup({ allowSampleRate: 0.25 }, () => 0.1);
    expect(logger.log(decisionPaths().allow_by_policy)!.sample_rate).toBe(0.25);
    expect(sink.lines).toHaveLength(1);
  });

  it("never samples deny lines, even at rate 0", () => {
    const { sink, logger } = setup({ allowSampleRate: 0 }, () => 0.99);
    const denies = Object.values(decisionPaths()).filter((f) => f.decision === "deny");
    for (const facts of denies) logger.log(facts);
    expect(sink.records).toHaveLength(denies.length);
    expect(sink.records.every((r) => r.sample_rate === 1)).toBe(true);
  });

  it("never samples allow lines with policy errors", () => {
    const { sink, logger } = setup({ allowSampleRate: 0 }, () => 0.99);
    logger.log(decisionPaths().allow_with_policy_error);
    expect(sink.records).toHaveLength(1);
  });

  it("never samples shadow disagreements, but does sample agreements", () => {
    const { sink, logger } = setup({ allowSampleRate: 0 }, () => 0.99);
    logger.log(decisionPaths().allow_shadow_agrees);
    logger.log(decisionPaths().allow_shadow_disagrees);
    expect(sink.records.map((r) => r.shadow?.agrees)).toEqual([false]);
  });

  it("writes every allow line at the default rate of 1", () => {
    const { sink, logger } = setup({}, () => 0.999999);
    for (let i = 0; i < 10; i++) logger.log(decisionPaths().allow_by_policy);
    expect(sink.lines).toHaveLength(10);
  });
});

describe("audit logger: shadow mode", () => {
  it("marks an agreeing candidate", () => {
    const { logger } = setup();
    expect(logger.log(decisionPaths().allow_shadow_agrees)!.shadow).toEqual({
      decision: "allow",
      reasons: ["orders-read-v2"],
      errors: [],
      agrees: true,
      policy_version: "pv-candidate",
    });
  });

  it("marks a disagreeing candidate while the enforced set still decides", () => {
    const { logger } = setup();
    const r = logger.log(decisionPaths().allow_shadow_disagrees)!;
    expect(r.decision).toBe("allow");
    expect(r.reasons).toEqual(["orders-read"]);
    expect(r.shadow).toEqual({ decision: "deny", reasons: [], errors: [{ policy: "orders-read-v2" }], agrees: false, policy_version: "pv-candidate" });
  });
});

describe("audit logger: failing sinks never change a decision", () => {
  it("swallows a sink whose write throws and counts the loss", () => {
    const broken: AuditSink = {
      write() {
        throw new Error("disk full");
      },
      flush: () => Promise.reject(new Error("still broken")),
    };
    const logger = createAuditLogger({}, { platform: "node", sink: broken, clock: frozenClock(NOW_MS) });
    expect(() => logger.log(decisionPaths().deny_no_route)).not.toThrow();
    expect(logger.failures).toBe(1);
  });

  it("flush() resolves even when the sink's flush rejects or throws", async () => {
    const rejecting: AuditSink = { write() {}, flush: () => Promise.reject(new Error("x")) };
    const throwing: AuditSink = {
      write() {},
      flush() {
        throw new Error("y");
      },
    };
    for (const sink of [rejecting, throwing]) {
      await expect(createAuditLogger({}, { platform: "node", sink }).flush()).resolves.toBeUndefined();
    }
  });

  it("reports lines the sink dropped in the next line it writes", () => {
    const written: AuditRecord[] = [];
    let dropped = 0;
    const sink: AuditSink = {
      write: (r) => void written.push(r),
      flush: () => Promise.resolve(),
      get dropped() {
        return dropped;
      },
    };
    const logger = createAuditLogger({}, { platform: "node", sink, clock: frozenClock(NOW_MS) });
    logger.log(decisionPaths().deny_no_route);
    dropped = 3;
    logger.log(decisionPaths().deny_no_route);
    logger.log(decisionPaths().deny_no_route);
    expect(written.map((r) => r.audit_dropped)).toEqual([undefined, 3, undefined]);
    expect(auditLineErrors(written[1])).toEqual([]);
  });

  it("does not crash on facts with unexpected types", () => {
    const { sink, logger } = setup();
    const hostile = {
      decision: "allow",
      reason: "Not A Code!",
      authError: 42,
      request: { method: 7, path: null, clientIp: { x: 1 } },
      claims: { jti: { nested: true }, iat: "yesterday", exp: Number.NaN, iss: ["a"] },
      principal: { type: "User", id: 9 },
      revocation: { checked: "yes", cached: 1, outcome: "Bad Outcome", ms: -5 },
      timingsMs: { total: Number.POSITIVE_INFINITY, verify: -1 },
    } as unknown as DecisionFacts;
    const r = logger.log(hostile)!;
    expect(auditLineErrors(sink.lines[0])).toEqual([]);
    expect(r).toMatchObject({ decision_reason: "unknown", auth_error: "unknown", method: "", path: "", client_ip: null });
    expect(r.token).toEqual({ jti: null, iat: null, exp: null });
  });
});

describe("audit logger: configuration is read once", () => {
  it("leaves the caller's config object alone", () => {
    const config = { claims: ["tenant", "tenant"], allowSampleRate: 0.5 };
    const before = JSON.stringify(config);
    setup(config);
    expect(JSON.stringify(config)).toBe(before);
  });

  it("defaults to stdout when no sink is given", () => {
    const logger = createAuditLogger(undefined, { platform: "node" });
    expect(typeof logger.sink.write).toBe("function");
  });

  it("copies claim values by reference without serialising the whole payload", () => {
    const { logger } = setup({ claims: ["tenant"] });
    const claims = sampleClaims({ tenant: { id: "acme", tier: "gold" } });
    const r = logger.log({ ...decisionPaths(claims).allow_by_policy })!;
    expect(r.claims!.tenant).toBe(claims.tenant);
  });
});
