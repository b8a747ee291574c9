// Shared setup for the token stage's tests: fixed time, issuers and one real key per algorithm.
import { createTestKey, type TestAlgorithm, type TestKey } from "../../harness/index.ts";
import type { IssuerConfig, TokenConfig } from "../../../shared/token/index.ts";

/** Frozen test time, in seconds since the epoch (2027-01-15). */
export const NOW_S = 1_800_000_000;
export const NOW_MS = NOW_S * 1000;
export const ISSUER = "https://idp.example.test/";
export const AUDIENCE = "https://api.example.test";
/** 32 bytes: the shortest secret HS256 accepts. */
export const SECRET = "service-secret-0123456789abcdefg";

export const ASYMMETRIC: TestAlgorithm[] = ["RS256", "PS256", "ES256", "ES384", "EdDSA"];

const keyCache = new Map<string, Promise<TestKey>>();

/** One key per algorithm and label, generated once per test file (RSA generation is slow). */
export function testKey(alg: TestAlgorithm, label = "a"): Promise<TestKey> {
  const id = `${alg}-${label}`;
  let pending = keyCache.get(id);
  if (pending === undefined) {
    pending = createTestKey(alg, `${alg.toLowerCase()}-${label}`);
    keyCache.set(id, pending);
  }
  return pending;
}

/** An issuer with inline keys, the given algorithms and overrides. */
export function inlineIssuer(keys: TestKey[], overrides: Partial<IssuerConfig> = {}): IssuerConfig {
  return {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: [...new Set(keys.map((k) => k.alg))],
    jwks: { keys: keys.map((k) => k.publicJwk) },
    ...overrides,
  };
}

/** A token configuration around issuers. */
export function tokenConfig(issuers: IssuerConfig[], overrides: Partial<TokenConfig> = {}): TokenConfig {
  return { issuers, ...overrides };
}

/** Standard mint options at the frozen time. */
export function at(now = NOW_S, extra: { ttlSeconds?: number; header?: Record<string, unknown>; audience?: string | string[] } = {}) {
  return { issuer: ISSUER, audience: extra.audience ?? AUDIENCE, subject: "user-1", now, ttlSeconds: extra.ttlSeconds, header: extra.header };
}
