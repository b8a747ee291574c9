// Issue #22 (Lambda cold start): an adapter validates its configuration, then `createAuthorizer`
// validates the same object again; the second call answers the first result, unless the object
// changed in between, which must then be checked afresh.
import { describe, expect, it } from "vitest";
import { validateConfig } from "../../../shared/config/index.ts";
import { ConfigError } from "../../../shared/errors.ts";

function config(): { token: unknown; routes: unknown[]; revocation: null; failMode?: unknown } {
  return {
    token: { issuers: [{ issuer: "https://auth.example.com/", audience: "https://api.example.com", algorithms: ["RS256"], jwksUri: "https://auth.example.com/.well-known/jwks.json" }] },
    routes: [{ method: "GET", path: "/orders/:id", action: "ReadOrder", resource: { type: "Order", id: "{id}" } }],
    revocation: null,
  };
}

describe("validateConfig: the same object twice", () => {
  it("answers the first result when the object is unchanged", () => {
    const raw = config();
    const first = validateConfig(raw);
    expect(validateConfig(raw)).toBe(first);
  });

  it("checks an object again when it changed since, and refuses what is now wrong", () => {
    const raw = config();
    const first = validateConfig(raw);
    raw.failMode = "open";
    const second = validateConfig(raw);
    expect(second).not.toBe(first);
    expect(second.failModes.get("GET /orders/:id")).toBe("open");
    raw.failMode = "sideways";
    expect(() => validateConfig(raw)).toThrow(ConfigError);
    expect(() => validateConfig(raw)).toThrow(/failMode/);
  });

  it("never answers one object's result for another with the same text", () => {
    const first = validateConfig(config());
    expect(validateConfig(config())).not.toBe(first);
  });
});
