import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { GatehouseConfig } from "../../shared/config/index.ts";
import { expectObject } from "../../shared/config/fields.ts";
import { ConfigError } from "../../shared/errors.ts";

/**
 * Reads a `--config FILE`: a JSON `GatehouseConfig` (see docs/config.md), where an issuer may name
 * a JWKS file with `jwksFile` (relative to the config file) instead of `jwksUri` or `jwks`: the
 * file's keys are inlined, since the Worker cannot read the local disk. `routes` defaults to the
 * policy project's `routes.json`.
 */
export function loadDevConfig(file: string): GatehouseConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(file, `expected a readable JSON file: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  }
  // the configuration may hold secrets: a string (JSON encoded twice) is not echoed
  const config = expectObject(parsed, file, "a JSON object", { secret: true });
  const token = config.token as { issuers?: unknown } | undefined;
  if (token && Array.isArray(token.issuers)) {
    token.issuers = token.issuers.map((issuer: unknown, index: number) => {
      if (typeof issuer !== "object" || issuer === null || !("jwksFile" in issuer)) return issuer;
      const { jwksFile, ...rest } = issuer as Record<string, unknown>;
      const field = `token.issuers[${index}].jwksFile`;
      if (typeof jwksFile !== "string") throw new ConfigError(field, "expected the path of a JWKS file");
      const path = resolve(dirname(file), jwksFile);
      let jwks: unknown;
      try {
        jwks = JSON.parse(readFileSync(path, "utf8"));
      } catch {
        throw new ConfigError(field, `expected a readable JWKS (JSON) file, got \`${jwksFile}\``);
      }
      return { ...rest, jwks };
    });
  }
  if (config.revocation === undefined) config.revocation = { store: { kind: "kv" } };
  return config as unknown as GatehouseConfig;
}
