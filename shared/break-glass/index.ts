export { resolveBreakGlassConfig, type BreakGlassConfig, type ResolvedBreakGlassConfig } from "./config.ts";
export { withinLifetime } from "./lifetime.ts";
