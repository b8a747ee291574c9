import { jwtVerify, type JWTPayload } from "jose";
import { systemClock, type Clock } from "../clock/index.ts";
import { ConfigError } from "../errors.ts";
import { validateTokenConfig, type ResolvedClaimsMapping, type ResolvedIssuer, type ResolvedTokenConfig, type TokenConfig } from "./config.ts";
import { decodeJsonSegment, deepFreeze } from "./internal.ts";
import { issuedInFuture } from "./issued-at.ts";
import { createKeyResolver, sharedJwksRegistry, type FetchLike, type JwksPersistence, type JwksRegistry, type KeyLookup } from "./jwks.ts";
import { tokenFailure, type TokenFailure } from "./reasons.ts";
import { createTokenCache } from "./token-cache.ts";
import type { Introspection } from "./introspect.ts";
// Optional: a build may leave introspection out (tools/build/features.ts)
import { createIntrospection } from "../features/index.ts";

/** Verified claims, frozen: the pipeline, policies and audit all read the same object. */
export type JwtClaims = Readonly<JWTPayload>;

/** A verified token. `issuer` is the configured issuer's `name`; `claimsMapping` feeds `mapClaims`. */
export interface TokenSuccess {
  readonly ok: true;
  readonly claims: JwtClaims;
  readonly issuer: string;
  readonly claimsMapping: ResolvedClaimsMapping;
  /** `hit`: answered from the verified-token cache. `jwksAgeSeconds`: age of the remote key set used, when one was. */
  readonly cache: { readonly hit: boolean; readonly jwksAgeSeconds?: number };
}

/** What `verify` answers: never an exception. */
export type VerifyOutcome = TokenSuccess | TokenFailure;

/** What a verifier depends on besides its configuration; each part has a plain default. */
export interface TokenVerifierOptions {
  /** Time source for expiry, cache and JWKS ages; default the system clock. */
  clock?: Clock;
  /** Used for JWKS URIs only; default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Second-level store for key sets (Workers KV, Cache API); default none. */
  persistence?: JwksPersistence | null;
  /** Where remote key sets live; default the isolate-wide registry. Tests pass their own. */
  jwksRegistry?: JwksRegistry;
  /** Receives the introspection built for issuers that configure one (#20); for tests and the bench. */
  onIntrospection?: (introspection: Introspection) => void;
}

/** Verifies bearer tokens against the configured issuers. Create once at start, call per request. */
export interface TokenVerifier {
  /** Verifies one compact JWS. Never throws, never rejects. */
  verify(token: string): Promise<VerifyOutcome>;
  /**
   * The verified-token cache's answer for `token`, synchronously: the success `verify` would
   * return from the cache, or `undefined` when the token is not cached (or has expired there), in
   * which case call `verify`. Never throws. Lets a fully cached request be decided without an
   * `await` (issue #22).
   */
  verifyCached(token: string): TokenSuccess | undefined;
  readonly config: ResolvedTokenConfig;
}

interface IssuerRuntime {
  readonly issuer: ResolvedIssuer;
  readonly resolveKey: (alg: string, kid: string | undefined) => Promise<KeyLookup>;
  readonly options: Parameters<typeof jwtVerify>[2];
}

interface CachedToken {
  readonly hit: TokenSuccess;
}

// Each segment of a compact JWS is unpadded base64url (RFC 7515 §7.1); checking the alphabet first
// keeps lenient base64 decoders from accepting whitespace or `+`/`/`.
const SEGMENT = /^[A-Za-z0-9_-]+$/;
const HIT = Object.freeze({ hit: true });

/**
 * Builds a token verifier. `config` may be raw (it is validated here) or already resolved by
 * `validateTokenConfig`.
 * @throws ConfigError when the raw configuration is invalid.
 */
export function createTokenVerifier(config: TokenConfig | ResolvedTokenConfig, options: TokenVerifierOptions = {}): TokenVerifier {
  const resolved: ResolvedTokenConfig = config.issuers instanceof Map ? (config as ResolvedTokenConfig) : validateTokenConfig(config);
  const clock = options.clock ?? systemClock;
  const deps = {
    clock,
    fetch: options.fetch ?? ((input: string, init: RequestInit) => fetch(input, init)),
    persistence: options.persistence ?? null,
    registry: bindRegistry(options.jwksRegistry ?? sharedJwksRegistry(clock), clock),
  };
  const runtimes = new Map<string, IssuerRuntime>();
  for (const [iss, issuer] of resolved.issuers) {
    runtimes.set(iss, {
      issuer,
      resolveKey: createKeyResolver(issuer, deps),
      options: {
        issuer: issuer.issuer,
        audience: issuer.audience === null ? undefined : [...issuer.audience],
        algorithms: [...issuer.algorithms],
        clockTolerance: issuer.clockToleranceSeconds,
        maxTokenAge: issuer.maxAgeSeconds ?? undefined,
        typ: issuer.typ ?? undefined,
        requiredClaims: ["exp"],
      },
    });
  }
  const maxTokenBytes = resolved.maxTokenBytes;
  const cacheEnabled = resolved.cache.maxEntries > 0;
  const cache = createTokenCache<CachedToken>(resolved.cache.maxEntries);
  const ttlMs = resolved.cache.ttlSeconds * 1000;
  // Opaque tokens go to the one issuer that introspects them; `tokens: "all"` issuers' JWTs too
  const introspecting = [...resolved.issuers.values()].filter((issuer) => issuer.introspection !== null);
  const introspection = introspecting.length === 0
    ? null
    : createIntrospection(introspecting, { ...deps, keys: (issuer, alg, kid) => runtimes.get(issuer.issuer)!.resolveKey(alg, kid) });
  const opaqueIssuer = introspecting.find((issuer) => issuer.introspection!.tokens === "opaque") ?? (introspecting.length === 1 ? introspecting[0] : undefined);
  if (introspection !== null) options.onIntrospection?.(introspection);

  // Expiry is re-checked on every hit: entries expire at min(exp + tolerance, cached + ttl).
  function cachedSuccess(token: string): TokenSuccess | undefined {
    const cached = cache.get(token, clock.now());
    return cached === undefined ? undefined : cached.hit;
  }

  async function verifyToken(token: string): Promise<VerifyOutcome> {
    if (typeof token !== "string" || token.length === 0) return tokenFailure("missing_token", "token");
    // Before any decoding: a 1 MiB token costs one length check.
    if (token.length > maxTokenBytes) return tokenFailure("too_large", "token");

    if (cacheEnabled) {
      const cached = cachedSuccess(token);
      if (cached !== undefined) return cached;
    }

    const parts = token.split(".");
    // A token that is not a compact JWS may be an opaque one its issuer introspects
    if (parts.length !== 3 && opaqueIssuer !== undefined) return introspection!.introspect(token, opaqueIssuer);
    // Five parts is a JWE (RFC 7516 §7.1): encrypted tokens are not accepted where a JWS is expected.
    if (parts.length !== 3) return tokenFailure("malformed", "token");
    const [headerPart, payloadPart, signaturePart] = parts;
    if (!SEGMENT.test(headerPart)) return tokenFailure("malformed", "header");
    if (!SEGMENT.test(payloadPart)) return tokenFailure("malformed", "payload");
    if (signaturePart.length > 0 && !SEGMENT.test(signaturePart)) return tokenFailure("malformed", "signature");

    const header = decodeJsonSegment(headerPart);
    if (header === undefined) return tokenFailure("malformed", "header");
    const alg = header.alg;
    if (typeof alg !== "string") return tokenFailure("malformed", "alg");
    // We implement no JWS extension, so any `crit` is one we do not understand (RFC 7515 §4.1.11).
    if (header.crit !== undefined) return tokenFailure("unknown_crit", "crit");
    const kid = header.kid;
    if (kid !== undefined && typeof kid !== "string") return tokenFailure("malformed", "kid");
    // `jku`, `x5u`, `jwk` and `x5c` are never read: keys come only from the issuer's configuration.

    const payload = decodeJsonSegment(payloadPart);
    if (payload === undefined) return tokenFailure("malformed", "payload");
    // The unverified `iss` only picks which keys to try; jose checks the verified `iss` again below.
    const runtime = typeof payload.iss === "string" ? runtimes.get(payload.iss) : undefined;
    if (runtime === undefined) return tokenFailure("wrong_issuer", "iss");
    const { issuer } = runtime;
    if (issuer.introspection !== null && issuer.introspection.tokens === "all") return introspection!.introspect(token, issuer);
    if (!issuer.algorithms.has(alg)) return tokenFailure("alg_not_allowed", "alg", issuer.name);
    if (signaturePart.length === 0) return tokenFailure("bad_signature", "signature", issuer.name);

    const found = await runtime.resolveKey(alg, kid);
    if (!found.ok) return found;

    const verifiedAt = clock.now();
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, found.key, { ...runtime.options, currentDate: new Date(verifiedAt) }));
    } catch (error) {
      return failureOf(error, issuer.name);
    }
    if (issuedInFuture(claims.iat, verifiedAt, issuer.clockToleranceSeconds)) return tokenFailure("issued_in_future", "iat", issuer.name);
    deepFreeze(claims);

    if (cacheEnabled) {
      const tolerance = issuer.clockToleranceSeconds;
      let expiresAtMs = Math.min(verifiedAt + ttlMs, ((claims.exp as number) + tolerance) * 1000);
      if (issuer.maxAgeSeconds !== null) expiresAtMs = Math.min(expiresAtMs, ((claims.iat as number) + issuer.maxAgeSeconds + tolerance) * 1000);
      const hit: TokenSuccess = Object.freeze({ ok: true, claims, issuer: issuer.name, claimsMapping: issuer.claims, cache: HIT });
      cache.set(token, { hit }, expiresAtMs);
    }
    const cacheInfo = found.jwksAgeSeconds === undefined ? { hit: false } : { hit: false, jwksAgeSeconds: found.jwksAgeSeconds };
    return { ok: true, claims, issuer: issuer.name, claimsMapping: issuer.claims, cache: cacheInfo };
  }

  return {
    config: resolved,
    verifyCached(token) {
      // The length bound keeps an oversized string from being hashed as a map key
      if ((!cacheEnabled && introspection === null) || typeof token !== "string" || token.length === 0 || token.length > maxTokenBytes) return undefined;
      try {
        const hit = cacheEnabled ? cachedSuccess(token) : undefined;
        if (hit !== undefined || introspection === null) return hit;
        // An introspected token's cached answer (keyed by its keyed hash)
        const answer = introspection.cached(token);
        return answer !== undefined && answer.ok ? answer : undefined;
      } catch {
        return undefined;
      }
    },
    async verify(token) {
      try {
        return await verifyToken(token);
      } catch {
        // Invariant: nothing above should throw; if something does, the request is refused, not crashed.
        return tokenFailure("malformed", "token");
      }
    },
  };
}

/** Maps jose's error codes (`panva/jose:src/util/errors.ts`) onto our reasons. */
function failureOf(error: unknown, issuerName: string): TokenFailure {
  const { code, claim, reason } = (error ?? {}) as { code?: unknown; claim?: unknown; reason?: unknown };
  switch (code) {
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return tokenFailure("bad_signature", "signature", issuerName);
    case "ERR_JWT_EXPIRED":
      // jose reports a too-old `iat` (maxTokenAge) as expired, with claim `iat`.
      return claim === "iat" ? tokenFailure("too_old", "iat", issuerName) : tokenFailure("expired", "exp", issuerName);
    case "ERR_JWT_CLAIM_VALIDATION_FAILED": {
      const field = typeof claim === "string" ? claim : "claims";
      if (field === "aud") return tokenFailure("wrong_audience", "aud", issuerName);
      if (field === "iss") return tokenFailure("wrong_issuer", "iss", issuerName);
      if (field === "typ") return tokenFailure("wrong_typ", "typ", issuerName);
      if (reason === "missing") return tokenFailure("missing_claim", field, issuerName);
      if (reason === "invalid") return tokenFailure("claim_type", field, issuerName);
      if (field === "iat") return tokenFailure("issued_in_future", "iat", issuerName);
      if (field === "nbf") return tokenFailure("not_yet_valid", "nbf", issuerName);
      return tokenFailure("claim_type", field, issuerName);
    }
    case "ERR_JOSE_ALG_NOT_ALLOWED":
    case "ERR_JOSE_NOT_SUPPORTED":
      return tokenFailure("alg_not_allowed", "alg", issuerName);
    case "ERR_JWS_INVALID":
    case "ERR_JWT_INVALID":
      return tokenFailure("malformed", "token", issuerName);
  }
  // jose raises TypeError for a key it will not use with this algorithm (e.g. RSA under 2048 bits).
  if (error instanceof TypeError) return tokenFailure("key_unusable", "kid", issuerName);
  return tokenFailure("malformed", "token", issuerName);
}

// A registry's cached fetch times belong to one clock; sharing it across clocks would make keys look
// fresh forever or stale at once
function bindRegistry(registry: JwksRegistry, clock: Clock): JwksRegistry {
  if (registry.clock === null) registry.clock = clock;
  else if (registry.clock !== clock) throw new ConfigError("jwksRegistry", "expected a key-set registry used with this verifier's clock only");
  return registry;
}
