// Token introspection (RFC 7662, issue #20): tokens only the authorization server can read. Answers
// are cached by a keyed hash of the token (HMAC-SHA-256 under a key drawn per verifier), never by
// the token, so neither a heap dump of the cache nor a log of its keys gives a usable token.
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { importJWK, jwtVerify, SignJWT, type JWTPayload } from "jose";
import type { Clock } from "../clock/index.ts";
import type { ResolvedIssuer } from "./config.ts";
import { deepFreeze, isRecord } from "./internal.ts";
import type { FetchLike, KeyLookup } from "./jwks.ts";
import type { ResolvedIntrospection } from "./provider-config.ts";
import { readLimitedText } from "./read-limited.ts";
import { tokenFailure, type TokenFailure } from "./reasons.ts";
import type { TokenSuccess } from "./verify.ts";

/** What an introspection answers: the same outcome as a verified JWT's, never an exception. */
export type IntrospectionOutcome = TokenSuccess | TokenFailure;

/** Introspects tokens for the issuers that configure it, with one answer cache for all of them. */
export interface Introspection {
  /** The cached answer for `token` while it is fresh, synchronously; `undefined` on a miss. Never throws. */
  cached(token: string): IntrospectionOutcome | undefined;
  /** Asks `issuer`'s endpoint (or the cache, or a concurrent call for the same token). Never rejects. */
  introspect(token: string, issuer: ResolvedIssuer): Promise<IntrospectionOutcome>;
  /** Answers kept now, for tests and the bench. */
  readonly size: number;
  /** The cache keys held now (keyed hashes), for tests that check no token is among them. */
  keys(): IterableIterator<string>;
}

interface Entry {
  readonly outcome: IntrospectionOutcome;
  readonly expiresAtMs: number;
  /** Until when `failMode: "stale"` may serve it after expiry (never past the token's own `exp`). */
  readonly staleUntilMs: number;
}

const MAX_RESPONSE_BYTES = 64 * 1024;
const HIT = Object.freeze({ hit: true });
const MISS = Object.freeze({ hit: false });

/** The issuer's signing keys, for RFC 9701 answers. */
export type IssuerKeys = (issuer: ResolvedIssuer, alg: string, kid: string | undefined) => Promise<KeyLookup>;

/** Builds the introspection of `issuers` (those with `introspection` set). */
export function createIntrospection(issuers: readonly ResolvedIssuer[], deps: { clock: Clock; fetch: FetchLike; keys?: IssuerKeys }): Introspection {
  const { clock } = deps;
  const maxEntries = Math.max(1, ...issuers.map((issuer) => issuer.introspection?.cacheMaxEntries ?? 1));
  const entries = new Map<string, Entry>();
  const inflight = new Map<string, Promise<IntrospectionOutcome>>();
  const signers = new Map<ResolvedIssuer, Promise<CryptoKey | Uint8Array>>();

  // The key is drawn on first use: workerd refuses random values at module scope, where a verifier may be built.
  // One working copy, reset from the keyed state per token (as shared/audit/keyed-hash.ts does): no hash objects per lookup
  const startHashing = () => {
    const keyed = hmac.create(sha256, crypto.getRandomValues(new Uint8Array(32)));
    return { keyed, work: keyed.clone() };
  };
  let hashing: ReturnType<typeof startHashing> | undefined;
  const hashOf = (token: string): string => {
    hashing ??= startHashing();
    hashing.work = hashing.keyed._cloneInto(hashing.work);
    return bytesToHex(hashing.work.update(utf8ToBytes(token)).digest());
  };

  function fresh(key: string, now: number): Entry | undefined {
    const entry = entries.get(key);
    return entry !== undefined && now < entry.expiresAtMs ? entry : undefined;
  }

  function store(key: string, entry: Entry): void {
    entries.delete(key);
    // Insertion order is age order: the first key is the oldest
    while (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
    entries.set(key, entry);
  }

  async function ask(key: string, token: string, issuer: ResolvedIssuer, config: ResolvedIntrospection): Promise<IntrospectionOutcome> {
    const answer = await call(token, issuer, config, deps.fetch, signers, clock, deps.keys);
    const now = clock.now();
    if (answer === undefined) {
      // No usable answer: `stale` may serve the last active answer, within its bounds
      const last = entries.get(key);
      if (config.failMode === "stale" && last !== undefined && last.outcome.ok && now < last.staleUntilMs) return last.outcome;
      return tokenFailure("introspection_unavailable", "introspection", issuer.name);
    }
    const judged = judge(answer, issuer, now);
    if (!judged.ok) {
      if (config.negativeCacheTtlMs > 0) store(key, { outcome: judged, expiresAtMs: now + config.negativeCacheTtlMs, staleUntilMs: 0 });
      return judged;
    }
    const expMs = typeof judged.claims.exp === "number" ? (judged.claims.exp + issuer.clockToleranceSeconds) * 1000 : Infinity;
    if (config.cacheTtlMs > 0) {
      const hit: TokenSuccess = Object.freeze({ ...judged, cache: HIT });
      store(key, { outcome: hit, expiresAtMs: Math.min(now + config.cacheTtlMs, expMs), staleUntilMs: Math.min(now + config.cacheTtlMs + config.maxStaleMs, expMs) });
    }
    return judged;
  }

  return {
    cached(token) {
      try {
        return fresh(hashOf(token), clock.now())?.outcome;
      } catch {
        return undefined;
      }
    },
    async introspect(token, issuer) {
      const config = issuer.introspection!;
      const key = hashOf(token);
      const hit = fresh(key, clock.now());
      if (hit !== undefined) return hit.outcome;
      // Concurrent misses for one token share one call
      let pending = inflight.get(key);
      if (pending === undefined) {
        pending = ask(key, token, issuer, config).finally(() => inflight.delete(key));
        inflight.set(key, pending);
      }
      return pending;
    },
    get size() {
      return entries.size;
    },
    keys() {
      return entries.keys();
    },
  };
}

/** Reads an RFC 7662 answer into an outcome: `active: false` is `token_inactive`; times and audience as for a JWT. */
function judge(answer: Record<string, unknown>, issuer: ResolvedIssuer, now: number): IntrospectionOutcome {
  if (answer.active !== true) return tokenFailure("token_inactive", "active", issuer.name);
  const claims: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(answer)) if (name !== "active" && name !== "__proto__") claims[name] = value;
  // RFC 7662 §2.2: `iss` is optional in the answer; when present it must be this issuer
  if (claims.iss === undefined) claims.iss = issuer.issuer;
  else if (claims.iss !== issuer.issuer) return tokenFailure("wrong_issuer", "iss", issuer.name);
  const tolerance = issuer.clockToleranceSeconds;
  const nowSeconds = now / 1000;
  if (claims.exp !== undefined && typeof claims.exp !== "number") return tokenFailure("claim_type", "exp", issuer.name);
  if (typeof claims.exp === "number" && claims.exp + tolerance <= nowSeconds) return tokenFailure("expired", "exp", issuer.name);
  if (typeof claims.nbf === "number" && claims.nbf - tolerance > nowSeconds) return tokenFailure("not_yet_valid", "nbf", issuer.name);
  if (issuer.audience !== null) {
    const aud = typeof claims.aud === "string" ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
    if (!aud.some((value) => typeof value === "string" && issuer.audience!.includes(value))) return tokenFailure("wrong_audience", "aud", issuer.name);
  }
  deepFreeze(claims);
  return { ok: true, claims: claims as JWTPayload, issuer: issuer.name, claimsMapping: issuer.claims, cache: MISS };
}

/** One call to the endpoint within its deadline; the parsed JSON object, or `undefined` on any failure. */
async function call(
  token: string,
  issuer: ResolvedIssuer,
  config: ResolvedIntrospection,
  fetchFn: FetchLike,
  signers: Map<ResolvedIssuer, Promise<CryptoKey | Uint8Array>>,
  clock: Clock,
  keys: IssuerKeys | undefined,
): Promise<Record<string, unknown> | undefined> {
  try {
    const signal = AbortSignal.timeout(config.deadlineMs);
    const form = new URLSearchParams({ token, token_type_hint: "access_token" });
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: config.jwtResponse ? JWT_ANSWER : "application/json" };
    if (config.clientAuth === "client_secret_basic") {
      // RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded
      headers.authorization = "Basic " + btoa(`${formEncode(config.clientId)}:${formEncode(config.clientSecret!)}`);
    } else {
      form.set("client_id", config.clientId);
      form.set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
      form.set("client_assertion", await clientAssertion(issuer, config, signers, Math.floor(clock.now() / 1000)));
    }
    const response = await fetchFn(config.endpoint, { method: "POST", headers, body: form.toString(), redirect: "manual", signal });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      return undefined;
    }
    const text = await readLimitedText(response, MAX_RESPONSE_BYTES, signal);
    if (text === undefined) return undefined;
    const answer: unknown = config.jwtResponse ? await verifiedAnswer(text, issuer, config, clock, keys) : JSON.parse(text);
    return isRecord(answer) && typeof answer.active === "boolean" ? answer : undefined;
  } catch {
    return undefined;
  }
}

const JWT_ANSWER = "application/token-introspection+jwt";

// RFC 9701 §5: a JWT of `typ` token-introspection+jwt, from the issuer, for us (`aud` our client id),
// signed with one of the issuer's keys; the answer is its `token_introspection` member. Anything
// else is no answer: a proxy or an attacker must not be able to stand in for the server.
async function verifiedAnswer(text: string, issuer: ResolvedIssuer, config: ResolvedIntrospection, clock: Clock, keys: IssuerKeys | undefined): Promise<unknown> {
  if (keys === undefined) return undefined;
  const { payload } = await jwtVerify(text.trim(), async (header) => {
    const found = await keys(issuer, String(header.alg), header.kid);
    if (!found.ok) throw new Error("no key");
    return found.key;
  }, {
    issuer: issuer.issuer,
    audience: config.clientId,
    typ: "token-introspection+jwt",
    algorithms: [...issuer.algorithms],
    currentDate: new Date(clock.now()),
    clockTolerance: issuer.clockToleranceSeconds,
  });
  return payload.token_introspection;
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, "+");
}

// RFC 7523 §3 (and its update, draft-ietf-oauth-rfc7523bis): the audience is the authorization
// server's issuer identifier; a fresh `jti` and a one-minute lifetime
async function clientAssertion(issuer: ResolvedIssuer, config: ResolvedIntrospection, signers: Map<ResolvedIssuer, Promise<CryptoKey | Uint8Array>>, nowSeconds: number): Promise<string> {
  let key = signers.get(issuer);
  if (key === undefined) {
    key = importJWK(config.privateKey!, config.privateKeyAlg!);
    signers.set(issuer, key);
  }
  const header: { alg: string; kid?: string } = { alg: config.privateKeyAlg! };
  if (typeof config.privateKey!.kid === "string") header.kid = config.privateKey!.kid;
  return new SignJWT({})
    .setProtectedHeader(header)
    .setIssuer(config.clientId)
    .setSubject(config.clientId)
    .setAudience(issuer.issuer)
    .setJti(crypto.randomUUID())
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + 60)
    .sign(await key);
}
