import type { JWK } from "jose";
import { expectObject, refuseUnknownOptions } from "../config/fields.ts";
import { ConfigError } from "../errors.ts";
import { deepFreeze } from "./internal.ts";
// Discovery, introspection, DPoP and mTLS options; the first two are optional features a build may leave out
import { resolveDiscovery, resolveIntrospection } from "../features/index.ts";
import {
  resolveDpop, resolveMtls,
  type DiscoveryConfig, type DpopConfig, type IntrospectionConfig, type MtlsConfig,
  type ResolvedDiscovery, type ResolvedDpop, type ResolvedIntrospection, type ResolvedMtls,
} from "./provider-config.ts";

/** JWS algorithms Gatehouse accepts (RFC 7518 §3.1, RFC 8037). `none` is not one of them. */
export type JwsAlgorithm =
  | "RS256" | "RS384" | "RS512"
  | "PS256" | "PS384" | "PS512"
  | "ES256" | "ES384" | "ES512"
  | "EdDSA" | "Ed25519"
  | "HS256" | "HS384" | "HS512";

const ASYMMETRIC: ReadonlySet<string> = new Set(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"]);
// RFC 7518 §3.2: an HMAC key must be at least as long as the hash output.
const HMAC_MIN_BYTES: Readonly<Record<string, number>> = { HS256: 32, HS384: 48, HS512: 64 };

/** A JSON Web Key Set as an IdP publishes it (RFC 7517 §5). */
export interface JwkSet {
  keys: JWK[];
}

/** How one claim becomes one principal attribute. */
export interface AttributeMapping {
  /** Claim name, or a path into nested objects (`["realm_access", "roles"]`). Names may contain dots. */
  claim: string | string[];
  /** Cedar type the claim must have: string, boolean, long (safe integer) or a set of strings. */
  type: ClaimValueType;
  /** Value when the claim is absent; without one, the attribute is left out (Cedar `has` is false). */
  default?: string | boolean | number | string[];
}

/** The JSON types a claim may be mapped as. */
export type ClaimValueType = "string" | "boolean" | "long" | "string_set";

/**
 * How an issuer's verified claims become a Cedar principal and request context. Every field is
 * optional; the defaults suit the example policies (`User`, `tenant`, `suspended`, `Role` parents).
 */
export interface ClaimsMapping {
  /** Cedar entity type of the principal, e.g. `User` or `App::Client`; default `User`. */
  principalType?: string;
  /** Claims tried in order for the principal id; default `["sub", "client_id"]` (`client_id` for RFC 9068 client tokens without `sub`). */
  principalIdClaims?: string[];
  /** Principal attributes by name; default `{ tenant: string claim tenant, suspended: boolean claim suspended, default false }`. */
  attributes?: Record<string, AttributeMapping>;
  /** Parents from an array-of-strings claim, each `<entityType>::"<value>"`; default `{ claim: "groups", entityType: "Role" }`; `null` for none. */
  parents?: { claim: string | string[]; entityType: string } | null;
  /** Claims holding scopes: a space-separated string (`scope`, RFC 8693 §4.2) or an array of strings (`scp`); default `["scope", "scp"]`. */
  scopeClaims?: string[];
  /** Claim with authentication methods (RFC 8176), an array of strings; default `amr`; `null` to skip. */
  amrClaim?: string | null;
  /** Claim with the authentication context class, a string; default `acr`; `null` to skip. */
  acrClaim?: string | null;
}

/** One trusted token issuer (an IdP or tenant). Exactly one key source: `jwksUri`, `jwks` or `secret`. */
export interface IssuerConfig {
  /** Expected `iss`, compared exactly (no trailing-slash or case folding). Required. */
  issuer: string;
  /** Label for the audit log; default the `issuer` value. */
  name?: string;
  /** Accepted `aud` values (one must match); required, `null` skips the check in writing. */
  audience: string | string[] | null;
  /** Accepted `alg` values; required, no default. HS* only with `secret`, never with public keys. */
  algorithms: JwsAlgorithm[];
  /** HTTPS URL of the issuer's JWKS (http only for loopback hosts, for tests). The only URL ever fetched. */
  jwksUri?: string;
  /** Inline public keys, never fetched nor refreshed. */
  jwks?: JwkSet;
  /** Keys for a `jwksUri` issuer captured at build time, used until the first refresh is due (saves a cold isolate's fetch). */
  jwksPreload?: JwkSet;
  /** Shared secret for HS* service tokens, as UTF-8; at least as many bytes as the hash (32 for HS256). */
  secret?: string;
  /** Allowed clock skew for `exp`, `nbf` and `iat` (a future `iat` is refused on every issuer), in seconds; default 30, from 0 to 300. */
  clockToleranceSeconds?: number;
  /** Refuse tokens whose `iat` is older than this, in seconds; default `null` (no limit), from 1 to 31536000. Makes `iat` required. */
  maxAgeSeconds?: number | null;
  /** Required `typ` header, e.g. `at+jwt` (RFC 9068 §2.1); default `null` (not checked). */
  typ?: string | null;
  /** Claims → Cedar mapping; see `ClaimsMapping` for defaults. */
  claims?: ClaimsMapping;
  /** Deadline for one JWKS fetch including the body, in ms; default 3000, from 100 to 30000. */
  jwksTimeoutMs?: number;
  /** Minimum gap between two JWKS fetches not due to age (unknown `kid`, retry after failure), in ms; default 30000, from 1000 to 3600000. */
  jwksCooldownMs?: number;
  /** How long fetched keys are used before a refresh is due, in seconds; default 600, from 10 to 86400. */
  jwksCacheSeconds?: number;
  /** When refreshes fail, keep using the last good keys this long past `jwksCacheSeconds`, in seconds; default 3600, from 0 to 604800. Then fail closed. */
  jwksMaxStaleSeconds?: number;
  /** Find the JWKS through `<issuer>/.well-known/openid-configuration` (a key source, instead of `jwksUri`, `jwks` or `secret`); the `jwks*` timing options apply to both documents. */
  discovery?: true | DiscoveryConfig;
  /** Introspect this issuer's opaque tokens (or all its tokens) at its RFC 7662 endpoint. With `tokens: "all"` no key source is needed. */
  introspection?: IntrospectionConfig;
  /** DPoP proof checks (RFC 9449); tokens carrying `cnf.jkt` are checked with the defaults even without this. */
  dpop?: DpopConfig;
  /** Certificate binding (RFC 8705); tokens carrying `cnf["x5t#S256"]` are checked even without this. */
  mtls?: MtlsConfig;
}

/** The token stage's configuration (`GatehouseConfig.token`). Plain JSON. */
export interface TokenConfig {
  /** Trusted issuers, at least one, each `issuer` once. */
  issuers: IssuerConfig[];
  /** Longest accepted token, in bytes (characters; tokens are ASCII); default 8192, from 512 to 65536. */
  maxTokenBytes?: number;
  /** Verified-token cache; `null` disables it. */
  cache?: {
    /** Most tokens kept, least recently used evicted first; default 1000, from 0 (off) to 100000. */
    maxEntries?: number;
    /** Longest a verified token is kept, in seconds (never past its `exp`); default 60, from 1 to 3600. */
    ttlSeconds?: number;
  } | null;
}

/** A `ClaimsMapping` with every default filled in. */
export interface ResolvedClaimsMapping {
  readonly principalType: string;
  readonly principalIdClaims: readonly string[];
  readonly attributes: ReadonlyArray<{ readonly name: string; readonly path: readonly string[]; readonly type: ClaimValueType; readonly default?: string | boolean | number | readonly string[] }>;
  readonly parents: { readonly path: readonly string[]; readonly entityType: string } | null;
  readonly scopeClaims: readonly string[];
  readonly amrClaim: string | null;
  readonly acrClaim: string | null;
}

/** Where an issuer's keys come from, after validation. */
export type ResolvedKeySource =
  | {
      readonly kind: "remote";
      readonly uri: string;
      readonly timeoutMs: number;
      readonly cooldownMs: number;
      readonly freshMs: number;
      readonly maxStaleMs: number;
      readonly preload: JwkSet | null;
    }
  | { readonly kind: "inline"; readonly jwks: JwkSet }
  | { readonly kind: "secret"; readonly secret: Uint8Array }
  // Keys found through discovery; `none` for an issuer whose every token is introspected
  | ResolvedDiscovery
  | { readonly kind: "none" };

/** An issuer after validation, with its defaults filled in and its key material prepared. */
export interface ResolvedIssuer {
  readonly name: string;
  readonly issuer: string;
  readonly audience: readonly string[] | null;
  readonly algorithms: ReadonlySet<string>;
  readonly keys: ResolvedKeySource;
  readonly clockToleranceSeconds: number;
  readonly maxAgeSeconds: number | null;
  readonly typ: string | null;
  readonly claims: ResolvedClaimsMapping;
  readonly introspection: ResolvedIntrospection | null;
  readonly dpop: ResolvedDpop | null;
  readonly mtls: ResolvedMtls | null;
}

/** The validated token configuration; build it once with `validateTokenConfig`. */
export interface ResolvedTokenConfig {
  /** Issuers by exact `iss`. */
  readonly issuers: ReadonlyMap<string, ResolvedIssuer>;
  readonly maxTokenBytes: number;
  readonly cache: { readonly maxEntries: number; readonly ttlSeconds: number };
}

/** The mapping used when an issuer configures none; fits the example policies. */
export const defaultClaimsMapping: ResolvedClaimsMapping = deepFreeze({
  principalType: "User",
  principalIdClaims: ["sub", "client_id"],
  attributes: [
    { name: "tenant", path: ["tenant"], type: "string" },
    { name: "suspended", path: ["suspended"], type: "boolean", default: false },
  ],
  parents: { path: ["groups"], entityType: "Role" },
  scopeClaims: ["scope", "scp"],
  amrClaim: "amr",
  acrClaim: "acr",
});

/**
 * Checks a token configuration once at start and returns it resolved: defaults filled in, secrets
 * encoded, keys copied. The caller's object is left alone.
 * @throws ConfigError naming the field (`token.issuers[1].algorithms`) and what was expected.
 */
export function validateTokenConfig(raw: unknown, path = "token"): ResolvedTokenConfig {
  const config = expectObject(raw, path);
  const issuersRaw = config.issuers;
  if (!Array.isArray(issuersRaw) || issuersRaw.length === 0) {
    throw new ConfigError(`${path}.issuers`, `expected a non-empty array of issuers, got ${show(issuersRaw)}`);
  }
  const issuers = new Map<string, ResolvedIssuer>();
  issuersRaw.forEach((entry, index) => {
    const resolved = validateIssuer(entry, `${path}.issuers[${index}]`);
    if (issuers.has(resolved.issuer)) {
      throw new ConfigError(`${path}.issuers[${index}].issuer`, `expected each issuer once, got \`${resolved.issuer}\` twice`);
    }
    issuers.set(resolved.issuer, resolved);
  });
  // An opaque token names no issuer, so one issuer at most may introspect them
  const opaque = [...issuers.values()].filter((issuer) => issuer.introspection !== null && issuer.introspection.tokens === "opaque");
  if (opaque.length > 1) throw new ConfigError(`${path}.issuers`, `expected at most one issuer introspecting opaque tokens, got ${opaque.map((i) => `\`${i.name}\``).join(", ")}`);
  const maxTokenBytes = integerOption(config.maxTokenBytes, `${path}.maxTokenBytes`, 8192, 512, 65536);
  let cache = { maxEntries: 1000, ttlSeconds: 60 };
  if (config.cache === null) cache = { maxEntries: 0, ttlSeconds: 60 };
  else if (config.cache !== undefined) {
    const cacheRaw = expectObject(config.cache, `${path}.cache`);
    refuseUnknownOptions(cacheRaw, `${path}.cache`, ["maxEntries", "ttlSeconds"]);
    cache = {
      maxEntries: integerOption(cacheRaw.maxEntries, `${path}.cache.maxEntries`, 1000, 0, 100_000),
      ttlSeconds: integerOption(cacheRaw.ttlSeconds, `${path}.cache.ttlSeconds`, 60, 1, 3600),
    };
  }
  refuseUnknownOptions(config, path, ["issuers", "maxTokenBytes", "cache"]);
  return Object.freeze({ issuers, maxTokenBytes, cache: Object.freeze(cache) });
}

const ISSUER_FIELDS = [
  "issuer", "name", "audience", "algorithms", "jwksUri", "jwks", "jwksPreload", "secret", "clockToleranceSeconds",
  "maxAgeSeconds", "typ", "claims", "jwksTimeoutMs", "jwksCooldownMs", "jwksCacheSeconds", "jwksMaxStaleSeconds",
  "discovery", "introspection", "dpop", "mtls",
];

function validateIssuer(raw: unknown, path: string): ResolvedIssuer {
  const entry = expectObject(raw, path);
  refuseUnknownOptions(entry, path, ISSUER_FIELDS);
  const issuer = nonEmptyString(entry.issuer, `${path}.issuer`);
  const name = entry.name === undefined ? issuer : nonEmptyString(entry.name, `${path}.name`);

  if (!("audience" in entry)) {
    throw new ConfigError(`${path}.audience`, "expected a string or an array of strings; skipping the check takes an explicit null");
  }
  let audience: string[] | null = null;
  if (entry.audience !== null) {
    const list = typeof entry.audience === "string" ? [entry.audience] : entry.audience;
    if (!Array.isArray(list) || list.length === 0 || list.some((a) => typeof a !== "string" || a.length === 0)) {
      throw new ConfigError(`${path}.audience`, `expected a non-empty string, a non-empty array of them or null, got ${show(entry.audience)}`);
    }
    audience = [...list];
  }

  const algorithmsRaw = entry.algorithms;
  if (!Array.isArray(algorithmsRaw) || algorithmsRaw.length === 0) {
    throw new ConfigError(`${path}.algorithms`, `expected a non-empty array of JWS algorithms, got ${show(algorithmsRaw)}`);
  }
  for (const alg of algorithmsRaw) {
    if (typeof alg !== "string" || !(ASYMMETRIC.has(alg) || alg in HMAC_MIN_BYTES)) {
      throw new ConfigError(`${path}.algorithms`, `expected RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519, HS256, HS384 or HS512, got ${show(alg)}`);
    }
  }
  const algorithms = new Set<string>(algorithmsRaw as string[]);
  const symmetric = [...algorithms].filter((alg) => alg in HMAC_MIN_BYTES);
  const asymmetric = [...algorithms].filter((alg) => ASYMMETRIC.has(alg));

  const sources = (["jwksUri", "jwks", "secret", "discovery"] as const).filter((key) => entry[key] !== undefined);
  // An issuer whose every token is introspected needs no keys
  const introspection = entry.introspection === undefined ? null : resolveIntrospection(entry.introspection, `${path}.introspection`);
  const keyless = sources.length === 0 && introspection !== null && introspection.tokens === "all" && !introspection.jwtResponse;
  if (sources.length !== 1 && !keyless) {
    throw new ConfigError(path, `expected exactly one of jwksUri, jwks, secret or discovery, got ${sources.length === 0 ? "none" : sources.join(" and ")}`);
  }
  if (entry.jwksPreload !== undefined && sources[0] !== "jwksUri") {
    throw new ConfigError(`${path}.jwksPreload`, "expected only alongside jwksUri");
  }

  let keys: ResolvedKeySource;
  if (keyless) {
    keys = { kind: "none" };
  } else if (sources[0] === "secret") {
    // Alg confusion defence: a secret issuer never accepts a public-key algorithm and vice versa.
    if (asymmetric.length > 0) {
      throw new ConfigError(`${path}.algorithms`, `expected only HS256, HS384 or HS512 with a secret, got \`${asymmetric[0]}\``);
    }
    if (typeof entry.secret !== "string") throw new ConfigError(`${path}.secret`, "expected a string");
    const secret = new TextEncoder().encode(entry.secret);
    const needed = Math.max(...symmetric.map((alg) => HMAC_MIN_BYTES[alg]));
    if (secret.byteLength < needed) {
      // Never echo the secret itself.
      throw new ConfigError(`${path}.secret`, `expected at least ${needed} bytes for ${symmetric.join(", ")}, got ${secret.byteLength}`);
    }
    keys = { kind: "secret", secret };
  } else {
    if (symmetric.length > 0) {
      throw new ConfigError(`${path}.algorithms`, `expected no HS* algorithm for an issuer with public keys, got \`${symmetric[0]}\``);
    }
    if (sources[0] === "jwks") {
      keys = { kind: "inline", jwks: publicJwkSet(entry.jwks, `${path}.jwks`) };
    } else if (sources[0] === "discovery") {
      // The document and the key set it names share the jwks* timing options
      const cacheSeconds = integerOption(entry.jwksCacheSeconds, `${path}.jwksCacheSeconds`, 600, 10, 86_400);
      keys = resolveDiscovery(entry.discovery, issuer, {
        timeoutMs: integerOption(entry.jwksTimeoutMs, `${path}.jwksTimeoutMs`, 3000, 100, 30_000),
        cooldownMs: integerOption(entry.jwksCooldownMs, `${path}.jwksCooldownMs`, 30_000, 1000, 3_600_000),
        freshMs: cacheSeconds * 1000,
        maxStaleMs: integerOption(entry.jwksMaxStaleSeconds, `${path}.jwksMaxStaleSeconds`, 3600, 0, 604_800) * 1000,
      }, `${path}.discovery`);
    } else {
      const uri = jwksUrl(entry.jwksUri, `${path}.jwksUri`);
      const cacheSeconds = integerOption(entry.jwksCacheSeconds, `${path}.jwksCacheSeconds`, 600, 10, 86_400);
      const maxStaleSeconds = integerOption(entry.jwksMaxStaleSeconds, `${path}.jwksMaxStaleSeconds`, 3600, 0, 604_800);
      keys = {
        kind: "remote",
        uri,
        timeoutMs: integerOption(entry.jwksTimeoutMs, `${path}.jwksTimeoutMs`, 3000, 100, 30_000),
        cooldownMs: integerOption(entry.jwksCooldownMs, `${path}.jwksCooldownMs`, 30_000, 1000, 3_600_000),
        freshMs: cacheSeconds * 1000,
        maxStaleMs: maxStaleSeconds * 1000,
        preload: entry.jwksPreload === undefined ? null : publicJwkSet(entry.jwksPreload, `${path}.jwksPreload`),
      };
    }
  }
  if (keys.kind !== "remote" && keys.kind !== "discovery") {
    for (const field of ["jwksTimeoutMs", "jwksCooldownMs", "jwksCacheSeconds", "jwksMaxStaleSeconds"]) {
      if (entry[field] !== undefined) throw new ConfigError(`${path}.${field}`, "expected only alongside jwksUri");
    }
  }

  let maxAgeSeconds: number | null = null;
  if (entry.maxAgeSeconds !== undefined && entry.maxAgeSeconds !== null) {
    maxAgeSeconds = integerOption(entry.maxAgeSeconds, `${path}.maxAgeSeconds`, 0, 1, 31_536_000);
  }
  let typ: string | null = null;
  if (entry.typ !== undefined && entry.typ !== null) typ = nonEmptyString(entry.typ, `${path}.typ`);

  return Object.freeze({
    name,
    issuer,
    audience: audience && Object.freeze(audience),
    algorithms,
    keys: Object.freeze(keys),
    clockToleranceSeconds: integerOption(entry.clockToleranceSeconds, `${path}.clockToleranceSeconds`, 30, 0, 300),
    maxAgeSeconds,
    typ,
    claims: entry.claims === undefined ? defaultClaimsMapping : resolveClaimsMapping(entry.claims, `${path}.claims`),
    introspection,
    dpop: entry.dpop === undefined ? null : resolveDpop(entry.dpop, `${path}.dpop`),
    mtls: entry.mtls === undefined ? null : resolveMtls(entry.mtls, `${path}.mtls`),
  });
}

const CEDAR_TYPE = /^[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*$/;
const VALUE_TYPES: ReadonlySet<string> = new Set(["string", "boolean", "long", "string_set"]);

/**
 * Checks a claims mapping and fills in its defaults. Fields left out keep the default mapping's value.
 * @throws ConfigError naming the field.
 */
export function resolveClaimsMapping(raw: unknown, path = "claims"): ResolvedClaimsMapping {
  const mapping = expectObject(raw, path);
  refuseUnknownOptions(mapping, path, ["principalType", "principalIdClaims", "attributes", "parents", "scopeClaims", "amrClaim", "acrClaim"]);
  const base = defaultClaimsMapping;

  let principalType = base.principalType;
  if (mapping.principalType !== undefined) principalType = cedarType(mapping.principalType, `${path}.principalType`);
  const principalIdClaims = mapping.principalIdClaims === undefined ? base.principalIdClaims : stringList(mapping.principalIdClaims, `${path}.principalIdClaims`, false);

  let attributes = base.attributes;
  if (mapping.attributes !== undefined) {
    const attrs = expectObject(mapping.attributes, `${path}.attributes`);
    attributes = Object.keys(attrs).map((name) => {
      const at = `${path}.attributes.${name}`;
      const spec = expectObject(attrs[name], at);
      refuseUnknownOptions(spec, at, ["claim", "type", "default"]);
      const claimPath = claimPathOf(spec.claim, `${at}.claim`);
      if (typeof spec.type !== "string" || !VALUE_TYPES.has(spec.type)) {
        throw new ConfigError(`${at}.type`, `expected string, boolean, long or string_set, got ${show(spec.type)}`);
      }
      const type = spec.type as ClaimValueType;
      if (spec.default === undefined) return { name, path: claimPath, type };
      if (!valueHasType(spec.default, type)) throw new ConfigError(`${at}.default`, `expected a ${type} value, got ${show(spec.default)}`);
      const fallback = Array.isArray(spec.default) ? Object.freeze([...(spec.default as string[])]) : (spec.default as string | boolean | number);
      return { name, path: claimPath, type, default: fallback };
    });
  }

  let parents = base.parents;
  if (mapping.parents === null) parents = null;
  else if (mapping.parents !== undefined) {
    const spec = expectObject(mapping.parents, `${path}.parents`);
    refuseUnknownOptions(spec, `${path}.parents`, ["claim", "entityType"]);
    parents = { path: claimPathOf(spec.claim, `${path}.parents.claim`), entityType: cedarType(spec.entityType, `${path}.parents.entityType`) };
  }

  const scopeClaims = mapping.scopeClaims === undefined ? base.scopeClaims : stringList(mapping.scopeClaims, `${path}.scopeClaims`, true);
  const amrClaim = mapping.amrClaim === undefined ? base.amrClaim : mapping.amrClaim === null ? null : nonEmptyString(mapping.amrClaim, `${path}.amrClaim`);
  const acrClaim = mapping.acrClaim === undefined ? base.acrClaim : mapping.acrClaim === null ? null : nonEmptyString(mapping.acrClaim, `${path}.acrClaim`);
  return deepFreeze({ principalType, principalIdClaims, attributes, parents, scopeClaims, amrClaim, acrClaim });
}

/** Whether `value` has the Cedar-facing JSON type `type`. */
export function valueHasType(value: unknown, type: ClaimValueType): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "boolean":
      return typeof value === "boolean";
    case "long":
      // Cedar longs are 64-bit, but JSON numbers past 2^53 have already lost precision.
      return typeof value === "number" && Number.isSafeInteger(value);
    case "string_set":
      return Array.isArray(value) && value.every((item) => typeof item === "string");
  }
}

function publicJwkSet(raw: unknown, path: string): JwkSet {
  const set = expectObject(raw, path);
  if (!Array.isArray(set.keys) || set.keys.length === 0) throw new ConfigError(`${path}.keys`, `expected a non-empty array of JWKs, got ${show(set.keys)}`);
  const keys = set.keys.map((key: unknown, index: number) => {
    const jwk = expectObject(key, `${path}.keys[${index}]`);
    if (typeof jwk.kty !== "string") throw new ConfigError(`${path}.keys[${index}].kty`, `expected a string, got ${show(jwk.kty)}`);
    if (jwk.kty === "oct" || jwk.d !== undefined || jwk.k !== undefined) {
      // A private or symmetric key in a JWKS is a leak, and would enable alg confusion.
      throw new ConfigError(`${path}.keys[${index}]`, "expected a public key (no `d` or `k` member, kty not oct)");
    }
    return deepFreeze(structuredClone(jwk)) as JWK;
  });
  return Object.freeze({ keys: Object.freeze(keys) as JWK[] });
}

function jwksUrl(raw: unknown, path: string): string {
  const text = nonEmptyString(raw, path);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(path, `expected an absolute URL, got \`${text}\``);
  }
  const loopback = url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new ConfigError(path, `expected an https URL (http only for loopback), got \`${text}\``);
  }
  if (url.username || url.password) throw new ConfigError(path, "expected no credentials in the URL");
  return url.toString();
}

function claimPathOf(raw: unknown, path: string): string[] {
  if (typeof raw === "string" && raw.length > 0) return [raw];
  if (Array.isArray(raw) && raw.length > 0 && raw.every((part) => typeof part === "string" && part.length > 0)) return [...raw];
  throw new ConfigError(path, `expected a claim name or a non-empty array of names, got ${show(raw)}`);
}

function cedarType(raw: unknown, path: string): string {
  if (typeof raw !== "string" || !CEDAR_TYPE.test(raw)) throw new ConfigError(path, `expected a Cedar entity type such as \`User\` or \`App::User\`, got ${show(raw)}`);
  return raw;
}

function stringList(raw: unknown, path: string, allowEmpty: boolean): string[] {
  if (!Array.isArray(raw) || (!allowEmpty && raw.length === 0) || raw.some((item) => typeof item !== "string" || item.length === 0)) {
    throw new ConfigError(path, `expected ${allowEmpty ? "an" : "a non-empty"} array of claim names, got ${show(raw)}`);
  }
  return [...raw];
}

function nonEmptyString(raw: unknown, path: string): string {
  if (typeof raw !== "string" || raw.length === 0) throw new ConfigError(path, `expected a non-empty string, got ${show(raw)}`);
  return raw;
}

function integerOption(raw: unknown, path: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== "number" || !Number.isInteger(raw) || raw < min || raw > max) {
    throw new ConfigError(path, `expected an integer from ${min} to ${max}, got ${show(raw)}`);
  }
  return raw;
}

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return `\`${text.length > 60 ? `${text.slice(0, 57)}...` : text}\``;
}
