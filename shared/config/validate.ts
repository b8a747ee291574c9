import { checkSchema } from "./check-schema.ts";
import { resolveConfig } from "./resolve.ts";
import type { ResolvedConfig } from "./types.ts";

/**
 * Checks a whole `GatehouseConfig` once at start and returns it resolved, with the route table
 * built. Each section is checked by its own stage (`token`, `revocation`, `audit`, `routes`);
 * errors are `ConfigError`s naming the field (`failModes.GET /x`) and what was expected.
 */
export function validateConfig(raw: unknown): ResolvedConfig {
  return resolveConfig(raw, checkSchema);
}
