// A real Gatehouse pipeline for adapter tests: the example policies compiled, the example routes,
// a real signing key, an in-memory revocation store and audit sink, all on one frozen clock.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { JWTPayload } from "jose";
import { memorySink, type MemorySink } from "../../shared/audit/index.ts";
import { frozenClock } from "../../shared/clock/index.ts";
import type { GatehouseConfig } from "../../shared/config/index.ts";
import { createAuthorizer, type Authorizer } from "../../shared/pipeline/index.ts";
import type { CompiledPolicySet } from "../../shared/policy/index.ts";
import { createMemoryStore, revoke, type RevocationStore } from "../../shared/revocation/index.ts";
import { compilePolicyProject, loadPolicyModule } from "../../tools/compiler/index.ts";
import { repoRoot } from "./corpus.ts";
import { createTestKey, mintToken, type TestKey } from "./tokens.ts";

/** Issuer and audience of the example policies' test cases (`policies/tests/orders.yaml`). */
export const EXAMPLE_ISSUER = "https://dev.gatehouse.local";
export const EXAMPLE_AUDIENCE = "gatehouse-demo";
/** 2026-11-22T10:00:00Z, the frozen start of every pipeline built here. */
export const EXAMPLE_START_MS = Date.UTC(2026, 10, 22, 10, 0, 0);

let compiled: Promise<CompiledPolicySet> | undefined;

/** The example policy project (`policies/`), compiled once per process. */
export function examplePolicies(): Promise<CompiledPolicySet> {
  compiled ??= loadPolicyModule(compilePolicyProject({ policiesDir: join(repoRoot, "policies") }).source);
  return compiled;
}

/** The example route table (`policies/routes.json`). */
export function exampleRoutes(): GatehouseConfig["routes"] {
  return JSON.parse(readFileSync(join(repoRoot, "policies", "routes.json"), "utf8")) as GatehouseConfig["routes"];
}

/** A pipeline under test and what it was built from. */
export interface TestPipeline {
  readonly authorize: Authorizer;
  readonly config: GatehouseConfig;
  readonly key: TestKey;
  readonly clock: ReturnType<typeof frozenClock>;
  readonly store: RevocationStore;
  readonly audit: MemorySink;
  /** A token from the example issuer, valid from the clock's now; `claims` override the defaults (`sub: vera`, viewer of acme). */
  mint(claims?: JWTPayload, ttlSeconds?: number): Promise<string>;
  /** Revokes every token of `sub` issued until now. */
  revokeSubject(sub: string): Promise<void>;
}

/** Options for `createTestPipeline`; `config` is merged over the defaults. */
export interface TestPipelineOptions {
  readonly config?: Partial<GatehouseConfig>;
  readonly store?: RevocationStore;
}

/** Builds a real pipeline over the example policies. */
export async function createTestPipeline(options: TestPipelineOptions = {}): Promise<TestPipeline> {
  const key = await createTestKey("ES256");
  const clock = frozenClock(EXAMPLE_START_MS);
  const store = options.store ?? createMemoryStore();
  const audit = memorySink();
  const config: GatehouseConfig = {
    token: { issuers: [{ issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } }] },
    routes: exampleRoutes(),
    revocation: { store: { kind: "memory" }, ttlMs: 5000 },
    ...options.config,
  };
  const authorize = createAuthorizer(config, { policies: await examplePolicies(), revocationStore: store, auditSink: audit, clock });
  return {
    authorize,
    config,
    key,
    clock,
    store,
    audit,
    mint: (claims = {}, ttlSeconds = 3600) =>
      mintToken(key, { tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"], ...claims }, {
        issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, subject: (claims.sub as string | undefined) ?? "vera", now: Math.floor(clock.now() / 1000), ttlSeconds,
      }),
    revokeSubject: async (sub) => {
      await revoke(store, { iss: EXAMPLE_ISSUER, sub }, { clock });
    },
  };
}
