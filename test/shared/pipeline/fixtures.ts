// Shared set-up for pipeline tests: the example policy project compiled for real, a real ES256 key,
// a frozen clock and a memory audit sink.
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { memorySink } from "../../../shared/audit/index.ts";
import { frozenClock } from "../../../shared/clock/index.ts";
import { createAuthorizer, type AuthorizeInput, type AuthorizerDeps, type GatehouseConfig } from "../../../shared/pipeline/index.ts";
import type { CompiledPolicySet } from "../../../shared/policy/index.ts";
import { compilePolicyProject, loadPolicyModule } from "../../../tools/compiler/index.ts";
import { createTestKey, mintToken, type TestKey } from "../../harness/index.ts";

export const ISSUER = "https://dev.gatehouse.local";
export const AUDIENCE = "gatehouse-demo";
/** 2026-11-22T10:00:00Z */
export const NOW_MS = Date.UTC(2026, 10, 22, 10, 0, 0);
export const POLICIES_DIR = new URL("../../../policies", import.meta.url).pathname;

let compiled: Promise<CompiledPolicySet> | undefined;
/** The example policies, compiled once per test file. */
export function examplePolicies(): Promise<CompiledPolicySet> {
  compiled ??= loadPolicyModule(compilePolicyProject({ policiesDir: POLICIES_DIR }).source);
  return compiled;
}

export const exampleRoutes = JSON.parse(readFileSync(`${POLICIES_DIR}/routes.json`, "utf8"));

export interface ExampleCase {
  name: string;
  claims: Record<string, unknown>;
  request: string;
  expect: "allow" | "deny";
  policies?: string[];
  liveEntities?: unknown[];
}

/** `policies/tests/*.yaml` cases with their defaults merged in. */
export function exampleCases(): ExampleCase[] {
  const doc = parseYaml(readFileSync(`${POLICIES_DIR}/tests/orders.yaml`, "utf8")) as { defaults: { claims: Record<string, unknown> }; cases: ExampleCase[] };
  // Cases with live entity records need an entity store; differential.test.ts and entities.test.ts decide them
  return doc.cases.filter((c) => c.liveEntities === undefined).map((c) => ({ ...c, claims: { ...doc.defaults.claims, ...c.claims } }));
}

export function baseConfig(key: TestKey, overrides: Partial<GatehouseConfig> = {}): GatehouseConfig {
  return {
    token: { issuers: [{ issuer: ISSUER, audience: AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } }] },
    routes: exampleRoutes,
    revocation: { store: { kind: "memory" } },
    ...overrides,
  };
}

/** Headers with a case-insensitive `get`, as every platform provides. */
export function headers(record: Record<string, string> = {}): Headers {
  return new Headers(record);
}

export function input(method: string, path: string, token?: string, extra: Partial<AuthorizeInput> = {}): AuthorizeInput {
  return { platform: "worker", method, path, headers: headers(token === undefined ? {} : { authorization: `Bearer ${token}` }), clientIp: "203.0.113.7", ...extra };
}

export async function setup(overrides: Partial<GatehouseConfig> = {}, deps: Partial<AuthorizerDeps> = {}) {
  const key = await createTestKey("ES256");
  const clock = frozenClock(NOW_MS);
  const sink = memorySink();
  const policies = await examplePolicies();
  const authorize = createAuthorizer(baseConfig(key, overrides), { policies, clock, auditSink: sink, ...deps });
  const token = (claims: Record<string, unknown>, options: { ttlSeconds?: number; now?: number; audience?: string; issuer?: string } = {}) =>
    mintToken(key, claims, { issuer: options.issuer ?? ISSUER, audience: options.audience ?? AUDIENCE, now: options.now ?? NOW_MS / 1000, ttlSeconds: options.ttlSeconds ?? 300 });
  return { key, clock, sink, policies, authorize, token };
}

export const viewer = { sub: "vera", tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] };
export const admin = { sub: "ada", tenant: "acme", groups: ["admin"], scope: "orders:read orders:write", amr: ["pwd", "mfa"] };
