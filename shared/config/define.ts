import type { GatehouseConfig } from "./types.ts";

/**
 * Types a configuration where it is written (`gatehouse.config.ts`): editor completion and type
 * errors, no run-time effect. Returns `config` as given; `createAuthorizer` validates it at start.
 */
export function defineConfig<const T extends GatehouseConfig>(config: T): T {
  return config;
}
