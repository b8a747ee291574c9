// The contract between the platform adapters (functions/*) and the decision pipeline.
// Adapters translate their platform's request into an `AuthorizeInput`, call `authorize()`, and
// translate the `Decision` back. Nothing else crosses that line.
import type { DecisionReason } from "./reasons.ts";

/** The one thing adapters need from a platform's headers: a case-insensitive lookup. */
export interface HeadersLike {
  /** The header's value, comma-joined when repeated, or `null` when absent. */
  get(name: string): string | null;
}

/** Which adapter made the request; recorded in the audit line. */
export type Platform = "worker" | "lambda" | "node";

/** A request to decide, as the adapter received it. */
export interface AuthorizeInput {
  readonly platform: Platform;
  /** HTTP method as sent, e.g. `GET`. */
  readonly method: string;
  /** The raw path as received (percent-encoding intact), without the query string. */
  readonly path: string;
  /** The raw query string without `?`, or empty. Only read where a route allows a query token. */
  readonly query?: string;
  readonly headers: HeadersLike;
  /** The client's address as the platform established it (not a spoofable header). */
  readonly clientIp?: string;
  /** The platform's request id (API Gateway `requestContext.requestId`, Workers `cf-ray`). */
  readonly requestId?: string;
  /** Cloudflare's `request.cf` geo facts, when running on Workers. */
  readonly cf?: { readonly country?: string; readonly asn?: number };
  /**
   * How many times a header that must be unique (Authorization) was sent, where the platform can
   * tell (Lambda's `multiValueHeaders`). A duplicate credential is refused.
   */
  readonly headerCounts?: { readonly authorization?: number };
  /** The absolute URL the client requested (scheme, host, path), as the platform established it; DPoP proofs name it (`htu`). */
  readonly url?: string;
  /** The client certificate the platform terminated TLS with, for certificate-bound tokens (RFC 8705). */
  readonly clientCertificate?: { readonly pem?: string; readonly sha256Hex?: string };
}

/** The HTTP status an adapter answers with when it answers the client itself. */
export type DecisionStatus = 200 | 401 | 403 | 503;

/** The pipeline's answer. Every path through the pipeline ends in exactly one of these. */
export interface Decision {
  readonly allow: boolean;
  /** 200 allow, 401 authentication failed, 403 policy denied or no route, 503 dependency down (fail closed). */
  readonly status: DecisionStatus;
  /** A stable snake_case code from the closed union `DecisionReason`: `allowed`, `public_route`, a token reason, `revoked`, `policy_denied`, ... */
  readonly reason: DecisionReason;
  /** UUID, also in the audit line and the `x-gatehouse-decision-id` header. */
  readonly decisionId: string;
  /** The route pattern that matched, e.g. `/tenants/:tenant/orders/:id`. */
  readonly route?: string;
  /** The Cedar principal, when a token was verified. */
  readonly principal?: { readonly type: string; readonly id: string; readonly tenant?: string };
  /** Policies that decided (their ids). */
  readonly policies?: readonly string[];
  /** Headers to forward to the origin, on every allow: `x-gatehouse-principal`, `-tenant`, `-decision-id`, each present (empty when unknown). */
  readonly identityHeaders?: Readonly<Record<string, string>>;
  /** For 401: the RFC 6750 `WWW-Authenticate` value. */
  readonly wwwAuthenticate?: string;
  /** For 401 `dpop_nonce_required`, the `DPoP-Nonce` response header (RFC 9449 §8); a Lambda authorizer cannot send it. */
  readonly dpopNonce?: string;
  /** Values safe to hand to API Gateway as authorizer context (strings only). */
  readonly context?: Readonly<Record<string, string>>;
}
