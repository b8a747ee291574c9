// Readiness (#19): whether this instance can decide requests now, as opposed to liveness (`/health`:
// the process answers). An orchestrator routes traffic only to ready instances.
import type { Clock } from "../clock/index.ts";
import type { RevocationChecker } from "../revocation/check.ts";
import type { ResolvedTokenConfig } from "../token/config.ts";
import { createKeyResolver, type FetchLike, type JwksPersistence, type JwksRegistry } from "../token/jwks.ts";

/** The answer of a readiness check: `ready`, and one state per dependency. */
export interface Readiness {
  readonly ready: boolean;
  /**
   * `jwks:<issuer name>`: `ok` (keys inline, or fetched within `jwksCacheSeconds` + `jwksMaxStaleSeconds`)
   * or `unavailable`; `revocation`: `ok` (breaker closed), `probing` (half open: counted ready) or
   * `unavailable` (breaker open), or `off` with `revocation: null`.
   */
  readonly checks: Readonly<Record<string, "ok" | "probing" | "unavailable" | "off">>;
}

/** What the check reads: the same registry, clock and fetch the verifier uses. */
export interface ReadinessDeps {
  readonly token: ResolvedTokenConfig;
  readonly checker: RevocationChecker | null;
  readonly registry: JwksRegistry;
  readonly clock: Clock;
  readonly fetch: FetchLike;
  readonly persistence: JwksPersistence | null;
}

/**
 * Builds the check. A remote key set not yet loaded (a fresh instance) is fetched once through the
 * verifier's own resolver, from the configured `jwksUri` only, so a new instance becomes ready
 * without waiting for its first request; its cooldown applies, so probes cannot hammer the IdP.
 */
export function createReadinessCheck(deps: ReadinessDeps): () => Promise<Readiness> {
  const remote = [...deps.token.issuers.values()].filter((issuer) => issuer.keys.kind === "remote");
  const resolvers = new Map(remote.map((issuer) => [issuer.name, createKeyResolver(issuer, deps)]));
  const usable = (uri: string, freshMs: number, maxStaleMs: number): boolean => {
    const entry = deps.registry.entries.get(uri);
    return entry !== undefined && entry.keys !== null && deps.clock.now() - entry.fetchedAtMs <= freshMs + maxStaleMs;
  };
  return async function checkReadiness() {
    const checks: Record<string, Readiness["checks"][string]> = {};
    for (const issuer of deps.token.issuers.values()) {
      const source = issuer.keys;
      if (source.kind !== "remote") {
        checks[`jwks:${issuer.name}`] = "ok";
        continue;
      }
      if (!usable(source.uri, source.freshMs, source.maxStaleMs)) {
        // Any algorithm and no kid: the resolver loads the set (or answers its failure) either way
        await resolvers.get(issuer.name)!([...issuer.algorithms][0], undefined).catch(() => undefined);
      }
      checks[`jwks:${issuer.name}`] = usable(source.uri, source.freshMs, source.maxStaleMs) ? "ok" : "unavailable";
    }
    const breaker = deps.checker === null ? null : deps.checker.breakerState();
    checks.revocation = breaker === null ? "off" : breaker === "closed" ? "ok" : breaker === "half_open" ? "probing" : "unavailable";
    return { ready: Object.values(checks).every((state) => state !== "unavailable"), checks };
  };
}
