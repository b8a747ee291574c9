import { describe, expect, it } from "vitest";
import { unauthorizedChallenge, type TokenFailureReason } from "../../../shared/token/index.ts";

describe("RFC 6750 challenge", () => {
  it("carries no error code when the request had no credential (§3.1)", () => {
    expect(unauthorizedChallenge("missing_token")).toBe("Bearer");
    expect(unauthorizedChallenge("missing_token", "api")).toBe('Bearer realm="api"');
  });

  it("answers every other reason with the same generic invalid_token", () => {
    const reasons: TokenFailureReason[] = ["malformed", "too_large", "bad_signature", "unknown_kid", "alg_not_allowed", "expired", "not_yet_valid", "issued_in_future", "wrong_issuer", "wrong_audience", "claim_type", "jwks_unavailable"];
    const values = new Set(reasons.map((reason) => unauthorizedChallenge(reason)));
    expect([...values]).toEqual(['Bearer error="invalid_token", error_description="the access token is missing, invalid or expired"']);
  });

  it("adds a realm and drops one that would break the header", () => {
    expect(unauthorizedChallenge("expired", "orders")).toBe('Bearer realm="orders", error="invalid_token", error_description="the access token is missing, invalid or expired"');
    expect(unauthorizedChallenge("expired", 'a"b')).not.toContain("realm");
    expect(unauthorizedChallenge("expired", "a\r\nb")).not.toContain("realm");
  });
});
