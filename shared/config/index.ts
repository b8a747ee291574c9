// The Gatehouse configuration: one typed, JSON-able object for all three functions, validated once.
export { validateConfig } from "./validate.ts";
export { defineConfig } from "./define.ts";
export type { GatehouseConfig, ResolvedConfig, FailMode } from "./types.ts";
