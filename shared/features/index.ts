// The optional features: built only when the configuration names them, and reached by the rest of
// shared/ through this module alone. The Worker and Lambda builds put a module of their own in its
// place (tools/build/features.ts) that keeps the features their configuration uses and takes the
// others from ./absent.ts, so a bundle carries only what it runs. Library entry points keep all.
export { resolveEntitiesConfig } from "../entities/config.ts";
export { buildEntityStage } from "../pipeline/entity-parts.ts";
export { openEntityDeps } from "../entities/open-source.ts";
export { entitiesStage, prefetchEntities } from "../pipeline/stages/entities.ts";
export { resolvePolicyBundleConfig } from "../bundle/config.ts";
export { attachPolicyBundle } from "../bundle/attach.ts";
export { resolveRolloutConfig } from "../rollout/config.ts";
export { attachRollout } from "../rollout/attach.ts";
export { resolveIntrospection, resolveDiscovery } from "../token/provider-config.ts";
export { createIntrospection } from "../token/introspect.ts";
export { createDiscoveryKeyResolver } from "../token/discovery.ts";
