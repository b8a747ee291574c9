// Sender-constrained tokens (issue #20): a verified token that is bound to a key (DPoP, RFC 9449)
// or a client certificate (RFC 8705) is accepted only from the holder of that key or certificate.
// Unbound bearer tokens of issuers that require neither pass synchronously, with no work beyond
// reading `cnf`: the hot path stays as it was.
import { sha256 } from "@noble/hashes/sha2.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import { base64url } from "jose";
import type { Clock } from "../clock/index.ts";
import { claimOnce } from "../revocation/claim.ts";
import type { RevocationStore } from "../revocation/store.ts";
import type { SenderConstraint } from "../routes/types.ts";
import type { ResolvedIssuer, ResolvedTokenConfig } from "./config.ts";
import { createDpopProofChecker, equalText } from "./dpop.ts";
import { isRecord } from "./internal.ts";
import { certificateThumbprint, type ClientCertificate } from "./mtls.ts";
import { resolveDpop, type ResolvedDpop } from "./provider-config.ts";
import { senderFailure, type SenderFailure } from "./sender-reasons.ts";

/** What the sender check reads of one request. */
export interface SenderInput {
  /** The `Authorization` scheme the token came with (a cookie or query token counts as `bearer`). */
  readonly scheme: "bearer" | "dpop";
  readonly token: string;
  readonly claims: Readonly<Record<string, unknown>>;
  /** The configured issuer's `name`, as the verified token names it. */
  readonly issuer: string;
  readonly method: string;
  /** The absolute URL requested, where the adapter knows it (DPoP `htu`). */
  readonly url: string | undefined;
  /** The `DPoP` header as the platform gives it (comma-joined when repeated), or `null`. */
  readonly proof: string | null;
  readonly certificate: ClientCertificate | undefined;
  /** What the matched route requires the token to be bound to (its `senderConstraint`), or `null`. */
  readonly routeConstraint: SenderConstraint | null;
}

/** Where replayed proofs are caught, and how long a store lookup may take. */
export interface SenderCheckDeps {
  readonly clock: Clock;
  /** The revocation store, shared by every instance; `null` keeps `jti`s in this instance's memory only. */
  readonly store: RevocationStore | null;
  /**
   * Deadline for the replay check's store call, in ms: the one conditional write, or each of the
   * read and the write where the store has no `putIfAbsent` (KV). Enforced even when the store
   * ignores the abort signal. The pipeline passes the revocation `deadlineMs`; 200 is the default
   * for direct callers only.
   */
  readonly deadlineMs?: number;
}

/** Checks a request's sender against its token's binding: `undefined` to go on, or the refusal. */
export type SenderCheck = (input: SenderInput) => SenderFailure | undefined | Promise<SenderFailure | undefined>;

/** The key prefix of seen DPoP proofs in the revocation store (beside `gh:rv:`, never listed as a revocation). */
export const DPOP_JTI_PREFIX = "gh:dpop:";
const MAX_SEEN = 100_000;

/**
 * Builds the sender check for a token configuration. `requiresBinding` is whether an issuer requires
 * a binding of all its tokens (a route that requires one says so per request).
 */
export function createSenderCheck(config: ResolvedTokenConfig, deps: SenderCheckDeps): SenderCheck & { readonly algorithms: string; readonly requiresBinding: boolean } {
  const byName = new Map<string, ResolvedIssuer>();
  for (const issuer of config.issuers.values()) byName.set(issuer.name, issuer);
  // A bound token of an issuer without `dpop` options is still checked, with the defaults
  const defaults = resolveDpop({}, "dpop");
  const checkProof = createDpopProofChecker();
  const seen = new Map<string, number>();
  const deadlineMs = deps.deadlineMs ?? 200;

  async function replayed(key: string, expiresAtSeconds: number): Promise<SenderFailure | undefined> {
    const now = deps.clock.now();
    const known = seen.get(key);
    if (known !== undefined && known > now) return senderFailure("dpop_replayed", "jti");
    if (seen.size >= MAX_SEEN) for (const [k, until] of seen) if (until <= now || seen.size >= MAX_SEEN) seen.delete(k);
    seen.set(key, expiresAtSeconds * 1000);
    if (deps.store === null) return undefined;
    // One atomic conditional write where the store has one, so of two instances sharing the store
    // exactly one accepts a proof; on KV a read then a write, which both can pass between the two
    const claimed = await claimOnce(deps.store, key, "1", expiresAtSeconds, deadlineMs, now);
    if (claimed === "claimed") return undefined;
    return senderFailure(claimed === "taken" ? "dpop_replayed" : "dpop_replay_unavailable", "jti");
  }

  async function checkDpop(input: SenderInput, jkt: string, dpop: ResolvedDpop): Promise<SenderFailure | undefined> {
    const proof = input.proof!;
    const url = input.url!;
    const now = deps.clock.now();
    const checked = await checkProof(proof, { method: input.method, url, accessToken: input.token, jkt }, dpop, now);
    // The refusal carries the nonce to retry with
    if (!checked.ok) return checked.reason === "dpop_nonce_required" ? { ...checked, nonce: dpop.nonce!.issue(now) } : checked;
    // Keyed by the proof key and `jti` together, hashed so any `jti` fits any store's key limits
    const key = DPOP_JTI_PREFIX + base64url.encode(sha256(utf8ToBytes(`${jkt}:${checked.jti}`)));
    return replayed(key, Math.ceil(checked.iat + dpop.iatWindowSeconds) + 1);
  }

  const check: SenderCheck = function checkSender(input) {
    const issuer = byName.get(input.issuer);
    const cnf = isRecord(input.claims.cnf) ? input.claims.cnf : undefined;
    const jkt = cnf?.jkt;
    const x5t = cnf?.["x5t#S256"];
    if (jkt === undefined) {
      // RFC 9449 §7.1: the DPoP scheme is for DPoP-bound tokens only
      if (input.scheme === "dpop") return senderFailure("dpop_unbound_token", "cnf");
      if (issuer?.dpop?.required === true || input.routeConstraint === "dpop") return senderFailure("dpop_required", "cnf");
    }
    if (x5t === undefined && (issuer?.mtls?.required === true || input.routeConstraint === "mtls")) return senderFailure("mtls_required", "cnf");
    if (x5t !== undefined) {
      const thumbprint = certificateThumbprint(input.certificate);
      if (thumbprint === undefined) return senderFailure("mtls_cert_missing", "certificate");
      if (typeof x5t !== "string" || !equalText(thumbprint, x5t)) return senderFailure("mtls_cert_mismatch", "x5t#S256");
    }
    if (jkt === undefined) return undefined;
    if (typeof jkt !== "string") return senderFailure("dpop_key_mismatch", "cnf");
    // RFC 9449 §7.2: a bound token sent as a bearer token is refused, proof or not
    if (input.scheme !== "dpop") return senderFailure("dpop_bound_as_bearer", "authorization");
    // One proof only (§4.3 check 1): the platform joins repeated headers with a comma
    if (input.proof === null || input.proof.length === 0) return senderFailure("dpop_proof_missing", "dpop");
    if (input.proof.includes(",")) return senderFailure("dpop_proof_malformed", "dpop");
    if (input.url === undefined) return senderFailure("dpop_htu_mismatch", "htu");
    return checkDpop(input, jkt, issuer?.dpop ?? defaults).catch(() => senderFailure("dpop_proof_malformed", "dpop"));
  };
  const algorithms = [...new Set([...config.issuers.values()].flatMap((issuer) => [...(issuer.dpop ?? defaults).algorithms]))].join(" ");
  const requiresBinding = [...config.issuers.values()].some((issuer) => issuer.dpop?.required === true || issuer.mtls?.required === true);
  return Object.assign(check, { algorithms, requiresBinding });
}
