// Configuration of discovery, introspection, DPoP and mTLS (issue #20): each mistake is a
// ConfigError naming the field, at start; the defaults are the documented ones.
import { describe, expect, it } from "vitest";
import { validateConfig } from "../../../shared/config/validate.ts";
import { ConfigError } from "../../../shared/errors.ts";
import { validateTokenConfig, type IssuerConfig } from "../../../shared/token/index.ts";

const base: IssuerConfig = { issuer: "https://idp.example", audience: "api", algorithms: ["ES256"], discovery: true };
const introspection = { endpoint: "https://idp.example/introspect", clientId: "gatehouse", clientAuth: "client_secret_basic" as const, clientSecret: "s3cret" };
const issuer = (overrides: Record<string, unknown>) => validateTokenConfig({ issuers: [{ ...base, ...overrides }] }).issuers.get("https://idp.example")!;
const fails = (overrides: Record<string, unknown>, field: string) => {
  try {
    issuer(overrides);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe(field);
    return;
  }
  throw new Error(`expected a ConfigError at ${field}`);
};

describe("discovery", () => {
  it("derives the document URL from the issuer (trailing slash removed) and allows the issuer's host for jwks_uri", () => {
    const resolved = validateTokenConfig({ issuers: [{ ...base, issuer: "https://idp.example/tenant/" }] }).issuers.get("https://idp.example/tenant/")!;
    expect(resolved.keys).toMatchObject({ kind: "discovery", uri: "https://idp.example/tenant/.well-known/openid-configuration", allowLoopbackHttp: false, freshMs: 600_000 });
    expect([...(resolved.keys as unknown as { jwksHosts: Set<string> }).jwksHosts]).toEqual(["idp.example"]);
  });
  it("refuses bad options", () => {
    fails({ discovery: { jwksHosts: [] } }, "token.issuers[0].discovery.jwksHosts");
    fails({ discovery: { jwksHosts: ["Keys.Example"] } }, "token.issuers[0].discovery.jwksHosts");
    fails({ discovery: { allowLoopbackHttp: "yes" } }, "token.issuers[0].discovery.allowLoopbackHttp");
    fails({ discovery: { other: 1 } }, "token.issuers[0].discovery.other");
    fails({ issuer: "http://idp.example" }, "token.issuers[0].discovery");
    fails({ issuer: "not a url" }, "token.issuers[0].discovery");
  });
});

describe("introspection", () => {
  it("fills in the documented defaults", () => {
    expect(issuer({ introspection }).introspection).toMatchObject({ tokens: "opaque", cacheTtlMs: 60_000, negativeCacheTtlMs: 5000, deadlineMs: 1000, failMode: "closed", maxStaleMs: 60_000 });
  });
  it("refuses a plain-http endpoint off loopback, a missing secret, a secret beside private_key_jwt, a symmetric key, fail mode open", () => {
    fails({ introspection: { ...introspection, endpoint: "http://idp.example/introspect" } }, "token.issuers[0].introspection.endpoint");
    fails({ introspection: { ...introspection, clientSecret: undefined } }, "token.issuers[0].introspection.clientSecret");
    fails({ introspection: { ...introspection, clientAuth: "private_key_jwt" } }, "token.issuers[0].introspection.clientSecret");
    fails({ introspection: { ...introspection, clientAuth: "private_key_jwt", clientSecret: undefined, privateKey: { kty: "oct", k: "abc" } } }, "token.issuers[0].introspection.privateKey");
    fails({ introspection: { ...introspection, failMode: "open" } }, "token.issuers[0].introspection.failMode");
    fails({ introspection: { ...introspection, deadlineMs: 0 } }, "token.issuers[0].introspection.deadlineMs");
  });
  it("needs no key source only when every token is introspected", () => {
    expect(issuer({ discovery: undefined, introspection: { ...introspection, tokens: "all" } }).keys).toEqual({ kind: "none" });
    expect(() => issuer({ discovery: undefined, introspection })).toThrow(/exactly one of jwksUri, jwks, secret or discovery/);
  });
  it("never echoes the client secret in an error", () => {
    try {
      validateConfig({ token: { issuers: [{ ...base, introspection: { ...introspection, clientSecret: 42 } }] }, routes: [], revocation: null });
    } catch (error) {
      expect(String(error)).not.toContain("s3cret");
      return;
    }
    throw new Error("expected a ConfigError");
  });
});

describe("dpop and mtls", () => {
  it("defaults DPoP to asymmetric algorithms and a 60 s window", () => {
    expect(issuer({ dpop: {} }).dpop).toMatchObject({ required: false, iatWindowSeconds: 60 });
    expect([...issuer({ dpop: {} }).dpop!.algorithms]).toEqual(["ES256", "EdDSA", "Ed25519", "PS256", "RS256"]);
  });
  it("refuses none and HMAC algorithms for proofs, and bad windows", () => {
    fails({ dpop: { algorithms: ["none"] } }, "token.issuers[0].dpop.algorithms");
    fails({ dpop: { algorithms: ["HS256"] } }, "token.issuers[0].dpop.algorithms");
    fails({ dpop: { iatWindowSeconds: 0 } }, "token.issuers[0].dpop.iatWindowSeconds");
    fails({ mtls: { required: 1 } }, "token.issuers[0].mtls.required");
  });
  it("passes the JSON Schema check of the whole configuration", () => {
    const config = { token: { issuers: [{ ...base, introspection, dpop: { required: true }, mtls: { required: false } }] }, routes: [], revocation: null };
    expect(() => validateConfig(config)).not.toThrow();
  });
});
