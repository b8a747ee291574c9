// Regression for #21 (defect 7): the audit line tells the truth about degraded revocation answers —
// `fail_mode_used: "stale"` with the age of the answer served, `revocation_age_ms` on cache hits, and
// `revocation.store_error` saying why the store gave no answer.
import { describe, expect, it } from "vitest";
import { frozenClock } from "../../../shared/clock/index.ts";
import { createMemoryStore } from "../../../shared/revocation/index.ts";
import { auditLineErrors } from "../../harness/index.ts";
import { withFaults } from "../revocation/_faulty-store.ts";
import { NOW_MS, input, setup, viewer } from "./fixtures.ts";

const PATH = "/tenants/acme/orders/o-17";

async function degraded(failMode: "stale" | "closed" = "stale") {
  const clock = frozenClock(NOW_MS);
  const faulty = withFaults(createMemoryStore());
  const env = await setup(
    { failMode, revocation: { store: { kind: "memory" }, ttlMs: 1000, maxStaleMs: 60_000, deadlineMs: 20, breaker: { failureThreshold: 3, cooldownMs: 5000 } } },
    { revocationStore: faulty.store, clock },
  );
  const token = await env.token(viewer);
  const decide = async () => {
    const decision = await env.authorize(input("GET", PATH, token));
    const line = env.sink.records.at(-1)!;
    expect(auditLineErrors(line)).toEqual([]);
    expect(line.decision_id).toBe(decision.decisionId);
    return { decision, line };
  };
  return { ...env, clock, state: faulty.state, decide };
}

describe("audit facts of the revocation stage (#21)", () => {
  it("a fresh store reply: age 0, no store error, no fail mode", async () => {
    const { decide } = await degraded();
    const { line } = await decide();
    expect(line).toMatchObject({ decision: "allow", fail_mode_used: null, revocation: { cached: false, outcome: "not_revoked", store_error: null }, cache: { revocation_age_ms: 0 } });
  });

  it("a cache hit carries the age of the cached answer", async () => {
    const { decide, clock } = await degraded();
    await decide();
    clock.advance(400);
    const { line } = await decide();
    expect(line).toMatchObject({ fail_mode_used: null, revocation: { cached: true, store_error: null }, cache: { revocation_age_ms: 400 } });
  });

  it("a stale answer served while the store is down says `stale`, its age, and `connection`", async () => {
    const { decide, clock, state } = await degraded();
    await decide();
    clock.advance(1500);
    state.fault = "reject";
    const { decision, line } = await decide();
    expect(decision.allow).toBe(true);
    expect(line).toMatchObject({ decision: "allow", fail_mode_used: "stale", revocation: { cached: true, outcome: "not_revoked", store_error: "connection" }, cache: { revocation_age_ms: 1500 } });
  });

  it.each([
    ["garbage", "bad_reply"],
    ["hang", "timeout"],
    ["throw", "connection"],
  ] as const)("a store that does `%s` is recorded as `%s`", async (fault, storeError) => {
    const { decide, clock, state } = await degraded();
    await decide();
    clock.advance(2000);
    state.fault = fault;
    const { line } = await decide();
    expect(line).toMatchObject({ fail_mode_used: "stale", revocation: { store_error: storeError }, cache: { revocation_age_ms: 2000 } });
  });

  it("an open breaker is recorded as `breaker_open`", async () => {
    const { decide, clock, state } = await degraded();
    await decide();
    clock.advance(1500);
    state.fault = "reject";
    for (let i = 0; i < 3; i++) await decide();
    const calls = state.calls.length;
    const { line } = await decide();
    expect(state.calls.length).toBe(calls);
    expect(line).toMatchObject({ fail_mode_used: "stale", revocation: { store_error: "breaker_open" } });
  });

  it("fail mode `closed` on a down store: 503, `closed`, the store error, no age", async () => {
    const { decide, state } = await degraded("closed");
    state.fault = "reject";
    const { decision, line } = await decide();
    expect(decision).toMatchObject({ allow: false, status: 503, reason: "revocation_unavailable" });
    expect(line).toMatchObject({ fail_mode_used: "closed", revocation: { outcome: "store_error", store_error: "connection" }, cache: { revocation_age_ms: null } });
  });
});
