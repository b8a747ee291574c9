// Issue #22: `buildContext(..., parsed = true)` hands the policy runtime its own `ip` and `time`
// values instead of JSON text to parse again; the decisions must be the same either way.
import { describe, expect, it } from "vitest";
import { buildContext } from "../../../shared/pipeline/index.ts";
import { ownsPolicySet } from "../../../shared/policy/index.ts";
import { compilePolicies, loadPolicyModule } from "../../../tools/compiler/index.ts";
import { headers } from "./fixtures.ts";

const POLICIES = `
@id("office") permit (principal, action, resource) when { context has ip && context.ip.isInRange(ip("203.0.113.0/24")) };
@id("loopback") permit (principal, action, resource) when { context has ip && context.ip.isLoopback() };
@id("after-hours") forbid (principal, action, resource) when { context.time.toTime() > duration("18h") };
@id("v6") permit (principal, action, resource) when { context has ip && context.ip.isIpv6() && context.time > datetime("2026-01-01") };
`;

describe("buildContext: parsed values decide like their JSON text", () => {
  it("for addresses and times on both sides of every condition", async () => {
    const set = await loadPolicyModule(compilePolicies({ policies: [{ file: "p.cedar", text: POLICIES }] }).source);
    expect(ownsPolicySet(set)).toBe(true);
    const addresses = ["203.0.113.9", "198.51.100.1", "127.0.0.1", "::1", "2001:db8::1", "not-an-ip", "10.0.0.1/8", undefined];
    const times = [Date.UTC(2025, 5, 1, 9), Date.UTC(2026, 5, 1, 19, 30), Date.UTC(2026, 5, 1, 17, 59, 59, 999), 0];
    let decisions = 0;
    for (const clientIp of addresses) {
      for (const now of times) {
        const input = { platform: "node" as const, method: "GET", path: "/", headers: headers(), ...(clientIp === undefined ? {} : { clientIp }) };
        const request = { principal: { type: "User", id: "u" }, action: { type: "Action", id: "read" }, resource: { type: "Doc", id: "d" } };
        const json = set.evaluate({ ...request, context: buildContext({ scopes: [] }, input, now, []) });
        const parsed = set.evaluate({ ...request, context: buildContext({ scopes: [] }, input, now, [], true) });
        expect(parsed, `${clientIp} ${new Date(now).toISOString()}`).toEqual(json);
        if (json.decision === "allow") decisions++;
      }
    }
    // the cases cover both answers
    expect(decisions).toBeGreaterThan(0);
    expect(decisions).toBeLessThan(addresses.length * times.length);
  });
});
