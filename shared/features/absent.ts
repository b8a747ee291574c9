// What a bundle built without an optional feature has in its place (tools/build/features.ts): the
// same constructors, answering as the real ones do for a configuration without the section, and
// refusing to start for one that names it. A configured security feature is never skipped quietly.
import type { resolveEntitiesConfig as ResolveEntitiesConfig } from "../entities/config.ts";
import type { entitiesStage as EntitiesStage, prefetchEntities as PrefetchEntities } from "../pipeline/stages/entities.ts";
import type { resolvePolicyBundleConfig as ResolvePolicyBundleConfig } from "../bundle/config.ts";
import type { resolveRolloutConfig as ResolveRolloutConfig } from "../rollout/config.ts";
import type { buildEntityStage as BuildEntityStage } from "../pipeline/entity-parts.ts";
import type { openEntityDeps as OpenEntityDeps } from "../entities/open-source.ts";
import type { attachPolicyBundle as AttachPolicyBundle } from "../bundle/attach.ts";
import type { attachRollout as AttachRollout } from "../rollout/attach.ts";
import type { resolveDiscovery as ResolveDiscovery, resolveIntrospection as ResolveIntrospection } from "../token/provider-config.ts";
import type { createIntrospection as CreateIntrospection } from "../token/introspect.ts";
import type { createDiscoveryKeyResolver as CreateDiscoveryKeyResolver } from "../token/discovery.ts";
import { ConfigError } from "../errors.ts";

/** The features a build can leave out, by the configuration field that turns each on. */
export type OptionalFeature = "entities" | "policyBundle" | "rollout" | "introspection" | "discovery";

/** The `ConfigError` of a configuration that names a feature its bundle was built without. */
export function featureNotBuilt(field: string, feature: OptionalFeature, where = ""): ConfigError {
  return new ConfigError(field, `the configuration sets it${where}, and this bundle was built without \`${feature}\`: rebuild it with the configuration it runs with, or with every feature`);
}

// Called by validateConfig only for a section that is there
export const resolveEntitiesConfig: typeof ResolveEntitiesConfig = (_raw, path = "entities") => {
  throw featureNotBuilt(path, "entities");
};

export const entitiesStage: typeof EntitiesStage = (parts) => {
  if (parts === null) return function entities() { return undefined; };
  throw featureNotBuilt("entities", "entities");
};

export const prefetchEntities: typeof PrefetchEntities = (stage, parts) => {
  if (parts === null) return stage;
  throw featureNotBuilt("entities", "entities");
};

export const resolvePolicyBundleConfig: typeof ResolvePolicyBundleConfig = (raw, path = "policyBundle") => {
  if (raw === undefined || raw === null) return null;
  throw featureNotBuilt(path, "policyBundle");
};

export const resolveRolloutConfig: typeof ResolveRolloutConfig = (_raw, field = "rollout") => {
  throw featureNotBuilt(field, "rollout");
};

export const buildEntityStage: typeof BuildEntityStage = (config) => {
  if (config === null) return null;
  throw featureNotBuilt("entities", "entities");
};

export const openEntityDeps: typeof OpenEntityDeps = (_registry, config, revocationStore) => {
  if ((config.entities ?? null) !== null) throw featureNotBuilt("entities", "entities");
  return revocationStore === undefined ? {} : { revocationStore };
};

export const attachPolicyBundle: typeof AttachPolicyBundle = (config) => {
  if (config === null) return null;
  throw featureNotBuilt("policyBundle", "policyBundle");
};

export const attachRollout: typeof AttachRollout = (config) => {
  if (config === null) return null;
  throw featureNotBuilt("rollout", "rollout");
};

// Called by the token configuration's check only for an issuer that sets the option
export const resolveIntrospection: typeof ResolveIntrospection = (_raw, path) => {
  throw featureNotBuilt(path, "introspection");
};

export const resolveDiscovery: typeof ResolveDiscovery = (_raw, _issuer, _timing, path) => {
  throw featureNotBuilt(path, "discovery");
};

export const createIntrospection: typeof CreateIntrospection = (issuers) => {
  throw featureNotBuilt("token.issuers[].introspection", "introspection", ` for \`${issuers[0]?.issuer ?? ""}\``);
};

export const createDiscoveryKeyResolver: typeof CreateDiscoveryKeyResolver = (issuer) => {
  throw featureNotBuilt("token.issuers[].discovery", "discovery", ` for \`${issuer.issuer}\``);
};
