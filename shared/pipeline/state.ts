import type { PolicyResult } from "../policy/types.ts";
import type { RevocationCheckResult } from "../revocation/check.ts";
import type { ResolvedRequest } from "../routes/resolve.ts";
import type { RouteMatch } from "../routes/types.ts";
import type { PrincipalEntity, TokenContext } from "../token/claims.ts";
import type { TokenFailureReason } from "../token/reasons.ts";
import type { SenderFailureReason } from "../token/sender-reasons.ts";
import type { JwtClaims, TokenSuccess } from "../token/verify.ts";
import type { CedarRequest, EntityJson } from "../policy/types.ts";
import type { ClaimsFacts } from "./claims-memo.ts";
import type { EntityLoadResult } from "../entities/load.ts";
import type { DecisionDetail, DecisionReason } from "./reasons.ts";
import type { CanaryChoice } from "../rollout/canary-choice.ts";
import type { AuthorizeInput, Decision, DecisionStatus } from "./types.ts";

/** A value now, or later: stages answer synchronously whenever they can (issue #22's cached path). */
export type MaybePromise<T> = T | Promise<T>;

/** How a request ends: the status, the reason code, and what the stage knew about why. */
export interface Verdict {
  readonly status: DecisionStatus;
  readonly reason: DecisionReason;
  /** The failing claim, the refused path segment, the store that failed; reaches the audit line. */
  readonly detail?: DecisionDetail;
  /** The `WWW-Authenticate` value of a 401 when it is not the RFC 6750 default (a DPoP challenge, #20). */
  readonly challenge?: string;
  /** A `DPoP-Nonce` for the client's next proof (RFC 9449 §8), with `dpop_nonce_required`. */
  readonly dpopNonce?: string;
}

/**
 * What one request has established so far. Each stage reads the fields of the stages before it
 * and fills its own; `null` means that stage has not run (or found nothing).
 */
export interface RequestState {
  readonly input: AuthorizeInput;
  readonly started: number;
  readonly decisionId: string;
  /** The stage running now; names the stage of an `internal_error`. */
  stage: StageName | null;
  /** path: the normalised segments. */
  segments: readonly string[] | null;
  /** route: the matched route and its parameters. */
  match: RouteMatch | null;
  /** credential: the raw token; never logged. */
  credential: string | null;
  /** token: the verified token, or the failure reason (kept for the audit line's `auth_error`). */
  token: TokenSuccess | null;
  claims: JwtClaims | null;
  authError: TokenFailureReason | SenderFailureReason | null;
  verifyMs: number | null;
  /** principal: the Cedar principal and the token's part of the context. */
  principal: PrincipalEntity | null;
  tokenContext: TokenContext | null;
  /** principal: what the verified claims give once per token (identity text, tenant, policy entity; issue #22). */
  principalFacts: ClaimsFacts | null;
  revocation: RevocationCheckResult | null;
  /** request mapping: action, resource, and the Cedar request and entities the policies see. */
  request: ResolvedRequest | null;
  cedarRequest: CedarRequest | null;
  /** request: `geo` was left out of the context, since no policy set could read it then (`ContextNeeds`). */
  geoLeftOut: boolean;
  entities: EntityJson[] | null;
  /** entities (#17): which live records were loaded, from where, and their version; `null` without `config.entities`. */
  entityLoad?: EntityLoadResult | null;
  /** Ms since a reused `entityLoad` was answered; the audit adds it to the cached records' ages. */
  entityAgeShiftMs?: number;
  /** policies: the enforced set's answer, and the candidate's in shadow mode (audit only). */
  policy: PolicyResult | null;
  shadow: PolicyResult | null;
  evalMs: number | null;
  /** policies: the clock when the enforced set answered, if nothing but the decision stage runs after it; `null` otherwise. */
  evaluatedAt: number | null;
  /** #18 policies: with a canary rollout, which set decided and the stable set's answer; `null` otherwise. */
  canary: CanaryChoice | null;
  /** #19 policies: the token is a break-glass token, decided by the break-glass policy set. */
  breakGlass: boolean;
  /** How the request ended; set once, by the stage that ended it. */
  verdict: Verdict | null;
  /** The answer built from the verdict, with its one audit line written. */
  decision: Decision | null;
}

/** Starts the state of one request. */
export function newState(input: AuthorizeInput, decisionId: string, started: number): RequestState {
  return {
    input, started, decisionId, stage: null, segments: null, match: null, credential: null, token: null, claims: null, authError: null, verifyMs: null,
    principal: null, tokenContext: null, principalFacts: null, revocation: null, request: null, cedarRequest: null, geoLeftOut: false, entities: null, policy: null, shadow: null,
    evalMs: null, evaluatedAt: null, verdict: null, decision: null,
    canary: null,
    breakGlass: false,
  };
}

/**
 * One step of the decision. Answers `undefined` to go on, or the verdict that ends the request;
 * a Promise only when it really waits (a JWKS fetch, a store round trip). Never throws for a request.
 */
export type Stage = (state: RequestState) => MaybePromise<Verdict | undefined>;

/** A stage and its name, as the order lists them. */
export interface NamedStage {
  readonly name: StageName;
  readonly run: Stage;
}

/** The stages, in the order they run (see `order.ts`). */
export type StageName = "path" | "route" | "credential" | "token" | "binding" | "principal" | "unmatched" | "revocation" | "request" | "policies" | "decision"
  | "entities";

/** A verdict, with its detail only when there is one. */
export function verdict(status: DecisionStatus, reason: DecisionReason, detail?: DecisionDetail): Verdict {
  return detail === undefined ? { status, reason } : { status, reason, detail };
}

export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}
