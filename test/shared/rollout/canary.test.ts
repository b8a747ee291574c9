// Canary rollout and automatic rollback in the real pipeline (issue #18): real signed tokens, the
// example policies as the stable set, compiled candidates, one frozen clock.
import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { memorySink, type MemorySink } from "../../../shared/audit/index.ts";
import { frozenClock } from "../../../shared/clock/index.ts";
import type { GatehouseConfig } from "../../../shared/config/index.ts";
import { ConfigError } from "../../../shared/errors.ts";
import { createAuthorizer, type Authorizer } from "../../../shared/pipeline/index.ts";
import type { CompiledPolicySet } from "../../../shared/policy/index.ts";
import { createMemoryStore, type RevocationStore } from "../../../shared/revocation/index.ts";
import type { RolloutConfig } from "../../../shared/rollout/index.ts";
import { auditLineErrors, BROAD_DENY, createTestKey, ERRORING_FORBID, mintToken, variantPolicies, type TestKey } from "../../harness/index.ts";
import { EXAMPLE_AUDIENCE, EXAMPLE_ISSUER, EXAMPLE_START_MS, examplePolicies, exampleRoutes } from "../../harness/gatehouse-pipeline.ts";

let key: TestKey;
let stable: CompiledPolicySet;
let broadDeny: CompiledPolicySet;
let erroring: CompiledPolicySet;
const tokens = new Map<string, string>();

beforeAll(async () => {
  key = await createTestKey("ES256");
  stable = await examplePolicies();
  broadDeny = await variantPolicies(BROAD_DENY);
  erroring = await variantPolicies(ERRORING_FORBID);
}, 120_000);

interface Rig {
  readonly authorize: Authorizer;
  readonly audit: MemorySink;
  readonly clock: ReturnType<typeof frozenClock>;
  /** A viewer of `tenant` named `sub` lists its tenant's orders (the stable set allows it). */
  list(sub: string, tenant?: string, pathTenant?: string): Promise<{ status: number; line: Record<string, any> }>;
}

function rig(rollout: RolloutConfig, candidate: CompiledPolicySet, options: { store?: RevocationStore; clock?: ReturnType<typeof frozenClock> } = {}): Rig {
  const clock = options.clock ?? frozenClock(EXAMPLE_START_MS);
  const audit = memorySink();
  const config: GatehouseConfig = {
    token: { issuers: [{ issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } }] },
    routes: exampleRoutes(),
    revocation: { store: { kind: "memory" }, ttlMs: 5000 },
    rollout,
  };
  const authorize = createAuthorizer(config, { policies: stable, shadowPolicies: candidate, revocationStore: options.store ?? createMemoryStore(), auditSink: audit, clock });
  return {
    authorize,
    audit,
    clock,
    async list(sub, tenant = "acme", pathTenant = tenant) {
      const cacheKey = `${sub}/${tenant}`;
      let token = tokens.get(cacheKey);
      if (token === undefined) {
        token = await mintToken(key, { tenant, groups: ["viewer"], scope: "orders:read", amr: ["pwd"] }, { issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, subject: sub, now: Math.floor(EXAMPLE_START_MS / 1000), ttlSeconds: 86_400 });
        tokens.set(cacheKey, token);
      }
      const before = audit.records.length;
      const decision = await authorize({ platform: "node", method: "GET", path: `/tenants/${pathTenant}/orders`, headers: new Headers({ authorization: `Bearer ${token}` }) });
      const lines = audit.records.slice(before).filter((r) => (r as unknown as { decision_id?: string }).decision_id !== undefined);
      return { status: decision.status, line: lines[lines.length - 1] as unknown as Record<string, any> };
    },
  };
}

// Written independently of shared/rollout/slice.ts, with node:crypto: the slice the docs promise
function inSlice(version: string, sub: string, share: number): boolean {
  const digest = createHash("sha256").update(`${version.length}:${version}4:User${sub.length}:${sub}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32 < share;
}

const events = (audit: MemorySink) => audit.records.filter((r) => (r as unknown as { event?: string }).event === "rollback") as unknown as Record<string, any>[];
const subs = (n: number, prefix = "user") => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe("canary slice", () => {
  it("the candidate decides for about the configured share of principals, exactly those the hash puts in the slice", async () => {
    const canary = rig({ canary: { share: 0.1 }, rollback: null }, broadDeny);
    const users = subs(300);
    const denied: string[] = [];
    for (const sub of users) {
      const { status, line } = await canary.list(sub);
      expect(auditLineErrors(line)).toEqual([]);
      if (status === 403) denied.push(sub);
      expect(line.canary).toEqual({ enforced: status === 403 ? "candidate" : "stable", rolled_back: false, stable_decision: "allow", stable_reasons: ["viewers-read-orders"] });
      expect(line.shadow).toMatchObject({ decision: "deny", reasons: ["broad-deny"], agrees: false });
    }
    expect(denied).toEqual(users.filter((sub) => inSlice(broadDeny.version, sub, 0.1)));
    expect(denied.length).toBeGreaterThan(15);
    expect(denied.length).toBeLessThan(45);
  });

  it("a principal stays on its side from one request to the next", async () => {
    const canary = rig({ canary: { share: 0.5 }, rollback: null }, broadDeny);
    for (const sub of subs(20)) {
      const first = (await canary.list(sub)).status;
      for (let i = 0; i < 3; i++) expect((await canary.list(sub)).status).toBe(first);
    }
  });

  it("listed tenants are in the slice in full; others only by share", async () => {
    const canary = rig({ canary: { tenants: ["globex"] }, rollback: null }, broadDeny);
    for (const sub of subs(10)) {
      expect((await canary.list(sub, "globex")).status).toBe(403);
      expect((await canary.list(sub, "acme")).status).toBe(200);
    }
  });
});

describe("automatic rollback", () => {
  it("fires once the window holds minRequests canary requests with too many new denies, writes one event, and the candidate denies no more", async () => {
    const canary = rig({ canary: { share: 0.1 }, rollback: { minRequests: 20, maxDenyRate: 0.01, windowSeconds: 60 } }, broadDeny);
    const users = subs(600);
    let canaryDenies = 0;
    let rolledBackAt = -1;
    for (let i = 0; i < users.length; i++) {
      const { status, line } = await canary.list(users[i]);
      if (line.canary.rolled_back && rolledBackAt === -1) rolledBackAt = i;
      if (status === 403) {
        canaryDenies++;
        expect(line.canary.enforced).toBe("candidate");
        expect(rolledBackAt).toBe(-1);
      }
    }
    // The 20th canary request fires the rule and is itself decided by the stable set
    expect(canaryDenies).toBe(19);
    expect(canary.authorize.canary!.rolledBack).toBe(true);
    const [event, ...more] = events(canary.audit);
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      event: "rollback", rule: "deny_rate", policy_version: stable.version, candidate_version: broadDeny.version,
      evidence: { window_s: 60, canary_requests: 20, candidate_denies_stable_allows: 20, deny_rate: 1, max_deny_rate: 0.01, min_requests: 20, forbid_errors: [] },
    });
    const trigger = canary.audit.records.find((r) => r.decision_id === event.evidence.trigger_decision_id)!;
    expect(trigger).toMatchObject({ decision: "allow", canary: { enforced: "stable", rolled_back: true } });
    // Stays rolled back: the same candidate never enforces again
    canary.clock.advance(3_600_000);
    for (const sub of users.slice(0, 100)) expect((await canary.list(sub)).status).toBe(200);
    expect(events(canary.audit)).toHaveLength(1);
  });

  it("a new candidate version starts a fresh canary; setting the same version again does not", async () => {
    const canary = rig({ canary: { share: 1 }, rollback: { minRequests: 5 } }, broadDeny);
    for (const sub of subs(5)) await canary.list(sub);
    expect(canary.authorize.canary!.rolledBack).toBe(true);
    canary.authorize.canary!.setCandidate(broadDeny);
    expect(canary.authorize.canary!.rolledBack).toBe(true);
    const next = await variantPolicies(BROAD_DENY + '@id("also-deny")\nforbid (principal, action, resource);\n');
    canary.authorize.canary!.setCandidate(next);
    expect(canary.authorize.canary!.rolledBack).toBe(false);
    expect((await canary.list("user-0")).status).toBe(403);
  });

  it("judges the rate only on what the stable set allowed: a request both sets deny does not count against the candidate", async () => {
    const canary = rig({ canary: { share: 1 }, rollback: { minRequests: 4, maxDenyRate: 0.5 } }, broadDeny);
    // cross-tenant: the stable set denies too
    expect((await canary.list("vera", "acme", "globex")).status).toBe(403);
    expect((await canary.list("vera", "acme", "globex")).status).toBe(403);
    expect((await canary.list("a")).status).toBe(403);
    expect((await canary.list("b")).status).toBe(403);
    // 2 of 4 is the limit, not over it
    expect(canary.authorize.canary!.rolledBack).toBe(false);
    expect((await canary.list("c")).status).toBe(200);
    expect(events(canary.audit)[0].evidence).toMatchObject({ canary_requests: 5, candidate_denies_stable_allows: 3, deny_rate: 0.6 });
  });

  it("does not fire below minRequests, and forgets requests older than the window", async () => {
    const canary = rig({ canary: { share: 1 }, rollback: { minRequests: 10, maxDenyRate: 0.5, windowSeconds: 60 } }, broadDeny);
    for (const sub of subs(9)) expect((await canary.list(sub)).status).toBe(403);
    // 61 s later the nine are out of the window: nine more still do not reach minRequests
    canary.clock.advance(61_000);
    for (const sub of subs(9, "later")) expect((await canary.list(sub)).status).toBe(403);
    expect(canary.authorize.canary!.rolledBack).toBe(false);
    expect((await canary.list("one-more")).status).toBe(200);
    expect(events(canary.audit)).toHaveLength(1);
  });

  it("any candidate forbid that errors on a canary request rolls back at once (rule forbid_error)", async () => {
    const canary = rig({ canary: { share: 1 } }, erroring);
    const { status, line } = await canary.list("erin");
    expect(status).toBe(200);
    expect(line.canary).toMatchObject({ enforced: "stable", rolled_back: true });
    expect(events(canary.audit)).toEqual([expect.objectContaining({ rule: "forbid_error", evidence: expect.objectContaining({ forbid_errors: ["overflowing-guard"], trigger_decision_id: line.decision_id }) })]);
  });

  it("with rollback: null the candidate keeps deciding for its slice", async () => {
    const canary = rig({ canary: { share: 1 }, rollback: null }, broadDeny);
    for (const sub of subs(300)) expect((await canary.list(sub)).status).toBe(403);
    expect(events(canary.audit)).toEqual([]);
  });

  it("a shared store flag carries one isolate's rollback to another within the flag's TTL", async () => {
    const store = createMemoryStore();
    const clock = frozenClock(EXAMPLE_START_MS);
    const first = rig({ canary: { share: 1 }, rollback: { minRequests: 3, shared: { ttlSeconds: 5 } } }, broadDeny, { store, clock });
    // The second isolate's own rule would need far more requests: only the flag can roll it back
    const second = rig({ canary: { share: 1 }, rollback: { minRequests: 1000, shared: { ttlSeconds: 5 } } }, broadDeny, { store, clock });
    expect((await second.list("sam")).status).toBe(403);
    for (const sub of subs(3)) await first.list(sub);
    expect(first.authorize.canary!.rolledBack).toBe(true);
    // flush() waits for the flag's write, as a Worker's waitUntil does
    await first.authorize.flush();
    // Within the TTL the second isolate has not read the flag again
    expect((await second.list("sam")).status).toBe(403);
    clock.advance(5_000);
    await second.list("sam"); // starts reading the flag, off the request path
    await second.authorize.flush();
    expect((await second.list("sam")).status).toBe(200);
    expect(events(second.audit)).toEqual([expect.objectContaining({ rule: "shared_flag", candidate_version: broadDeny.version })]);
    expect(events(first.audit)).toHaveLength(1);
  });
});

describe("configuration", () => {
  const base = () => ({
    token: { issuers: [{ issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, algorithms: ["ES256" as const], jwks: { keys: [key.publicJwk] } }] },
    routes: exampleRoutes(),
    revocation: null,
  });
  const refused = (rollout: unknown, candidate: CompiledPolicySet | null = broadDeny): ConfigError => {
    try {
      createAuthorizer({ ...base(), rollout } as GatehouseConfig, { policies: stable, shadowPolicies: candidate, auditSink: memorySink() });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return error as ConfigError;
    }
    throw new Error("expected a ConfigError");
  };

  it("names the field at fault", () => {
    expect(refused({ canary: { share: 1.5 } }).field).toBe("rollout.canary.share");
    expect(refused({ canary: {} }).field).toBe("rollout.canary");
    expect(refused({ canary: { share: 0.1 }, rollback: { minRequests: 0 } }).field).toBe("rollout.rollback.minRequests");
    expect(refused({ canary: { share: 0.1 }, rollback: { windowSeconds: 1.5 } }).field).toBe("rollout.rollback.windowSeconds");
    expect(refused({ canary: { share: 0.1 }, surprise: 1 }).field).toBe("rollout.surprise");
    expect(refused({ canary: { tenants: [""] } }).field).toBe("rollout.canary.tenants[0]");
    // Nothing to roll out, and no store to share a flag through
    expect(refused({ canary: { share: 0.1 } }, null).field).toBe("rollout");
    expect(refused({ canary: { share: 0.1 }, rollback: { shared: { ttlSeconds: 5 } } }).field).toBe("rollout.rollback.shared");
  });

  it("without rollout the candidate is only a shadow, and the line has no canary field", async () => {
    const audit = memorySink();
    const authorize = createAuthorizer(base() as GatehouseConfig, { policies: stable, shadowPolicies: broadDeny, auditSink: audit, clock: frozenClock(EXAMPLE_START_MS) });
    expect(authorize.canary).toBeNull();
    const token = await mintToken(key, { tenant: "acme", groups: ["viewer"], scope: "orders:read" }, { issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, subject: "vera", now: Math.floor(EXAMPLE_START_MS / 1000) });
    const decision = await authorize({ platform: "node", method: "GET", path: "/tenants/acme/orders", headers: new Headers({ authorization: `Bearer ${token}` }) });
    expect(decision.status).toBe(200);
    expect(audit.records[0]).not.toHaveProperty("canary");
    expect(audit.records[0].shadow).toMatchObject({ decision: "deny", agrees: false });
  });
});
