// Shadow mode (issue #7): a candidate policy set is evaluated beside the enforced one on the same
// request; only the enforced set decides, and the audit line records where the two disagree.
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../shared/errors.ts";
import type { Decision } from "../../../shared/pipeline/index.ts";
import type { CedarRequest, CompiledPolicySet, EntityJson } from "../../../shared/policy/index.ts";
import { compilePolicies, loadPolicyModule } from "../../../tools/compiler/index.ts";
import { auditLineErrors, candidatePolicies } from "../../harness/index.ts";
import { admin, input, setup, viewer } from "./fixtures.ts";

type Env = Awaited<ReturnType<typeof setup>>;

/** Runs one request; checks it wrote exactly one line, valid against the schema; returns both. */
async function decide(env: Env, method: string, path: string, token?: string, platform: "worker" | "lambda" | "node" = "worker") {
  const before = env.sink.records.length;
  const decision = await env.authorize({ ...input(method, path, token), platform });
  expect(env.sink.records.length).toBe(before + 1);
  expect(auditLineErrors(env.sink.lines[before])).toEqual([]);
  return { decision, line: env.sink.records[before] };
}

/** The decision without its per-request id, to compare two pipelines' answers. */
const withoutId = ({ decisionId: _id, context, identityHeaders, ...rest }: Decision) => ({
  ...rest,
  context: { ...context, decisionId: "" },
  identityHeaders: identityHeaders === undefined ? undefined : { ...identityHeaders, "x-gatehouse-decision-id": "" },
});

/** A real policy set wrapped to record what it was asked; its answers are the real ones. */
function recording(set: CompiledPolicySet) {
  const calls: { request: CedarRequest; entities: readonly EntityJson[] | undefined }[] = [];
  const wrapped: CompiledPolicySet = { ...set, evaluate: (request, entities) => (calls.push({ request, entities }), set.evaluate(request, entities)), candidates: set.candidates, version: set.version };
  return { set: wrapped, calls };
}

let permissive: Promise<CompiledPolicySet> | undefined;
/** A candidate that permits everything: the worst candidate someone could ship. */
const permitAll = () => (permissive ??= loadPolicyModule(compilePolicies({ policies: '@id("permit-all")\npermit (principal, action, resource);' }).source));

describe("shadow mode: the candidate disagrees on one route", () => {
  it("marks the disagreement in the audit line and still allows as the enforced set decides", async () => {
    const candidate = await candidatePolicies();
    const env = await setup({}, { shadowPolicies: candidate });
    const { decision, line } = await decide(env, "GET", "/tenants/acme/orders/o-17", await env.token(viewer));
    expect(decision).toMatchObject({ allow: true, status: 200, reason: "allowed", policies: ["viewers-read-orders"] });
    expect(line).toMatchObject({ decision: "allow", decision_reason: "allowed", route: "GET /tenants/:tenant/orders/:id", reasons: ["viewers-read-orders"], policy_version: env.policies.version });
    expect(line.shadow).toEqual({ decision: "deny", reasons: [], errors: [], agrees: false, policy_version: candidate.version });
  });

  it("marks agreement on the routes where the candidate answers the same", async () => {
    const env = await setup({}, { shadowPolicies: await candidatePolicies() });
    const { decision, line } = await decide(env, "GET", "/tenants/acme/orders", await env.token(viewer));
    expect(decision).toMatchObject({ allow: true, reason: "allowed" });
    expect(line.shadow).toMatchObject({ decision: "allow", reasons: ["viewers-read-orders"], agrees: true });
    const denied = await decide(env, "GET", "/tenants/globex/orders/o-1", await env.token(viewer));
    expect(denied.decision).toMatchObject({ allow: false, status: 403, reason: "policy_denied" });
    expect(denied.line.shadow).toMatchObject({ decision: "deny", reasons: ["forbid-cross-tenant"], agrees: true });
  });

  it("answers every request exactly as the same pipeline without a candidate", async () => {
    const plain = await setup();
    const shadowed = await setup({}, { shadowPolicies: await candidatePolicies() });
    const requests: [string, string, Record<string, unknown> | undefined][] = [
      ["GET", "/tenants/acme/orders/o-17", viewer], ["GET", "/tenants/acme/orders", viewer], ["DELETE", "/tenants/acme/orders/o-17", admin],
      ["DELETE", "/tenants/acme/orders/o-17", viewer], ["GET", "/admin/audit", admin], ["GET", "/health", undefined], ["GET", "/nowhere", viewer],
    ];
    for (const [method, path, claims] of requests) {
      const a = await plain.authorize(input(method, path, claims && (await plain.token(claims))));
      const b = await shadowed.authorize(input(method, path, claims && (await shadowed.token(claims))));
      expect({ request: `${method} ${path}`, decision: withoutId(b) }).toEqual({ request: `${method} ${path}`, decision: withoutId(a) });
    }
  });

  it("evaluates the candidate on the very request and entities the enforced set got, once, after it", async () => {
    const enforced = recording(await (await setup()).policies);
    const candidate = recording(await candidatePolicies());
    const env = await setup({}, { policies: enforced.set, shadowPolicies: candidate.set });
    await decide(env, "GET", "/tenants/acme/orders/o-17", await env.token(viewer));
    expect(enforced.calls).toHaveLength(1);
    expect(candidate.calls).toHaveLength(1);
    expect(candidate.calls[0].request).toBe(enforced.calls[0].request);
    expect(candidate.calls[0].entities).toBe(enforced.calls[0].entities);
  });

  it("carries the candidate's version on every platform's line", async () => {
    const candidate = await candidatePolicies();
    const env = await setup({}, { shadowPolicies: candidate });
    expect(env.authorize.shadowPolicyVersion).toBe(candidate.version);
    for (const platform of ["worker", "lambda", "node"] as const) {
      const { line } = await decide(env, "GET", "/tenants/acme/orders/o-17", await env.token(viewer), platform);
      expect(line).toMatchObject({ platform, shadow: { agrees: false, policy_version: candidate.version } });
    }
  });

  it("keeps a disagreeing allow line when allow lines are sampled away (it is the evidence)", async () => {
    const env = await setup({ audit: { allowSampleRate: 0 } }, { shadowPolicies: await candidatePolicies() });
    await env.authorize(input("GET", "/tenants/acme/orders", await env.token(viewer)));
    expect(env.sink.records).toHaveLength(0);
    const { line } = await decide(env, "GET", "/tenants/acme/orders/o-17", await env.token(viewer));
    expect(line).toMatchObject({ decision: "allow", sample_rate: 1, shadow: { agrees: false } });
  });
});

describe("shadow mode: requests that never reach the policies", () => {
  it.each([
    ["a public route", "GET", "/health", undefined, "public_route"],
    ["a missing token", "GET", "/tenants/acme/orders/o-17", undefined, "missing_token"],
    ["an unmatched route", "GET", "/nowhere", viewer, "no_route"],
  ] as const)("%s: no shadow field, and the candidate is not evaluated", async (_title, method, path, claims, reason) => {
    const candidate = recording(await candidatePolicies());
    const env = await setup({}, { shadowPolicies: candidate.set });
    const { decision, line } = await decide(env, method, path, claims && (await env.token(claims)));
    expect(decision.reason).toBe(reason);
    expect(line.shadow).toBeUndefined();
    expect(candidate.calls).toHaveLength(0);
  });

  it("a revoked token: no shadow field, the candidate is not evaluated", async () => {
    const { createMemoryStore, revoke } = await import("../../../shared/revocation/index.ts");
    const candidate = recording(await candidatePolicies());
    const store = createMemoryStore();
    const env = await setup({}, { shadowPolicies: candidate.set, revocationStore: store });
    const token = await env.token(viewer);
    await revoke(store, { iss: "https://dev.gatehouse.local", sub: "vera" }, { clock: env.clock });
    const { decision, line } = await decide(env, "GET", "/tenants/acme/orders/o-17", token);
    expect(decision).toMatchObject({ allow: false, reason: "revoked" });
    expect(line.shadow).toBeUndefined();
    expect(candidate.calls).toHaveLength(0);
  });
});

describe("shadow mode: off", () => {
  it.each([["absent", undefined], ["null", null]] as const)("shadowPolicies %s: no shadow field, no version", async (_title, shadowPolicies) => {
    const env = await setup({}, shadowPolicies === undefined ? {} : { shadowPolicies });
    const { line } = await decide(env, "GET", "/tenants/acme/orders/o-17", await env.token(viewer));
    expect(line.shadow).toBeUndefined();
    expect(env.authorize.shadowPolicyVersion).toBeNull();
  });
});

describe("shadow mode: configuration", () => {
  it.each([
    ["an object without evaluate", {}],
    ["a string", "dist/policies.shadow.js"],
    ["evaluate that is not a function", { evaluate: true }],
  ])("refuses %s with a ConfigError naming shadowPolicies", async (_title, value) => {
    const error = await setup({}, { shadowPolicies: value as unknown as CompiledPolicySet }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe("shadowPolicies");
    expect((error as ConfigError).message).toMatch(/^shadowPolicies: expected a compiled candidate policy module/);
  });
});

describe("shadow mode: security", () => {
  it("a candidate that permits everything never lets a denied request in", async () => {
    const env = await setup({}, { shadowPolicies: await permitAll() });
    for (const [method, path] of [["DELETE", "/tenants/acme/orders/o-17"], ["GET", "/admin/audit"], ["GET", "/tenants/globex/orders/o-1"]] as const) {
      const { decision, line } = await decide(env, method, path, await env.token(viewer));
      expect({ path, allow: decision.allow, status: decision.status, reason: decision.reason }).toEqual({ path, allow: false, status: 403, reason: "policy_denied" });
      expect(decision.identityHeaders).toBeUndefined();
      expect(line).toMatchObject({ decision: "deny", shadow: { decision: "allow", reasons: ["permit-all"], agrees: false } });
    }
  });

  it("a candidate that throws changes nothing: the decision stands and the line records a candidate error", async () => {
    const real = await candidatePolicies();
    const throwing: CompiledPolicySet = { ...real, evaluate: () => { throw new Error("candidate blew up on `x`"); } };
    const env = await setup({ audit: { policyErrorDetail: "message" } }, { shadowPolicies: throwing });
    const { decision, line } = await decide(env, "GET", "/tenants/acme/orders/o-17", await env.token(viewer));
    expect(decision).toMatchObject({ allow: true, status: 200, reason: "allowed" });
    expect(line).toMatchObject({ decision: "allow", policy_errors: [] });
    expect(line.shadow).toEqual({ decision: "deny", reasons: [], errors: [{ policy: "", message: "candidate policy set failed: candidate blew up on `x`" }], agrees: false, policy_version: real.version });
  });

  it("a throwing candidate cannot turn a deny into anything but the enforced deny", async () => {
    const throwing: CompiledPolicySet = { ...(await permitAll()), evaluate: () => { throw new TypeError("boom"); } };
    const env = await setup({}, { shadowPolicies: throwing });
    const { decision, line } = await decide(env, "DELETE", "/tenants/acme/orders/o-17", await env.token(viewer));
    expect(decision).toMatchObject({ allow: false, status: 403, reason: "policy_denied" });
    // the message is left out unless `policyErrorDetail: "message"`: it could quote request values
    expect(line.shadow).toMatchObject({ decision: "deny", errors: [{ policy: "" }], agrees: true });
    expect(line.shadow!.errors[0]).not.toHaveProperty("message");
  });

  it("the line never carries the token, with or without a candidate", async () => {
    const env = await setup({}, { shadowPolicies: await candidatePolicies() });
    const token = await env.token(viewer);
    await decide(env, "GET", "/tenants/acme/orders/o-17", token);
    expect(env.sink.lines[0]).not.toContain(token.split(".")[2]);
  });
});
