// `geo` on demand: the pipeline reads the platform's `cf` (on Workers, a getter that builds a JS
// object at about 45 µs a request) only when a policy set that may see the request can read
// `context.geo`, or when audit replay carries the context; otherwise decisions are as before.
// Real compiled sets, the real Worker input over a Request whose `cf` getter counts its reads.
import { beforeAll, describe, expect, it } from "vitest";
import { memorySink } from "../../../shared/audit/index.ts";
import { frozenClock } from "../../../shared/clock/index.ts";
import { requestInput } from "../../../shared/middleware/request-input.ts";
import { createAuthorizer, type AuthorizerDeps, type Decision, type GatehouseConfig } from "../../../shared/pipeline/index.ts";
import { policiesStage } from "../../../shared/pipeline/stages/policies.ts";
import { requestStage } from "../../../shared/pipeline/stages/request.ts";
import type { CedarJsonValue, CompiledPolicySet } from "../../../shared/policy/index.ts";
import { createMemoryStore } from "../../../shared/revocation/index.ts";
import { compilePolicies, compilePolicyProject, loadPolicyModule } from "../../../tools/compiler/index.ts";
import { createTestKey, mintToken, type TestKey } from "../../harness/index.ts";
import { bundleKeyPair, exampleIr, publishIr } from "../../harness/policy-bundles.ts";
import { AUDIENCE, ISSUER, NOW_MS, POLICIES_DIR, baseConfig, examplePolicies, viewer } from "./fixtures.ts";
import { authenticatedState, clock as stageClock } from "./stages/_state.ts";

const GEO_PERMIT = '@id("nz") permit (principal, action, resource) when { context.geo.country == "NZ" };';
const GEO_FORBID = '@id("nz-only") forbid (principal, action, resource) unless { context has geo && context.geo.country == "NZ" };';
const NZ = { country: "NZ", asn: 9500 };
const AU = { country: "AU", asn: 1221 };
const GLASS_ISSUER = "https://break-glass.example";

let key: TestKey;
let example: CompiledPolicySet;
let geo: CompiledPolicySet;
let geoOld: CompiledPolicySet;
let exampleOld: CompiledPolicySet;

// The module as the compiler wrote it before the list existed: the same policies, no `contextAttributes`
function withoutList(source: string): string {
  const old = source.replace(/^ {2}contextAttributes: .*\n/m, "");
  if (old === source) throw new Error("expected a contextAttributes line to take out");
  return old;
}

beforeAll(async () => {
  key = await createTestKey("ES256");
  example = await examplePolicies();
  const geoSource = compilePolicies({ policies: GEO_PERMIT }).source;
  geo = await loadPolicyModule(geoSource);
  geoOld = await loadPolicyModule(withoutList(geoSource));
  exampleOld = await loadPolicyModule(withoutList(compilePolicyProject({ policiesDir: POLICIES_DIR }).source));
}, 60_000);

/** A Worker request for `path` whose `cf` getter counts every read, as the Worker adapter hands it over. */
function workerRequest(path: string, token: string | undefined, cf: Record<string, unknown> | undefined, counter: { reads: number }) {
  const headers: Record<string, string> = { "cf-connecting-ip": "203.0.113.7" };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const request = new Request(`https://api.example${path}`, { headers });
  Object.defineProperty(request, "cf", { get: () => (counter.reads++, cf) });
  return requestInput(request);
}

function rig(overrides: Partial<GatehouseConfig>, deps: Partial<AuthorizerDeps> & { policies: CompiledPolicySet }) {
  const clock = frozenClock(NOW_MS);
  const sink = memorySink();
  const authorize = createAuthorizer(baseConfig(key, overrides), { clock, auditSink: sink, ...deps });
  const counter = { reads: 0 };
  const tokenOf = (issuer: string) => mintToken(key, viewer, { issuer, audience: AUDIENCE, now: NOW_MS / 1000, ttlSeconds: 300 });
  /** Reads one order as the viewer from `cf`'s country; answers the decision and the `cf` reads it took. */
  const read = async (cf: Record<string, unknown> | undefined, issuer = ISSUER): Promise<{ decision: Decision; reads: number }> => {
    const before = counter.reads;
    const decision = await authorize(workerRequest("/tenants/acme/orders/o-17", await tokenOf(issuer), cf, counter));
    return { decision, reads: counter.reads - before };
  };
  const lastLine = () => sink.records.at(-1) as unknown as Record<string, any>;
  return { authorize, clock, sink, read, lastLine };
}

// The set, with every context it was asked about kept
function observed(set: CompiledPolicySet): { set: CompiledPolicySet; contexts: (Record<string, CedarJsonValue> | undefined)[] } {
  const contexts: (Record<string, CedarJsonValue> | undefined)[] = [];
  return { set: { ...set, evaluate: (request, entities) => (contexts.push(request.context), set.evaluate(request, entities)) }, contexts };
}

const outcome = (d: Decision) => ({ allow: d.allow, status: d.status, reason: d.reason, policies: d.policies });

describe("geo on demand: sets that cannot read geo", () => {
  it("never reads cf for the example policies, and decides as before", async () => {
    const env = rig({}, { policies: example });
    for (const cf of [NZ, AU, undefined]) {
      const { decision, reads } = await env.read(cf);
      expect(reads).toBe(0);
      expect(outcome(decision)).toMatchObject({ allow: true, reason: "allowed", policies: ["viewers-read-orders"] });
    }
  });

  it("reads cf for a module compiled before sets said what they read (no contextAttributes)", async () => {
    expect(exampleOld.contextAttributes).toBeNull();
    const env = rig({}, { policies: exampleOld });
    expect((await env.read(NZ)).reads).toBe(1);
  });
});

describe("geo on demand: a set that reads geo", () => {
  it("reads cf once a request, with the decisions and the context geo of a module that does not say", async () => {
    const now = observed(geo);
    const before = observed(geoOld);
    const current = rig({}, { policies: now.set });
    const old = rig({}, { policies: before.set });
    for (const cf of [NZ, AU, undefined]) {
      const a = await current.read(cf);
      const b = await old.read(cf);
      expect(a.reads).toBe(1);
      expect(b.reads).toBe(1);
      expect(outcome(a.decision)).toEqual(outcome(b.decision));
    }
    expect(outcome((await current.read(NZ)).decision)).toMatchObject({ allow: true, policies: ["nz"] });
    expect(outcome((await current.read(AU)).decision)).toMatchObject({ allow: false, reason: "policy_denied" });
    expect(now.contexts[0]?.geo).toEqual(NZ);
    expect(now.contexts[1]?.geo).toEqual(AU);
    expect(now.contexts[2]).not.toHaveProperty("geo");
    expect(now.contexts.slice(0, 3)).toEqual(before.contexts);
  });

  it("follows a policy bundle swap: geo is read once a published set reads it, and no more after a swap back", async () => {
    const keys = await bundleKeyPair();
    const store = createMemoryStore();
    const env = rig({ policyBundle: { store: { kind: "memory" }, publicKey: keys.publicJwk, pollSeconds: 10 } }, { policies: example, policyBundleStore: store });
    const poll = async () => {
      env.clock.advance(10_000);
      await env.authorize(workerRequest("/health", undefined, undefined, { reads: 0 }));
      await env.authorize.flush();
    };
    await env.authorize.flush();
    expect((await env.read(AU)).reads).toBe(0);

    const geoBundle = exampleIr(GEO_FORBID);
    await publishIr(store, geoBundle, keys.privateJwk, env.clock.now());
    await poll();
    expect(env.authorize.policyVersion).toBe(geoBundle.version);
    const au = await env.read(AU);
    expect(au.reads).toBe(1);
    expect(outcome(au.decision)).toMatchObject({ allow: false, reason: "policy_denied", policies: ["nz-only"] });
    const nz = await env.read(NZ);
    expect(nz.reads).toBe(1);
    expect(outcome(nz.decision)).toMatchObject({ allow: true, policies: ["viewers-read-orders"] });

    const base = exampleIr();
    await publishIr(store, base, keys.privateJwk, env.clock.now());
    await poll();
    expect(env.authorize.policyVersion).toBe(base.version);
    expect((await env.read(AU)).reads).toBe(0);
  });
});

describe("geo on demand: other sets that may see the request", () => {
  it("reads cf when the shadow candidate reads geo, and its answer uses it", async () => {
    const env = rig({}, { policies: example, shadowPolicies: geo });
    const au = await env.read(AU);
    expect(au.reads).toBe(1);
    expect(au.decision.allow).toBe(true);
    expect(env.lastLine().shadow).toMatchObject({ decision: "deny", agrees: false });
    await env.read(NZ);
    expect(env.lastLine().shadow).toMatchObject({ decision: "allow", reasons: ["nz"], agrees: true });
  });

  it("reads cf while the canary candidate reads geo, and follows setCandidate", async () => {
    const env = rig({ rollout: { canary: { share: 1 }, rollback: null } }, { policies: example, shadowPolicies: geo });
    const nz = await env.read(NZ);
    expect(nz.reads).toBe(1);
    expect(outcome(nz.decision)).toMatchObject({ allow: true, policies: ["nz"] });
    expect(outcome((await env.read(AU)).decision)).toMatchObject({ allow: false, reason: "policy_denied" });

    env.authorize.canary!.setCandidate(example);
    const after = await env.read(AU);
    expect(after.reads).toBe(0);
    expect(outcome(after.decision)).toMatchObject({ allow: true, policies: ["viewers-read-orders"] });

    env.authorize.canary!.setCandidate(geo);
    expect((await env.read(AU)).reads).toBe(1);
  });

  it("reads cf when the break-glass set reads geo, and decides break-glass tokens with it", async () => {
    const overrides: Partial<GatehouseConfig> = {
      token: {
        issuers: [
          { issuer: ISSUER, audience: AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } },
          { issuer: GLASS_ISSUER, name: "break-glass", audience: AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] }, maxAgeSeconds: 300 },
        ],
      },
      breakGlass: { issuer: "break-glass", maxLifetimeSeconds: 300 },
    };
    const env = rig(overrides, { policies: example, breakGlassPolicies: geo });
    expect((await env.read(AU)).reads).toBe(1);
    const nz = await env.read(NZ, GLASS_ISSUER);
    expect(outcome(nz.decision)).toMatchObject({ allow: true, policies: ["nz"] });
    expect(outcome((await env.read(AU, GLASS_ISSUER)).decision)).toMatchObject({ allow: false, reason: "policy_denied" });

    const plain = rig(overrides, { policies: example, breakGlassPolicies: example });
    expect((await plain.read(AU)).reads).toBe(0);
  });

  it("reads cf with audit replay on, so the replay facts carry geo for a later set", async () => {
    const env = rig({ audit: { replay: true } }, { policies: example });
    const nz = await env.read(NZ);
    expect(nz.reads).toBe(1);
    expect(env.lastLine().replay.context.geo).toEqual(NZ);
  });
});

describe("geo on demand: a swap while a request waits between the request and policies stages", () => {
  // The request stage run with `needs` on a request from New Zealand whose `cf` getter counts its reads
  function mapped(needs: { geo: boolean }) {
    const counter = { reads: 0 };
    const state = authenticatedState("GET", "/tenants/acme/orders/o-17");
    Object.defineProperty(state.input, "cf", { get: () => (counter.reads++, NZ) });
    requestStage([], stageClock, false, needs)(state);
    return { state, counter };
  }

  it("adds geo before the policies evaluate, as the request stage would have built it", () => {
    const needs = { geo: false };
    const { state, counter } = mapped(needs);
    expect(counter.reads).toBe(0);
    expect(state.cedarRequest!.context).not.toHaveProperty("geo");

    needs.geo = true; // a set that reads geo was swapped in meanwhile
    policiesStage(geo, null, null, null, needs)(state);
    expect(counter.reads).toBe(1);
    expect(state.cedarRequest!.context!.geo).toEqual(NZ);
    expect(state.policy).toMatchObject({ decision: "allow", reasons: ["nz"] });
  });

  it("leaves geo out when the sets still cannot read it", () => {
    const needs = { geo: false };
    const { state, counter } = mapped(needs);
    policiesStage(example, null, null, null, needs)(state);
    expect(counter.reads).toBe(0);
    expect(state.cedarRequest!.context).not.toHaveProperty("geo");
    expect(state.policy).toMatchObject({ decision: "allow", reasons: ["viewers-read-orders"] });
  });
});
