// Issuer options for identity providers as they are deployed (issue #20): keys found through OIDC
// discovery, opaque tokens read by introspection (RFC 7662), and sender-constrained tokens (DPoP,
// RFC 9449; mTLS, RFC 8705). Checked once at start, like the rest of the token configuration.
import type { JWK } from "jose";
import { expectObject, refuseUnknownOptions } from "../config/fields.ts";
import { ConfigError } from "../errors.ts";
import { createDpopNonces, type DpopNonces } from "./dpop-nonce.ts";

/** Keys through the issuer's `/.well-known/openid-configuration` instead of `jwksUri`, `jwks` or `secret`. */
export interface DiscoveryConfig {
  /** Hosts the document's `jwks_uri` may name (exact, lower case); default only the issuer's own host. */
  jwksHosts?: string[];
  /** Accept `http:` discovery and `jwks_uri` on loopback hosts (tests only); default `false`: https only. */
  allowLoopbackHttp?: boolean;
}

/** How Gatehouse authenticates to the introspection endpoint (RFC 7662 §2.1, RFC 7523). */
export type IntrospectionClientAuth = "client_secret_basic" | "private_key_jwt";

/** What the issuer's tokens are introspected for. */
export type IntrospectedTokens = "opaque" | "all";

/** What a request does when the introspection endpoint gives no answer in time. */
export type IntrospectionFailMode = "closed" | "stale";

/** Introspection of the issuer's tokens (RFC 7662). */
export interface IntrospectionConfig {
  /** The endpoint, https (http only for loopback hosts, for tests). The only URL ever posted to. */
  endpoint: string;
  /** Gatehouse's client id at the authorization server. */
  clientId: string;
  /** `client_secret_basic` (needs `clientSecret`) or `private_key_jwt` (needs `privateKey`). */
  clientAuth: IntrospectionClientAuth;
  /** The client secret for `client_secret_basic`. */
  clientSecret?: string;
  /** The private JWK (with `alg`, or `privateKeyAlg`) that signs the client assertion for `private_key_jwt`. */
  privateKey?: JWK;
  /** Algorithm of the client assertion; default the key's `alg`. */
  privateKeyAlg?: string;
  /** `opaque` (default): tokens that are not a compact JWS; `all`: this issuer's JWTs too, by their `iss`. */
  tokens?: IntrospectedTokens;
  /** Longest an active answer is kept, in ms (never past the token's `exp`); default 60000, from 0 to 3600000. */
  cacheTtlMs?: number;
  /** How long an inactive answer is kept, in ms; default 5000, from 0 to 60000. */
  negativeCacheTtlMs?: number;
  /** Most answers kept, least recently used dropped first; default 10000, from 1 to 1000000. */
  cacheMaxEntries?: number;
  /** Deadline for one introspection call, body included, in ms; default 1000, from 10 to 30000. */
  deadlineMs?: number;
  /** `closed` (default): no answer is a 503; `stale`: an expired active answer is served up to `maxStaleMs`, then closed. */
  failMode?: IntrospectionFailMode;
  /** How long past its cache lifetime an answer may be served under `stale`, in ms; default 60000, from 0 to 3600000. */
  maxStaleMs?: number;
  /** Ask for a signed JWT answer (RFC 9701) and use it only once verified with the issuer's keys; default `false`. */
  jwtResponse?: boolean;
}

/** DPoP (RFC 9449) proof checks for the issuer's tokens. A token with `cnf.jkt` is always checked. */
export interface DpopConfig {
  /** Refuse this issuer's tokens unless DPoP-bound; default `false`. */
  required?: boolean;
  /** Proof algorithms accepted (asymmetric only); default `["ES256", "EdDSA", "Ed25519", "PS256", "RS256"]`. */
  algorithms?: string[];
  /** How far a proof's `iat` may be from now, in seconds; default 60, from 1 to 600. */
  iatWindowSeconds?: number;
  /** Require a server nonce in each proof (RFC 9449 §8), made and checked with `secret`. */
  nonce?: DpopNonceConfig;
}

/** Stateless DPoP nonces: every instance with the same `secret` accepts the others' nonces. */
export interface DpopNonceConfig {
  /** The HMAC key; at least 32 characters, the same on every instance. */
  secret: string;
  /** How long one nonce is handed out, in seconds; it is accepted for two windows. Default 300, from 10 to 3600. */
  windowSeconds?: number;
}

/** Certificate-bound tokens (RFC 8705 §3). A token with `cnf["x5t#S256"]` is always checked. */
export interface MtlsConfig {
  /** Refuse this issuer's tokens unless certificate-bound; default `false`. */
  required?: boolean;
}

export interface ResolvedDiscovery {
  readonly kind: "discovery";
  /** `<issuer>/.well-known/openid-configuration`, the only URL fetched for it. */
  readonly uri: string;
  readonly jwksHosts: ReadonlySet<string>;
  readonly allowLoopbackHttp: boolean;
  readonly timeoutMs: number;
  readonly cooldownMs: number;
  readonly freshMs: number;
  readonly maxStaleMs: number;
}

export interface ResolvedIntrospection {
  readonly endpoint: string;
  readonly clientId: string;
  readonly clientAuth: IntrospectionClientAuth;
  readonly clientSecret: string | null;
  readonly privateKey: JWK | null;
  readonly privateKeyAlg: string | null;
  readonly tokens: IntrospectedTokens;
  readonly cacheTtlMs: number;
  readonly negativeCacheTtlMs: number;
  readonly cacheMaxEntries: number;
  readonly deadlineMs: number;
  readonly failMode: IntrospectionFailMode;
  readonly maxStaleMs: number;
  readonly jwtResponse: boolean;
}

export interface ResolvedDpop {
  readonly required: boolean;
  readonly algorithms: ReadonlySet<string>;
  readonly iatWindowSeconds: number;
  /** The issuer's nonces, or `null` when proofs need none. */
  readonly nonce: DpopNonces | null;
}

export interface ResolvedMtls {
  readonly required: boolean;
}

const DPOP_ALGORITHMS = ["ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512", "EdDSA", "Ed25519"];
const DEFAULT_DPOP_ALGORITHMS = ["ES256", "EdDSA", "Ed25519", "PS256", "RS256"];

/** Whether `hostname` (as `URL.hostname` gives it) is a loopback name. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "127.0.0.1" || hostname === "[::1]";
}

/** Checks `discovery`; the timing options are the issuer's `jwks*` ones, already checked. */
export function resolveDiscovery(
  raw: unknown,
  issuer: string,
  timing: { timeoutMs: number; cooldownMs: number; freshMs: number; maxStaleMs: number },
  path: string,
): ResolvedDiscovery {
  const options = raw === true ? {} : expectObject(raw, path, "`true` or an object");
  refuseUnknownOptions(options, path, ["jwksHosts", "allowLoopbackHttp"]);
  const allowLoopbackHttp = options.allowLoopbackHttp === undefined ? false : bool(options.allowLoopbackHttp, `${path}.allowLoopbackHttp`);
  let base: URL;
  try {
    base = new URL(issuer);
  } catch {
    throw new ConfigError(`${path}`, `expected the issuer to be an absolute URL for discovery, got \`${issuer}\``);
  }
  if (base.protocol !== "https:" && !(allowLoopbackHttp && base.protocol === "http:" && isLoopbackHost(base.hostname))) {
    throw new ConfigError(path, `expected an https issuer for discovery (http only for loopback with allowLoopbackHttp), got \`${issuer}\``);
  }
  if (base.search !== "" || base.hash !== "" || base.username !== "" || base.password !== "") {
    throw new ConfigError(path, `expected an issuer without query, fragment or credentials, got \`${issuer}\``);
  }
  let jwksHosts = [base.host];
  if (options.jwksHosts !== undefined) {
    const list = options.jwksHosts;
    if (!Array.isArray(list) || list.length === 0 || list.some((h) => typeof h !== "string" || !/^[a-z0-9.\-:[\]]+$/.test(h))) {
      throw new ConfigError(`${path}.jwksHosts`, "expected a non-empty array of lower-case host names (with `:port` where not the default)");
    }
    jwksHosts = list as string[];
  }
  // OpenID Connect Discovery §4: the path is appended to the issuer, any trailing slash removed first
  const uri = issuer.replace(/\/+$/, "") + "/.well-known/openid-configuration";
  return Object.freeze({ kind: "discovery", uri, jwksHosts: new Set(jwksHosts), allowLoopbackHttp, ...timing });
}

/** Checks `introspection`. */
export function resolveIntrospection(raw: unknown, path: string): ResolvedIntrospection {
  const options = expectObject(raw, path);
  refuseUnknownOptions(options, path, ["endpoint", "clientId", "clientAuth", "clientSecret", "privateKey", "privateKeyAlg", "tokens", "cacheTtlMs", "negativeCacheTtlMs", "cacheMaxEntries", "deadlineMs", "failMode", "maxStaleMs", "jwtResponse"]);
  const endpoint = endpointUrl(options.endpoint, `${path}.endpoint`);
  const clientId = text(options.clientId, `${path}.clientId`);
  const clientAuth = oneOf(options.clientAuth, ["client_secret_basic", "private_key_jwt"] as const, `${path}.clientAuth`, undefined);
  let clientSecret: string | null = null;
  let privateKey: JWK | null = null;
  let privateKeyAlg: string | null = null;
  if (clientAuth === "client_secret_basic") {
    // Never echo the secret itself
    if (typeof options.clientSecret !== "string" || options.clientSecret.length === 0) throw new ConfigError(`${path}.clientSecret`, "expected a non-empty string for client_secret_basic");
    if (options.privateKey !== undefined) throw new ConfigError(`${path}.privateKey`, "expected only with private_key_jwt");
    clientSecret = options.clientSecret;
  } else {
    if (options.clientSecret !== undefined) throw new ConfigError(`${path}.clientSecret`, "expected only with client_secret_basic");
    const key = expectObject(options.privateKey, `${path}.privateKey`, "a private JWK", { secret: true });
    if (typeof key.kty !== "string" || typeof key.d !== "string" || key.kty === "oct") throw new ConfigError(`${path}.privateKey`, "expected an asymmetric private JWK (with `d`)");
    privateKeyAlg = options.privateKeyAlg === undefined ? (typeof key.alg === "string" ? key.alg : null) : text(options.privateKeyAlg, `${path}.privateKeyAlg`);
    if (privateKeyAlg === null || !DPOP_ALGORITHMS.includes(privateKeyAlg)) throw new ConfigError(`${path}.privateKeyAlg`, `expected one of ${DPOP_ALGORITHMS.join(", ")} (or the key's \`alg\`)`);
    privateKey = Object.freeze({ ...(key as JWK) });
  }
  return Object.freeze({
    endpoint,
    clientId,
    clientAuth,
    clientSecret,
    privateKey,
    privateKeyAlg,
    tokens: oneOf(options.tokens, ["opaque", "all"] as const, `${path}.tokens`, "opaque"),
    cacheTtlMs: integer(options.cacheTtlMs, `${path}.cacheTtlMs`, 60_000, 0, 3_600_000),
    negativeCacheTtlMs: integer(options.negativeCacheTtlMs, `${path}.negativeCacheTtlMs`, 5000, 0, 60_000),
    cacheMaxEntries: integer(options.cacheMaxEntries, `${path}.cacheMaxEntries`, 10_000, 1, 1_000_000),
    deadlineMs: integer(options.deadlineMs, `${path}.deadlineMs`, 1000, 10, 30_000),
    failMode: oneOf(options.failMode, ["closed", "stale"] as const, `${path}.failMode`, "closed"),
    maxStaleMs: integer(options.maxStaleMs, `${path}.maxStaleMs`, 60_000, 0, 3_600_000),
    jwtResponse: options.jwtResponse === undefined ? false : bool(options.jwtResponse, `${path}.jwtResponse`),
  });
}

/** Checks `dpop`. */
export function resolveDpop(raw: unknown, path: string): ResolvedDpop {
  const options = expectObject(raw, path);
  refuseUnknownOptions(options, path, ["required", "algorithms", "iatWindowSeconds", "nonce"]);
  let algorithms = DEFAULT_DPOP_ALGORITHMS;
  if (options.algorithms !== undefined) {
    const list = options.algorithms;
    // RFC 9449 §4.2: the proof is signed with an asymmetric key; `none` and MACs are never accepted
    if (!Array.isArray(list) || list.length === 0 || list.some((a) => typeof a !== "string" || !DPOP_ALGORITHMS.includes(a))) {
      throw new ConfigError(`${path}.algorithms`, `expected a non-empty array of ${DPOP_ALGORITHMS.join(", ")}`);
    }
    algorithms = list as string[];
  }
  return Object.freeze({
    required: options.required === undefined ? false : bool(options.required, `${path}.required`),
    algorithms: new Set(algorithms),
    iatWindowSeconds: integer(options.iatWindowSeconds, `${path}.iatWindowSeconds`, 60, 1, 600),
    nonce: options.nonce === undefined ? null : resolveDpopNonce(options.nonce, `${path}.nonce`),
  });
}

function resolveDpopNonce(raw: unknown, path: string): DpopNonces {
  const options = expectObject(raw, path);
  refuseUnknownOptions(options, path, ["secret", "windowSeconds"]);
  const secret = text(options.secret, `${path}.secret`);
  if (secret.length < 32) throw new ConfigError(`${path}.secret`, "expected at least 32 characters");
  return createDpopNonces(secret, integer(options.windowSeconds, `${path}.windowSeconds`, 300, 10, 3600));
}

/** Checks `mtls`. */
export function resolveMtls(raw: unknown, path: string): ResolvedMtls {
  const options = expectObject(raw, path);
  refuseUnknownOptions(options, path, ["required"]);
  return Object.freeze({ required: options.required === undefined ? false : bool(options.required, `${path}.required`) });
}

function endpointUrl(raw: unknown, path: string): string {
  const value = text(raw, path);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(path, `expected an absolute URL, got \`${value}\``);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) throw new ConfigError(path, `expected an https URL (http only for loopback), got \`${value}\``);
  if (url.username || url.password) throw new ConfigError(path, "expected no credentials in the URL");
  return url.toString();
}

function text(raw: unknown, path: string): string {
  if (typeof raw !== "string" || raw.length === 0) throw new ConfigError(path, "expected a non-empty string");
  return raw;
}

function bool(raw: unknown, path: string): boolean {
  if (typeof raw !== "boolean") throw new ConfigError(path, "expected true or false");
  return raw;
}

function integer(raw: unknown, path: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== "number" || !Number.isInteger(raw) || raw < min || raw > max) throw new ConfigError(path, `expected an integer from ${min} to ${max}`);
  return raw;
}

function oneOf<T extends string>(raw: unknown, values: readonly T[], path: string, fallback: T | undefined): T {
  if (raw === undefined && fallback !== undefined) return fallback;
  if (typeof raw !== "string" || !(values as readonly string[]).includes(raw)) throw new ConfigError(path, `expected ${values.map((v) => `\`${v}\``).join(" or ")}`);
  return raw as T;
}
