import type { DecisionFacts, PolicyOutcome } from "../../../shared/audit/index.ts";

/** A frozen decision time: 2026-03-01T12:00:00.000Z. */
export const NOW_MS = Date.UTC(2026, 2, 1, 12, 0, 0, 0);
export const NOW_S = NOW_MS / 1000;

/** Verified claims as the token stage hands them on (includes values that must never be logged). */
export function sampleClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: "https://idp.example.test",
    sub: "user-7f3a",
    aud: "orders-api",
    jti: "jti-0001",
    iat: NOW_S - 60,
    exp: NOW_S + 240,
    email: "alice.secret@example.test",
    tenant: "acme",
    ...overrides,
  };
}

const allowPolicy: PolicyOutcome = { decision: "allow", reasons: ["orders-read"], errors: [] };
const forbidPolicy: PolicyOutcome = { decision: "deny", reasons: ["block-suspended"], errors: [] };
const defaultDeny: PolicyOutcome = { decision: "deny", reasons: [], errors: [] };
const erroringAllow: PolicyOutcome = {
  decision: "allow",
  reasons: ["orders-read"],
  errors: [{ policy: "tenant-match", message: "type error: expected string, got long" }],
};

const baseRequest = {
  method: "GET",
  path: "/tenants/acme/orders/42",
  clientIp: "203.0.113.77",
  headers: new Headers({ traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }),
};

/**
 * Every way the pipeline can end, as the facts it would hand the audit logger. Names are the
 * scenario; `claims` is the verified payload where the pipeline got that far.
 */
export function decisionPaths(claims: Record<string, unknown> = sampleClaims()): Record<string, DecisionFacts> {
  const principal = { type: "User", id: String(claims.sub) };
  const verified = {
    request: baseRequest,
    route: "/tenants/:tenant/orders/:id",
    principal,
    claims,
    action: 'Action::"read"',
    resource: 'Order::"42"',
    cache: { tokenHit: false, jwksAgeS: 12, revocationAgeMs: 0 },
  };
  const checked = { checked: true, cached: false, outcome: "not_revoked", ms: 0.412 };
  return {
    allow_by_policy: {
      ...verified,
      decision: "allow",
      reason: "allowed",
      revocation: checked,
      policy: allowPolicy,
      timingsMs: { total: 0.9, verify: 0.3, revocation: 0.412, eval: 0.05 },
    },
    allow_public_route: {
      decision: "allow",
      reason: "public_route",
      request: { ...baseRequest, path: "/health" },
      route: "/health",
      timingsMs: { total: 0.02 },
    },
    deny_no_route: {
      decision: "deny",
      reason: "no_route",
      request: { ...baseRequest, path: "/nowhere" },
      timingsMs: { total: 0.01 },
    },
    deny_missing_token: {
      decision: "deny",
      reason: "missing_token",
      authError: "missing_token",
      request: baseRequest,
      route: "/tenants/:tenant/orders/:id",
      timingsMs: { total: 0.02, verify: 0.001 },
    },
    deny_expired_token: {
      decision: "deny",
      reason: "expired",
      authError: "expired",
      request: baseRequest,
      route: "/tenants/:tenant/orders/:id",
      cache: { tokenHit: false, jwksAgeS: 30 },
      timingsMs: { total: 0.4, verify: 0.38 },
    },
    deny_revoked: {
      ...verified,
      decision: "deny",
      reason: "revoked",
      revocation: { checked: true, cached: true, outcome: "revoked", ms: 0.003 },
      cache: { tokenHit: true, jwksAgeS: 12, revocationAgeMs: 1800 },
      timingsMs: { total: 0.1, verify: 0.01, revocation: 0.003 },
    },
    deny_revocation_unavailable_fail_closed: {
      ...verified,
      decision: "deny",
      reason: "revocation_unavailable",
      revocation: { checked: true, cached: false, outcome: "unavailable", ms: 50.2 },
      failModeUsed: "closed",
      timingsMs: { total: 50.6, verify: 0.3, revocation: 50.2 },
    },
    allow_revocation_unavailable_fail_open: {
      ...verified,
      decision: "allow",
      reason: "allowed",
      revocation: { checked: true, cached: false, outcome: "unavailable", ms: 50.1 },
      failModeUsed: "open",
      policy: allowPolicy,
      timingsMs: { total: 50.6, verify: 0.3, revocation: 50.1, eval: 0.04 },
    },
    deny_by_forbid: {
      ...verified,
      decision: "deny",
      reason: "policy_denied",
      revocation: checked,
      policy: forbidPolicy,
      timingsMs: { total: 0.8, verify: 0.3, revocation: 0.412, eval: 0.06 },
    },
    deny_no_permit: {
      ...verified,
      decision: "deny",
      reason: "policy_denied",
      revocation: checked,
      policy: defaultDeny,
      timingsMs: { total: 0.8, verify: 0.3, revocation: 0.412, eval: 0.02 },
    },
    allow_with_policy_error: {
      ...verified,
      decision: "allow",
      reason: "allowed",
      revocation: checked,
      policy: erroringAllow,
      timingsMs: { total: 0.8, verify: 0.3, revocation: 0.412, eval: 0.07 },
    },
    allow_shadow_agrees: {
      ...verified,
      decision: "allow",
      reason: "allowed",
      revocation: checked,
      policy: allowPolicy,
      shadow: { decision: "allow", reasons: ["orders-read-v2"], errors: [] },
      timingsMs: { total: 0.9, verify: 0.3, revocation: 0.412, eval: 0.09 },
    },
    allow_shadow_disagrees: {
      ...verified,
      decision: "allow",
      reason: "allowed",
      revocation: checked,
      policy: allowPolicy,
      shadow: { decision: "deny", reasons: [], errors: [{ policy: "orders-read-v2", message: "attribute `tier` not found" }] },
      timingsMs: { total: 0.9, verify: 0.3, revocation: 0.412, eval: 0.09 },
    },
  };
}
