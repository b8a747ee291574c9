import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../shared/errors.ts";
import { createAuditLogger, resolveAuditConfig, type AuditConfig } from "../../../shared/audit/index.ts";

function configError(config: unknown): ConfigError {
  try {
    resolveAuditConfig(config as AuditConfig);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("audit config: defaults", () => {
  it("fills in safe defaults for an empty or absent section", () => {
    for (const config of [undefined, {}]) {
      expect(resolveAuditConfig(config)).toMatchObject({
        clientIp: "truncate",
        claims: [],
        includeQuery: false,
        allowSampleRate: 1,
        policyErrorDetail: "id",
        maxFieldLength: 512,
      });
    }
  });

  it("prepares the hash key once for clientIp: hash", () => {
    const resolved = resolveAuditConfig({ clientIp: "hash", clientIpSalt: "0123456789abcdef" });
    expect(resolved.clientIpHash?.hex("203.0.113.7")).toMatch(/^[0-9a-f]{32}$/);
  });

  it("returns a frozen result and removes duplicate claim names", () => {
    const resolved = resolveAuditConfig({ claims: ["tenant", "tenant", "scope"] });
    expect(resolved.claims).toEqual(["tenant", "scope"]);
    expect(Object.isFrozen(resolved)).toBe(true);
  });
});

describe("audit config: each bad field is named", () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ["a non-object section", "yes", "audit", /^audit: expected an object, got `yes`$/],
    ["an unknown option (typo)", { clientIP: "keep" }, "audit.clientIP", /^audit\.clientIP: unknown option `clientIP`; expected one of `clientIp`, `clientIpSalt`, `claims`, `includeQuery`, `allowSampleRate`, `policyErrorDetail`, `maxFieldLength`, `replay`$/],
    ["an unknown client ip mode", { clientIp: "anonymise" }, "audit.clientIp", /expected one of .*got `anonymise`/],
    ["hash mode without a salt", { clientIp: "hash" }, "audit.clientIpSalt", /at least 16 characters/],
    ["hash mode with a short salt", { clientIp: "hash", clientIpSalt: "short" }, "audit.clientIpSalt", /at least 16 characters/],
    ["a salt that is not a string", { clientIpSalt: 12 }, "audit.clientIpSalt", /expected a string/],
    ["claims that are not an array", { claims: "tenant" }, "audit.claims", /expected an array/],
    ["an empty claim name", { claims: ["tenant", ""] }, "audit.claims[1]", /claim name/],
    ["too many claims", { claims: Array.from({ length: 33 }, (_, i) => `c${i}`) }, "audit.claims", /at most 32/],
    ["includeQuery that is not a boolean", { includeQuery: "no" }, "audit.includeQuery", /`true` or `false`/],
    ["a sample rate above 1", { allowSampleRate: 1.5 }, "audit.allowSampleRate", /from 0 to 1, got `1.5`/],
    ["a negative sample rate", { allowSampleRate: -0.1 }, "audit.allowSampleRate", /from 0 to 1/],
    ["a NaN sample rate", { allowSampleRate: Number.NaN }, "audit.allowSampleRate", /from 0 to 1/],
    ["an unknown error detail", { policyErrorDetail: "full" }, "audit.policyErrorDetail", /got `full`/],
    ["a field length below 16", { maxFieldLength: 8 }, "audit.maxFieldLength", /from 16 to 8192/],
    ["a fractional field length", { maxFieldLength: 100.5 }, "audit.maxFieldLength", /integer/],
  ];
  for (const [title, config, field, message] of cases) {
    it(`rejects ${title}`, () => {
      const error = configError(config);
      expect(error.field).toBe(field);
      expect(error.message).toMatch(message);
      expect(error.message.startsWith(`${field}: `)).toBe(true);
      expect(error.name).toBe("ConfigError");
    });
  }

  it("fails at start, in createAuditLogger, not on the first request", () => {
    expect(() => createAuditLogger({ allowSampleRate: 2 }, { platform: "node" })).toThrow(ConfigError);
  });

  it("never puts the salt in an error message", () => {
    const error = configError({ clientIp: "hash", clientIpSalt: "tooshort-secret" });
    expect(error.message).not.toContain("tooshort-secret");
  });
});
