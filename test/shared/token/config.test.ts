import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../shared/errors.ts";
import { validateTokenConfig } from "../../../shared/token/index.ts";

const JWK = { kty: "EC", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", kid: "k1" };
const SECRET = "0123456789abcdef0123456789abcdef";

function issuer(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { issuer: "https://idp.example.test/", audience: "api", algorithms: ["ES256"], jwks: { keys: [JWK] }, ...overrides };
}

function expectConfigError(raw: unknown, field: string, message?: RegExp): void {
  let caught: unknown;
  try {
    validateTokenConfig(raw);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  expect((caught as ConfigError).field).toBe(field);
  expect((caught as ConfigError).message).not.toMatch(/\.$/);
  if (message) expect((caught as ConfigError).message).toMatch(message);
}

describe("defaults", () => {
  it("fills in every documented default", () => {
    const resolved = validateTokenConfig({ issuers: [issuer()] });
    expect(resolved.maxTokenBytes).toBe(8192);
    expect(resolved.cache).toEqual({ maxEntries: 1000, ttlSeconds: 60 });
    const only = resolved.issuers.get("https://idp.example.test/")!;
    expect(only.name).toBe("https://idp.example.test/");
    expect(only.audience).toEqual(["api"]);
    expect(only.clockToleranceSeconds).toBe(30);
    expect(only.maxAgeSeconds).toBeNull();
    expect(only.typ).toBeNull();
    expect(only.claims.principalType).toBe("User");
  });

  it("fills in JWKS defaults for a remote issuer", () => {
    const resolved = validateTokenConfig({ issuers: [issuer({ jwks: undefined, jwksUri: "https://idp.example.test/jwks" })] });
    expect(resolved.issuers.get("https://idp.example.test/")!.keys).toEqual({
      kind: "remote",
      uri: "https://idp.example.test/jwks",
      timeoutMs: 3000,
      cooldownMs: 30_000,
      freshMs: 600_000,
      maxStaleMs: 3_600_000,
      preload: null,
    });
  });

  it("turns the cache off with null", () => {
    expect(validateTokenConfig({ issuers: [issuer()], cache: null }).cache.maxEntries).toBe(0);
  });
});

describe("refuses bad configuration naming the field", () => {
  const cases: Array<[string, unknown, string]> = [
    ["no issuers", { issuers: [] }, "token.issuers"],
    ["not an object", "nope", "token"],
    ["missing audience", { issuers: [issuer({ audience: undefined })] }, "token.issuers[0].audience"],
    ["empty audience list", { issuers: [issuer({ audience: [] })] }, "token.issuers[0].audience"],
    ["missing algorithms", { issuers: [issuer({ algorithms: undefined })] }, "token.issuers[0].algorithms"],
    ["alg none", { issuers: [issuer({ algorithms: ["none"] })] }, "token.issuers[0].algorithms"],
    ["HS256 with public keys", { issuers: [issuer({ algorithms: ["ES256", "HS256"] })] }, "token.issuers[0].algorithms"],
    ["RS256 with a secret", { issuers: [issuer({ jwks: undefined, secret: SECRET, algorithms: ["HS256", "RS256"] })] }, "token.issuers[0].algorithms"],
    ["a short secret", { issuers: [issuer({ jwks: undefined, secret: "short", algorithms: ["HS256"] })] }, "token.issuers[0].secret"],
    ["a secret too short for HS512", { issuers: [issuer({ jwks: undefined, secret: SECRET, algorithms: ["HS512"] })] }, "token.issuers[0].secret"],
    ["two key sources", { issuers: [issuer({ jwksUri: "https://idp.example.test/jwks" })] }, "token.issuers[0]"],
    ["no key source", { issuers: [issuer({ jwks: undefined })] }, "token.issuers[0]"],
    ["a private key inline", { issuers: [issuer({ jwks: { keys: [{ ...JWK, d: "secret" }] } })] }, "token.issuers[0].jwks.keys[0]"],
    ["a plain-http JWKS URI", { issuers: [issuer({ jwks: undefined, jwksUri: "http://idp.example.test/jwks" })] }, "token.issuers[0].jwksUri"],
    ["a relative JWKS URI", { issuers: [issuer({ jwks: undefined, jwksUri: "/jwks" })] }, "token.issuers[0].jwksUri"],
    ["a tolerance above 5 minutes", { issuers: [issuer({ clockToleranceSeconds: 301 })] }, "token.issuers[0].clockToleranceSeconds"],
    ["a fractional tolerance", { issuers: [issuer({ clockToleranceSeconds: 1.5 })] }, "token.issuers[0].clockToleranceSeconds"],
    ["a zero cooldown", { issuers: [issuer({ jwks: undefined, jwksUri: "https://i.test/j", jwksCooldownMs: 0 })] }, "token.issuers[0].jwksCooldownMs"],
    ["JWKS options without a URI", { issuers: [issuer({ jwksTimeoutMs: 500 })] }, "token.issuers[0].jwksTimeoutMs"],
    ["preload without a URI", { issuers: [issuer({ jwksPreload: { keys: [JWK] } })] }, "token.issuers[0].jwksPreload"],
    ["the same issuer twice", { issuers: [issuer(), issuer()] }, "token.issuers[1].issuer"],
    ["an unknown option", { issuers: [issuer({ audiences: ["x"] })] }, "token.issuers[0].audiences"],
    ["a huge maxTokenBytes", { issuers: [issuer()], maxTokenBytes: 1 << 20 }, "token.maxTokenBytes"],
    ["a negative cache size", { issuers: [issuer()], cache: { maxEntries: -1 } }, "token.cache.maxEntries"],
    ["a bad principal type", { issuers: [issuer({ claims: { principalType: "User Name" } })] }, "token.issuers[0].claims.principalType"],
    ["a bad attribute type", { issuers: [issuer({ claims: { attributes: { t: { claim: "t", type: "number" } } } })] }, "token.issuers[0].claims.attributes.t.type"],
    ["a default of the wrong type", { issuers: [issuer({ claims: { attributes: { t: { claim: "t", type: "boolean", default: "no" } } } })] }, "token.issuers[0].claims.attributes.t.default"],
  ];
  for (const [title, raw, field] of cases) {
    it(`refuses ${title}`, () => expectConfigError(raw, field));
  }

  it("never echoes a secret in the message", () => {
    let message = "";
    try {
      validateTokenConfig({ issuers: [issuer({ jwks: undefined, secret: "hunter2-secret", algorithms: ["HS256"] })] });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/at least 32 bytes/);
    expect(message).not.toContain("hunter2");
  });

  it("accepts audience null written explicitly and loopback http for tests", () => {
    const resolved = validateTokenConfig({ issuers: [issuer({ audience: null, jwks: undefined, jwksUri: "http://127.0.0.1:8080/jwks" })] });
    expect(resolved.issuers.get("https://idp.example.test/")!.audience).toBeNull();
  });
});
