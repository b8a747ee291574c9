// The production order, end to end with real parts: a real signed token, the real verifier, a real
// memory revocation store and the compiled example policies. Each stage's refusal ends the request
// with its reason, and no later stage runs.
import { beforeAll, describe, expect, it } from "vitest";
import { createAuditLogger, memorySink } from "../../../shared/audit/index.ts";
import { frozenClock } from "../../../shared/clock/index.ts";
import { createAuthorizer, createDecide, isPromise, pipelineStages, type AuthorizeInput, type NamedStage, type PipelineParts } from "../../../shared/pipeline/index.ts";
import type { CompiledPolicySet } from "../../../shared/policy/index.ts";
import { createMemoryStore, createRevocationChecker, revoke } from "../../../shared/revocation/index.ts";
import { compileRoutes, DEFAULT_PATH_LIMITS } from "../../../shared/routes/index.ts";
import { createTokenVerifier, validateTokenConfig, type VerifyOutcome } from "../../../shared/token/index.ts";
import { createSenderCheck } from "../../../shared/token/bind.ts";
import { auditLineErrors, createTestKey, mintToken, type TestKey } from "../../harness/index.ts";
import { AUDIENCE, ISSUER, NOW_MS, baseConfig, examplePolicies, exampleRoutes, input, viewer } from "./fixtures.ts";

const ORDER = ["path", "route", "credential", "token", "binding", "principal", "unmatched", "revocation", "request", "entities", "policies", "decision"];

let key: TestKey;
let policies: CompiledPolicySet;
beforeAll(async () => {
  key = await createTestKey("ES256");
  policies = await examplePolicies();
}, 60_000);

function parts(overrides: Partial<PipelineParts> = {}) {
  const clock = frozenClock(NOW_MS);
  const store = createMemoryStore();
  const base: PipelineParts = {
    routes: compileRoutes(exampleRoutes),
    paths: DEFAULT_PATH_LIMITS,
    credential: { cookie: null, queryParam: null, maxTokenBytes: 8192 },
    verifier: createTokenVerifier({ issuers: [{ issuer: ISSUER, audience: AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } }] }, { clock }),
    sender: createSenderCheck(validateTokenConfig({ issuers: [{ issuer: ISSUER, audience: AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } }] }), { clock, store: null }),
    checker: createRevocationChecker({ store: { kind: "memory" } }, { store, clock }),
    failModes: new Map(),
    contextHeaders: [],
    policies,
    forbidIds: null,
    shadowPolicies: null,
    clock,
  };
  return { parts: { ...base, ...overrides }, store, clock };
}

/** The production stages, each recording that it ran. */
function tracedDecide(p: PipelineParts) {
  const ran: string[] = [];
  const sink = memorySink();
  const logger = createAuditLogger(undefined, { platform: "worker", clock: p.clock, sink });
  const stages: NamedStage[] = pipelineStages(p).map((stage) => ({ name: stage.name, run: (state) => (ran.push(stage.name), stage.run(state)) }));
  const decide = createDecide(stages, { audit: { worker: logger, lambda: logger, node: logger }, randomUUID: () => crypto.randomUUID() });
  return { ran, sink, decide: async (request: AuthorizeInput) => (await decide(request)).decision! };
}

const token = (claims: Record<string, unknown>, now = NOW_MS / 1000) => mintToken(key, claims, { issuer: ISSUER, audience: AUDIENCE, now, ttlSeconds: 300 });

describe("pipeline: the order", () => {
  it("is path → route → credential → token → binding → principal → unmatched → revocation → request → entities → policies → decision", () => {
    expect(pipelineStages(parts().parts).map((stage) => stage.name)).toEqual(ORDER);
  });

  it("runs every stage, in that order, for an allowed request", async () => {
    const traced = tracedDecide(parts().parts);
    expect(await traced.decide(input("GET", "/tenants/acme/orders/o-17", await token(viewer)))).toMatchObject({ allow: true, reason: "allowed" });
    expect(traced.ran).toEqual(ORDER);
  });

  it("swaps a stage by name and keeps the order", () => {
    const swapped = pipelineStages(parts().parts, { revocation: () => undefined });
    expect(swapped.map((stage) => stage.name)).toEqual(ORDER);
  });
});

describe("pipeline: each stage's refusal ends the request with its reason", () => {
  const cases: [string, string, () => Promise<AuthorizeInput>, number, string, Record<string, unknown>?][] = [
    ["path", "path_traversal", async () => input("GET", "/tenants/%2e%2e/orders"), 403, "path_traversal", { stage: "path", segment: 1 }],
    ["route", "public_route", async () => input("GET", "/health"), 200, "public_route"],
    ["credential", "missing_token", async () => input("GET", "/tenants/acme/orders"), 401, "missing_token", { stage: "credential", field: "authorization" }],
    ["token", "expired", async () => input("GET", "/tenants/acme/orders", await token(viewer, NOW_MS / 1000 - 3600)), 401, "expired", { stage: "token", field: "exp" }],
    // The DPoP scheme with a token that is not DPoP-bound
    ["binding", "dpop_unbound_token", async () => input("GET", "/tenants/acme/orders", undefined, { headers: new Headers({ authorization: `DPoP ${await token(viewer)}` }) }), 401, "dpop_unbound_token", { stage: "binding", field: "cnf" }],
    ["principal", "claim_type", async () => input("GET", "/tenants/acme/orders", await token({ ...viewer, groups: "viewer" })), 401, "claim_type", { stage: "principal", claim: "groups" }],
    ["unmatched", "no_route", async () => input("GET", "/nowhere", await token(viewer)), 403, "no_route"],
    ["decision", "policy_denied", async () => input("GET", "/tenants/globex/orders/o-1", await token(viewer)), 403, "policy_denied"],
  ];
  for (const [stage, title, request, status, reason, detail] of cases) {
    it(`${stage}: ${status} ${title}, no later stage runs, one audit line with the detail`, async () => {
      const traced = tracedDecide(parts().parts);
      const decision = await traced.decide(await request());
      expect(decision).toMatchObject({ status, reason });
      expect(traced.ran).toEqual(ORDER.slice(0, ORDER.indexOf(stage) + 1));
      expect(traced.sink.records).toHaveLength(1);
      expect(traced.sink.records[0]).toMatchObject({ decision_reason: reason, detail: detail ?? null });
      expect(auditLineErrors(traced.sink.records[0])).toEqual([]);
    });
  }

  it("revocation: 401 revoked, no later stage runs", async () => {
    const { parts: p, store, clock } = parts();
    await revoke(store, { iss: ISSUER, sub: "vera" }, { clock });
    const traced = tracedDecide(p);
    expect(await traced.decide(input("GET", "/tenants/acme/orders", await token(viewer)))).toMatchObject({ status: 401, reason: "revoked" });
    expect(traced.ran).toEqual(ORDER.slice(0, ORDER.indexOf("revocation") + 1));
    expect(traced.sink.records[0].detail).toEqual({ stage: "revocation", revoked_by: "sub" });
  });

  it("decision: 403 forbid_error under onForbidError deny, naming the forbid", async () => {
    const erroring: CompiledPolicySet = { ...policies, evaluate: (request, entities) => ({ ...policies.evaluate(request, entities), errors: [{ policy: "forbid-cross-tenant", message: "boom" }] }) };
    const traced = tracedDecide(parts({ policies: erroring, forbidIds: new Set(["forbid-cross-tenant"]) }).parts);
    expect(await traced.decide(input("GET", "/tenants/acme/orders/o-17", await token(viewer)))).toMatchObject({ status: 403, reason: "forbid_error" });
    expect(traced.sink.records[0].detail).toEqual({ stage: "decision", policies: ["forbid-cross-tenant"] });
  });
});

describe("pipeline: never throws", () => {
  it("turns a throwing stage into a fail-closed 503 internal_error naming the stage, with one audit line", async () => {
    const throwing: CompiledPolicySet = { ...policies, evaluate: () => { throw new Error("entity `x` is malformed"); } };
    const traced = tracedDecide(parts({ policies: throwing }).parts);
    expect(await traced.decide(input("GET", "/tenants/acme/orders/o-17", await token(viewer)))).toMatchObject({ allow: false, status: 503, reason: "internal_error" });
    expect(traced.sink.records).toHaveLength(1);
    expect(traced.sink.records[0].detail).toEqual({ stage: "policies", message: "entity `x` is malformed" });
  });

  it("keeps the message of a failing token stage out of the audit line: it may echo the token", async () => {
    const leaky = { verify: () => Promise.reject(new Error("cannot parse eyJhbGciOi.secret.part")) } as unknown as PipelineParts["verifier"];
    const traced = tracedDecide(parts({ verifier: leaky }).parts);
    expect(await traced.decide(input("GET", "/tenants/acme/orders", await token(viewer)))).toMatchObject({ status: 503, reason: "internal_error" });
    expect(traced.sink.records[0].detail).toEqual({ stage: "token" });
  });
});

describe("pipeline: the synchronous path (issue #22)", () => {
  it("decides a request whose token answer is cached without a Promise or a microtask turn", async () => {
    const { parts: p } = parts({ checker: null });
    const real = await p.verifier!.verify(await token(viewer));
    // Stands in for #22's verified-token cache: the same outcome, answered synchronously
    const cached = { verify: (): VerifyOutcome => real } as unknown as PipelineParts["verifier"];
    const logger = createAuditLogger(undefined, { platform: "worker", clock: p.clock, sink: memorySink() });
    const decide = createDecide(pipelineStages({ ...p, verifier: cached }), { audit: { worker: logger, lambda: logger, node: logger }, randomUUID: () => "d" });
    let microtaskRan = false;
    queueMicrotask(() => (microtaskRan = true));
    const state = decide(input("GET", "/tenants/acme/orders/o-17", "cached.token.value"));
    expect(isPromise(state)).toBe(false);
    expect(microtaskRan).toBe(false);
    expect(!isPromise(state) && state.decision).toMatchObject({ allow: true, reason: "allowed" });
  });

  it("the authorizer's `decide` gives the same decision as its Promise form", async () => {
    const clock = frozenClock(NOW_MS);
    const authorize = createAuthorizer(baseConfig(key), { policies, clock, auditSink: memorySink() });
    const request = input("GET", "/tenants/acme/orders/o-17", await token(viewer));
    const direct = await authorize.decide(request);
    expect(direct).toMatchObject({ allow: true, reason: "allowed" });
    expect(await authorize(request)).toMatchObject({ allow: direct.allow, reason: direct.reason });
  });
});
