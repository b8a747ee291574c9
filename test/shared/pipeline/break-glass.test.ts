// Break-glass end to end over the real pipeline: a token of the dedicated issuer is decided by
// the dedicated policy set (examples/break-glass), allowed where the everyday policies deny, written
// with `break_glass: true` even when allow lines are sampled away, counted by its own metric, and
// refused once it expires or when it was minted to live longer than `maxLifetimeSeconds`.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { memorySink } from "../../../shared/audit/index.ts";
import { frozenClock } from "../../../shared/clock/index.ts";
import type { GatehouseConfig } from "../../../shared/config/index.ts";
import { ConfigError } from "../../../shared/errors.ts";
import { emfMetrics } from "../../../shared/metrics/index.ts";
import { createAuthorizer } from "../../../shared/pipeline/index.ts";
import type { CompiledPolicySet } from "../../../shared/policy/index.ts";
import { compilePolicyProject, loadPolicyModule } from "../../../tools/compiler/index.ts";
import { createTestKey, mintToken, repoRoot, type TestKey } from "../../harness/index.ts";
import { EXAMPLE_AUDIENCE, EXAMPLE_ISSUER, EXAMPLE_START_MS, examplePolicies, exampleRoutes } from "../../harness/gatehouse-pipeline.ts";

const GLASS_ISSUER = "https://break-glass.example";
let glassPolicies: Promise<CompiledPolicySet> | undefined;
const breakGlassPolicies = () => (glassPolicies ??= loadPolicyModule(compilePolicyProject({ policiesDir: join(repoRoot, "examples", "break-glass") }).source));

function configFor(everyday: TestKey, glass: TestKey, extra: Partial<GatehouseConfig> = {}): GatehouseConfig {
  return {
    token: {
      issuers: [
        { issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, algorithms: ["ES256"], jwks: { keys: [everyday.publicJwk] } },
        { issuer: GLASS_ISSUER, name: "break-glass", audience: EXAMPLE_AUDIENCE, algorithms: ["ES256"], jwks: { keys: [glass.publicJwk] }, maxAgeSeconds: 300 },
      ],
    },
    routes: exampleRoutes(),
    revocation: { store: { kind: "memory" } },
    breakGlass: { issuer: "break-glass", maxLifetimeSeconds: 300 },
    // Every everyday allow line sampled away: break-glass lines must still be written
    audit: { allowSampleRate: 0 },
    ...extra,
  };
}

async function setup() {
  const everyday = await createTestKey("ES256");
  const glass = await createTestKey("ES256");
  const clock = frozenClock(EXAMPLE_START_MS);
  const audit = memorySink();
  const emf: Record<string, any>[] = [];
  const metrics = emfMetrics({ writeLine: (line) => emf.push(JSON.parse(line) as Record<string, any>), now: () => clock.now() });
  const authorize = createAuthorizer(configFor(everyday, glass), { policies: await examplePolicies(), breakGlassPolicies: await breakGlassPolicies(), auditSink: audit, clock, metrics });
  const now = () => Math.floor(clock.now() / 1000);
  const claims = { tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd", "mfa"] };
  return {
    authorize, clock, audit, emf,
    everydayToken: () => mintToken(everyday, claims, { issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, subject: "vera", now: now(), ttlSeconds: 3600 }),
    glassToken: (ttlSeconds = 300, extra: Record<string, unknown> = {}) => mintToken(glass, { ...claims, ...extra }, { issuer: GLASS_ISSUER, audience: EXAMPLE_AUDIENCE, subject: "oncall-olga", now: now(), ttlSeconds }),
    del: (token: string) => authorize({ platform: "node", method: "DELETE", path: "/tenants/acme/orders/o-17", headers: new Headers({ authorization: `Bearer ${token}` }) }),
  };
}
const glassCount = (emf: Record<string, any>[]) => emf.reduce((n, d) => n + (d.BreakGlass as number), 0);

describe("break-glass: emergency access", () => {
  it("allows a break-glass token where the everyday policies deny, audited and counted", async () => {
    const { everydayToken, glassToken, del, audit, authorize, emf } = await setup();
    const denied = await del(await everydayToken());
    expect(denied).toMatchObject({ allow: false, status: 403, reason: "policy_denied" });
    const allowed = await del(await glassToken());
    expect(allowed).toMatchObject({ allow: true, status: 200, reason: "allowed", policies: ["break-glass-read-and-cancel-orders"] });
    const line = audit.records.find((r) => r.decision_id === allowed.decisionId)!;
    expect(line).toMatchObject({ decision: "allow", break_glass: true, reasons: ["break-glass-read-and-cancel-orders"], sample_rate: 1 });
    expect(audit.records.find((r) => r.decision_id === denied.decisionId)!.break_glass).toBeUndefined();
    await authorize.flush();
    expect(glassCount(emf)).toBe(1);
    expect(emf.find((d) => d.BreakGlass === 1)).toMatchObject({ Decision: "allow", Reason: "allowed", Platform: "node" });
  });

  it("writes every break-glass line although allow lines are sampled away", async () => {
    const { everydayToken, glassToken, authorize, audit } = await setup();
    const everyday = await authorize({ platform: "node", method: "GET", path: "/tenants/acme/orders/o-17", headers: new Headers({ authorization: `Bearer ${await everydayToken()}` }) });
    expect(everyday.allow).toBe(true);
    expect(audit.records.find((r) => r.decision_id === everyday.decisionId)).toBeUndefined();
    const glass = await authorize({ platform: "node", method: "GET", path: "/tenants/acme/orders/o-17", headers: new Headers({ authorization: `Bearer ${await glassToken()}` }) });
    expect(glass.allow).toBe(true);
    expect(audit.records.find((r) => r.decision_id === glass.decisionId)).toMatchObject({ break_glass: true });
  });

  it("decides break-glass tokens by the break-glass set only: an action it does not list is denied", async () => {
    const { glassToken, authorize, audit } = await setup();
    const create = await authorize({ platform: "node", method: "POST", path: "/tenants/acme/orders", headers: new Headers({ authorization: `Bearer ${await glassToken(300, { scope: "orders:read orders:write", groups: ["editor"] })}` }) });
    expect(create).toMatchObject({ allow: false, reason: "policy_denied" });
    expect(audit.records.at(-1)).toMatchObject({ break_glass: true, decision: "deny" });
    // and the set's own condition holds: no MFA, no emergency access
    const noMfa = await authorize({ platform: "node", method: "DELETE", path: "/tenants/acme/orders/o-17", headers: new Headers({ authorization: `Bearer ${await glassToken(300, { amr: ["pwd"] })}` }) });
    expect(noMfa).toMatchObject({ allow: false, reason: "policy_denied" });
  });

  it("stops working when the token expires (frozen clock)", async () => {
    const { glassToken, del, clock, audit, authorize, emf } = await setup();
    const token = await glassToken(120);
    expect((await del(token)).allow).toBe(true);
    // past `exp` and the issuer's default 30 s clock tolerance
    clock.advance(151_000);
    const later = await del(token);
    expect(later).toMatchObject({ allow: false, status: 401, reason: "expired" });
    expect(audit.records.at(-1)).toMatchObject({ decision: "deny", decision_reason: "expired" });
    await authorize.flush();
    expect(glassCount(emf)).toBe(1);
  });

  it("refuses a break-glass token minted to live longer than maxLifetimeSeconds", async () => {
    const { glassToken, del, audit } = await setup();
    const decision = await del(await glassToken(3600));
    expect(decision).toMatchObject({ allow: false, status: 401, reason: "too_old" });
    expect(audit.records.at(-1)).toMatchObject({ break_glass: true, decision_reason: "too_old", detail: { stage: "policies", field: "exp", issuer: "break-glass" } });
  });

  it("stops at the issuer's maxAgeSeconds even when exp is later (the verifier's second bound)", async () => {
    const { glassToken, del, clock } = await setup();
    const token = await glassToken(300);
    clock.advance(299_000);
    expect((await del(token)).allow).toBe(true);
    clock.advance(62_000);
    expect((await del(token)).allow).toBe(false);
  });
});

describe("break-glass: configuration refused at start, naming the field", () => {
  const build = async (mutate: (config: GatehouseConfig) => GatehouseConfig, withPolicies = true) => {
    const config = mutate(configFor(await createTestKey("ES256"), await createTestKey("ES256")));
    const deps = { policies: await examplePolicies(), ...(withPolicies ? { breakGlassPolicies: await breakGlassPolicies() } : {}) };
    return () => createAuthorizer(config, deps);
  };
  const fieldOf = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return error instanceof ConfigError ? error.field : `not a ConfigError: ${String(error)}`;
    }
    return "accepted";
  };
  it("an issuer that is not configured", async () => {
    expect(fieldOf(await build((c) => ({ ...c, breakGlass: { issuer: "nobody" } })))).toBe("breakGlass.issuer");
  });
  it("a break-glass issuer without a short maxAgeSeconds", async () => {
    const loose = (c: GatehouseConfig) => ({ ...c, token: { issuers: [c.token.issuers[0], { ...c.token.issuers[1], maxAgeSeconds: 3600 }] } });
    expect(fieldOf(await build(loose))).toBe("token.issuers.break-glass.maxAgeSeconds");
  });
  it("a lifetime beyond an hour", async () => {
    expect(fieldOf(await build((c) => ({ ...c, breakGlass: { issuer: "break-glass", maxLifetimeSeconds: 7200 } })))).toBe("breakGlass.maxLifetimeSeconds");
  });
  it("no dedicated policy module", async () => {
    expect(fieldOf(await build((c) => c, false))).toBe("breakGlassPolicies");
  });
});
