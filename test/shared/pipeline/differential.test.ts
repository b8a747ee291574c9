// One decision path (issue #16): `gatehouse test`'s path (the production stages with the token's
// claims given, nothing revoked) and the production pipeline (a real ES256 token, the real verifier,
// an empty revocation store) must give every request the same decision and reason: every example
// policy test case and 2,000 generated requests, under onForbidError `skip` and `deny` (the
// generated ones also against the project plus a guard that errors, so `forbid_error` is reached). All times
// derive from a fixed base on frozen clocks, so the test holds whatever the wall clock says.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memorySink } from "../../../shared/audit/index.ts";
import { frozenClock } from "../../../shared/clock/index.ts";
import { createAuthorizer, type Authorizer, type GatehouseConfig } from "../../../shared/pipeline/index.ts";
import { createMemoryStore } from "../../../shared/revocation/index.ts";
import { entityStoreKey, NO_EXPIRY_SECONDS, storeEntitySource, uidKey } from "../../../shared/entities/index.ts";
import { decideWithClaims, loadSuites, prepareProject, type DecideInput, type DecideSetup } from "../../../tools/policy-test/index.ts";
import { createTestKey, mintToken, type TestKey } from "../../harness/index.ts";
import { AUDIENCE, ISSUER, POLICIES_DIR, exampleRoutes } from "./fixtures.ts";

/** 2026-03-01T10:00:00Z: every request time is this plus a generated offset. */
const BASE_MS = Date.UTC(2026, 2, 1, 10, 0, 0);
const MODES = ["skip", "deny"] as const;
type Mode = (typeof MODES)[number];
type Project = "example" | "guarded";

// Overflows on every request it is asked about (the schema lets it through): `skip` ignores it,
// strict mode must deny with forbid_error whatever the permits say
const ERRORING_GUARD = `
@id("overflowing-guard")
forbid (principal, action, resource) when { 9223372036854775807 + 1 > 0 };
`;

interface Side {
  readonly setup: DecideSetup;
  readonly authorize: Authorizer;
  readonly clock: ReturnType<typeof frozenClock>;
  /** The production configuration, for a case with live entity records (its own authorizer and store). */
  readonly production: GatehouseConfig;
}

let key: TestKey;
let dir: string;
const sides = new Map<`${Project}/${Mode}`, Side>();

beforeAll(async () => {
  key = await createTestKey("ES256");
  dir = mkdtempSync(join(tmpdir(), "gatehouse-differential-"));
  const guardedDir = join(dir, "guarded");
  cpSync(POLICIES_DIR, guardedDir, { recursive: true });
  writeFileSync(join(guardedDir, "erroring-guard.cedar"), ERRORING_GUARD);
  for (const [project, policiesDir] of [["example", POLICIES_DIR], ["guarded", guardedDir]] as const) for (const onForbidError of MODES) {
    const config = {
      token: { issuers: [{ issuer: ISSUER, audience: AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } }] },
      context: { headers: ["x-team"] },
      onForbidError,
    };
    // `gatehouse test --config FILE`'s own preparation: the compiled project and the config's mappings
    const configFile = join(dir, `gatehouse.${onForbidError}.json`);
    writeFileSync(configFile, JSON.stringify(config));
    const { setup } = await prepareProject({ policiesDir, configFile });
    const clock = frozenClock(BASE_MS);
    const production: GatehouseConfig = { ...config, routes: exampleRoutes, revocation: { store: { kind: "memory" } } } as GatehouseConfig;
    const authorize = createAuthorizer(production, { policies: setup.policies, clock, auditSink: memorySink(), revocationStore: createMemoryStore() });
    sides.set(`${project}/${onForbidError}`, { setup, authorize, clock, production });
  }
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Both sides' answers for one request with these claims (none: no token). */
async function both(side: Side, request: Omit<DecideInput, "now">, nowMs: number) {
  const test = decideWithClaims(side.setup, { ...request, now: nowMs });
  side.clock.set(nowMs);
  const authorize = await productionFor(side, request);
  const token = request.claims === undefined ? undefined : await mintToken(key, { ...request.claims, iss: ISSUER }, { issuer: ISSUER, audience: AUDIENCE, now: Math.floor(nowMs / 1000), ttlSeconds: 600 });
  const production = await authorize({
    platform: "node",
    method: request.method,
    path: request.path,
    headers: new Headers({ ...request.headers, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) }),
    ...(request.ip !== undefined ? { clientIp: request.ip } : {}),
  });
  return {
    test: { decision: test.decision, reason: test.reason, policies: [...(test.result?.reasons ?? [])].sort() },
    production: { decision: production.allow ? "allow" : "deny", reason: production.reason, policies: [...(production.policies ?? [])].sort() },
  };
}

// A case's live records go into a real (memory) entity store that a production authorizer of its own reads
async function productionFor(side: Side, request: Omit<DecideInput, "now">): Promise<Authorizer> {
  if (request.liveEntities === undefined) return side.authorize;
  const store = createMemoryStore();
  for (const record of request.liveEntities as Array<{ uid: { type: string; id: string } }>) await store.put(entityStoreKey(uidKey(record.uid.type, record.uid.id)), JSON.stringify(record), NO_EXPIRY_SECONDS);
  const config = { ...side.production, entities: { source: { kind: "memory" } } } as GatehouseConfig;
  return createAuthorizer(config, { policies: side.setup.policies, clock: side.clock, auditSink: memorySink(), revocationStore: createMemoryStore(), entitySource: storeEntitySource(store) });
}

describe("differential: the example project's policy tests", () => {
  const suites = loadSuites(join(POLICIES_DIR, "tests"), POLICIES_DIR);

  it("has cases, all given as claims or none (a token can carry them)", () => {
    expect(suites.problems).toEqual([]);
    expect(suites.cases.length).toBeGreaterThan(30);
    expect(suites.cases.filter((c) => c.principal !== undefined || c.context !== undefined || c.entities !== undefined)).toEqual([]);
  });

  for (const mode of MODES) {
    it(`onForbidError ${mode}: every case gets the same decision, reason and determining policies`, async () => {
      const side = sides.get(`example/${mode}`)!;
      for (const testCase of suites.cases) {
        const answers = await both(side, testCase, testCase.now ?? BASE_MS);
        expect({ name: testCase.name, ...answers.production }).toEqual({ name: testCase.name, ...answers.test });
      }
    }, 60_000);
  }
});

// Mostly well-formed values, so most requests reach the policies; now and then one of the wrong
// type or a hostile path segment, so the refusals are compared too
const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) => fc.oneof({ arbitrary: good, weight: 12 }, { arbitrary: bad, weight: 1 });
const segment = mostly(fc.constantFrom("acme", "globex", "o-17", "o-1"), fc.stringMatching(/^[a-z0-9%.;-]{0,5}$/));
const path = fc.oneof(
  { arbitrary: segment.map((t) => `/tenants/${t}/orders`), weight: 4 },
  { arbitrary: fc.tuple(segment, segment).map(([t, id]) => `/tenants/${t}/orders/${id}`), weight: 6 },
  { arbitrary: fc.constantFrom("/admin/audit", "/health", "/nowhere", "/", "/tenants/acme/orders/", "//tenants/acme/orders", "/tenants/%2e%2e/orders", "/tenants/a%2Fb/orders", "/tenants/acme%00/orders"), weight: 2 },
  { arbitrary: fc.array(segment, { maxLength: 5 }).map((parts) => `/${parts.join("/")}`), weight: 1 },
);
const claims = fc
  .record(
    {
      sub: fc.option(mostly(fc.constantFrom("vera", "ada", "eddie", "sam"), fc.constant("")), { nil: undefined, freq: 12 }),
      client_id: fc.constantFrom("svc-reports", "svc-sync"),
      tenant: mostly(fc.constantFrom("acme", "globex"), fc.constant(7)),
      groups: mostly(fc.subarray(["viewer", "editor", "admin", "auditor"]), fc.constant("admin")),
      scope: fc.constantFrom("orders:read", "orders:write", "orders:read orders:write", "audit:read", ""),
      amr: mostly(fc.subarray(["pwd", "mfa", "otp"]), fc.constant("mfa")),
      acr: fc.constantFrom("urn:loa:1", "urn:loa:2"),
      suspended: mostly(fc.boolean(), fc.constant("yes")),
    },
    { requiredKeys: ["sub", "tenant", "groups", "scope"] },
  )
  // A token cannot carry `undefined`: an absent claim is left out on both sides
  .map((c) => Object.fromEntries(Object.entries(c).filter(([, value]) => value !== undefined)));
const request = fc.record({
  method: fc.oneof({ arbitrary: fc.constant("GET"), weight: 6 }, { arbitrary: fc.constantFrom("POST", "PUT", "DELETE"), weight: 3 }, { arbitrary: fc.constantFrom("PATCH", "HEAD"), weight: 1 }),
  path,
  claims,
  headers: fc.option(fc.record({ "x-team": fc.stringMatching(/^[a-z]{1,8}$/) }), { nil: undefined }),
  ip: fc.option(fc.constantFrom("203.0.113.7", "2001:db8::1", "not-an-ip"), { nil: undefined }),
  offsetSeconds: fc.integer({ min: -30 * 86_400, max: 30 * 86_400 }),
  mode: fc.constantFrom(...MODES),
  project: fc.constantFrom<Project>("example", "guarded"),
});

describe("differential: generated requests", () => {
  it("2,000 random requests: the same decision and reason on both paths, forbid_error included", async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const side = sides.get(`${r.project}/${r.mode}`)!;
        const answers = await both(side, { method: r.method, path: r.path, claims: r.claims, headers: r.headers, ip: r.ip }, BASE_MS + r.offsetSeconds * 1000);
        expect(answers.production).toEqual(answers.test);
        seen.set(answers.test.reason, (seen.get(answers.test.reason) ?? 0) + 1);
      }),
      // A fixed seed: the same 2,000 requests every run, so the reach check below cannot flake
      { numRuns: 2000, seed: 1616 },
    );
    // The generator reaches every part of the order, so agreement is not agreement on one easy path
    for (const reason of ["allowed", "policy_denied", "forbid_error", "public_route", "no_route", "claim_type", "missing_claim", "path_traversal", "empty_segment"]) {
      expect({ reason, seen: (seen.get(reason) ?? 0) > 0 }).toEqual({ reason, seen: true });
    }
  }, 300_000);
});
