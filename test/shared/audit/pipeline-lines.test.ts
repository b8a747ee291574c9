// The audit lines the real pipeline writes (example policies, real ES256 tokens): one valid line per
// decision on every path, and never the token or a claim that is not allowlisted.
import { describe, expect, it } from "vitest";
import { frozenClock } from "../../../shared/clock/index.ts";
import { createMemoryStore, createUpstashStore, revoke } from "../../../shared/revocation/index.ts";
import { auditLineErrors, freePort } from "../../harness/index.ts";
import { ISSUER, NOW_MS, input, setup, viewer } from "../pipeline/fixtures.ts";

const SECRET = { email: "vera.private@example.test", phone_number: "+44 20 7946 0000" };

type Env = Awaited<ReturnType<typeof setup>>;

async function decideAll(env: Env, requests: Array<{ name: string; method: string; path: string; token?: string }>) {
  const out: Array<{ name: string; line: string; reason: string }> = [];
  for (const r of requests) {
    const before = env.sink.lines.length;
    const decision = await env.authorize(input(r.method, r.path, r.token));
    expect(env.sink.lines.length, r.name).toBe(before + 1);
    out.push({ name: r.name, line: env.sink.lines[before], reason: decision.reason });
  }
  return out;
}

describe("pipeline audit lines: every path", () => {
  it("writes one schema-valid line per decision, with the decision's reason, and never the token", async () => {
    const env = await setup({ audit: { claims: ["tenant"] } });
    const good = await env.token({ ...viewer, ...SECRET });
    const expired = await env.token({ ...viewer, ...SECRET }, { now: NOW_MS / 1000 - 3600 });
    const wrongAudience = await env.token({ ...viewer, ...SECRET }, { audience: "someone-else" });
    const tokens = [good, expired, wrongAudience];
    const results = await decideAll(env, [
      { name: "allow", method: "GET", path: "/tenants/acme/orders/o-17", token: good },
      { name: "policy deny", method: "DELETE", path: "/tenants/acme/orders/o-17", token: good },
      { name: "public route", method: "GET", path: "/health" },
      { name: "no route", method: "GET", path: "/nowhere", token: good },
      { name: "missing token", method: "GET", path: "/tenants/acme/orders" },
      { name: "expired token", method: "GET", path: "/tenants/acme/orders", token: expired },
      { name: "wrong audience", method: "GET", path: "/tenants/acme/orders", token: wrongAudience },
      { name: "path traversal", method: "GET", path: "/tenants/acme/orders/../../admin/audit", token: good },
      { name: "garbage token", method: "GET", path: "/tenants/acme/orders", token: "not.a.jwt" },
    ]);
    const reasons = new Set(results.map((r) => r.reason));
    expect(reasons.size).toBeGreaterThanOrEqual(7);
    const output = results.map((r) => r.line).join("\n");
    for (const r of results) expect(auditLineErrors(r.line), `${r.name}: ${r.line}`).toEqual([]);
    for (const t of tokens) for (const piece of [t, ...t.split(".")]) expect(output).not.toContain(piece);
    for (const value of Object.values(SECRET)) expect(output).not.toContain(value);
    expect(output).toContain('"claims":{"tenant":"acme"}');
  });

  it("writes valid lines for revocation outcomes: revoked, and a store that is down (fail closed)", async () => {
    const clock = frozenClock(NOW_MS);
    const store = createMemoryStore();
    const env = await setup({}, { revocationStore: store, clock });
    const token = await env.token({ ...viewer, sub: "mallory" });
    await revoke(store, { iss: ISSUER, sub: "mallory" }, { clock });
    env.clock.advance(1000);
    clock.advance(1000);
    const [revoked] = await decideAll(env, [{ name: "revoked", method: "GET", path: "/tenants/acme/orders", token }]);
    expect(auditLineErrors(revoked.line)).toEqual([]);
    expect(JSON.parse(revoked.line)).toMatchObject({ decision: "deny", decision_reason: "revoked", revocation: { checked: true, outcome: "revoked" } });

    const port = await freePort();
    const down = await setup({ revocation: { store: { kind: "upstash" }, deadlineMs: 300 } }, { revocationStore: createUpstashStore({ url: `http://127.0.0.1:${port}`, token: "t" }) });
    const [closed] = await decideAll(down, [{ name: "store down", method: "GET", path: "/tenants/acme/orders", token: await down.token(viewer) }]);
    expect(auditLineErrors(closed.line)).toEqual([]);
    expect(JSON.parse(closed.line)).toMatchObject({ decision: "deny", decision_reason: "revocation_unavailable", fail_mode_used: "closed" });
  });
});
