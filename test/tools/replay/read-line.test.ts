// Reading audit lines for replay (issue #18): each line is a case, or says why it is not one.
import { describe, expect, it } from "vitest";
import { readAuditLine } from "../../../tools/replay/index.ts";

const replay = {
  principal: { uid: { type: "User", id: "vera" }, attrs: { tenant: "acme" }, parents: [{ type: "Role", id: "viewer" }] },
  context: { scopes: ["orders:read"], amr: [], time: { __extn: { fn: "datetime", arg: "2026-11-22T10:00:00.000Z" } } },
  omitted: [],
};
const base = {
  time: "2026-11-22T10:00:00.001Z", decision_id: "d-1", platform: "worker", route: "GET /tenants/:tenant/orders", method: "GET", path: "/tenants/acme/orders",
  action: 'Action::"ListOrders"', decision: "allow", decision_reason: "allowed", reasons: ["viewers-read-orders"], replay,
};
const read = (value: unknown) => readAuditLine(typeof value === "string" ? value : JSON.stringify(value), 7);

describe("readAuditLine", () => {
  it("reads a line with replay facts as a case, its decision time from the context", () => {
    expect(read(base)).toMatchObject({ kind: "case", line: 7, decisionId: "d-1", decision: "allow", principalText: 'User::"vera"', nowMs: Date.UTC(2026, 10, 22, 10), reasons: ["viewers-read-orders"] });
  });

  it("a decision made before the policies is no policy decision, by its reason", () => {
    expect(read({ ...base, action: null, replay: undefined, decision: "deny", decision_reason: "expired" })).toEqual({ kind: "not_policy", line: 7, reason: "expired" });
  });

  it("says why a policy decision cannot be replayed", () => {
    const without = { ...base } as Record<string, unknown>;
    delete without.replay;
    expect(read(without)).toMatchObject({ kind: "unreplayable", reason: "no_replay_facts", decisionId: "d-1" });
    expect(read({ ...base, replay: { ...replay, omitted: ["ip"] } })).toMatchObject({ reason: "ip_withheld" });
    expect(read({ ...base, replay: { principal: null, context: null, omitted: ["too_large"] } })).toMatchObject({ reason: "too_large" });
    expect(read({ ...base, path: "/tenants/acme/orders/aaaaaaaa…" })).toMatchObject({ reason: "path_cut" });
    expect(read({ ...base, replay: { ...replay, principal: { uid: "User::vera" } } })).toMatchObject({ reason: "bad_replay_facts" });
    expect(read({ ...base, replay: { ...replay, context: { time: "yesterday" } } })).toMatchObject({ reason: "bad_replay_facts" });
  });

  it("anything else is malformed, never a crash", () => {
    for (const text of ["not json", "[]", "null", '{"decision":"maybe","decision_id":"x"}', '{"decision":"allow"}', JSON.stringify({ event: "rollback" })]) {
      expect(read(text)).toEqual({ kind: "malformed", line: 7 });
    }
  });
});
