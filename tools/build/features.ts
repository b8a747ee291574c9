// The feature-gated build: a Worker or Lambda bundle carries an optional feature's code only when
// the configuration it is built for names the feature. shared/features/index.ts is the one module
// through which shared/ reaches those features; the build puts a generated module in its place that
// re-exports the used ones from their own files and the others from shared/features/absent.ts,
// whose constructors refuse to start on a configuration that names them.
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Plugin } from "esbuild";
import type { OptionalFeature } from "../../shared/features/absent.ts";

export type { OptionalFeature } from "../../shared/features/absent.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The module the build replaces, and how the files of shared/ import it (all sit one folder below shared/). */
export const FEATURES_MODULE = join(ROOT, "shared", "features", "index.ts");
export const FEATURES_SPECIFIER = "../features/index.ts";
const ABSENT_MODULE = join(ROOT, "shared", "features", "absent.ts");

/** Each optional feature: the constructors shared/features/index.ts exports for it, and the file they live in. */
export const FEATURE_EXPORTS: Readonly<Record<OptionalFeature, readonly { readonly names: readonly string[]; readonly file: string }[]>> = {
  entities: [
    { names: ["resolveEntitiesConfig"], file: "shared/entities/config.ts" },
    { names: ["buildEntityStage"], file: "shared/pipeline/entity-parts.ts" },
    { names: ["openEntityDeps"], file: "shared/entities/open-source.ts" },
    { names: ["entitiesStage", "prefetchEntities"], file: "shared/pipeline/stages/entities.ts" },
  ],
  policyBundle: [{ names: ["resolvePolicyBundleConfig"], file: "shared/bundle/config.ts" }, { names: ["attachPolicyBundle"], file: "shared/bundle/attach.ts" }],
  rollout: [{ names: ["resolveRolloutConfig"], file: "shared/rollout/config.ts" }, { names: ["attachRollout"], file: "shared/rollout/attach.ts" }],
  introspection: [{ names: ["resolveIntrospection"], file: "shared/token/provider-config.ts" }, { names: ["createIntrospection"], file: "shared/token/introspect.ts" }],
  discovery: [{ names: ["resolveDiscovery"], file: "shared/token/provider-config.ts" }, { names: ["createDiscoveryKeyResolver"], file: "shared/token/discovery.ts" }],
};

/** Every optional feature, in a fixed order. */
export const OPTIONAL_FEATURES = Object.keys(FEATURE_EXPORTS) as OptionalFeature[];

/** Which features to bundle: `"all"`, or a list. */
export type FeatureChoice = "all" | readonly OptionalFeature[];

/**
 * The optional features a configuration (raw `GatehouseConfig` JSON) names. Read from the raw
 * object, without validating it: naming a section is enough, and keeping one too many is only bytes.
 * `undefined` (no configuration known at build time) keeps every feature.
 */
export function featuresOf(config: unknown): OptionalFeature[] {
  if (config === undefined || config === null || typeof config !== "object") return [...OPTIONAL_FEATURES];
  const raw = config as Record<string, unknown>;
  const named = (value: unknown) => value !== undefined && value !== null;
  const token = raw.token as { issuers?: unknown } | undefined;
  const issuers = Array.isArray(token?.issuers) ? (token.issuers as unknown[]).filter((issuer): issuer is Record<string, unknown> => issuer !== null && typeof issuer === "object") : [];
  const on: Record<OptionalFeature, boolean> = {
    entities: named(raw.entities),
    policyBundle: named(raw.policyBundle),
    rollout: named(raw.rollout),
    introspection: issuers.some((issuer) => named(issuer.introspection)),
    discovery: issuers.some((issuer) => named(issuer.discovery) && issuer.discovery !== false),
  };
  return OPTIONAL_FEATURES.filter((feature) => on[feature]);
}

/** An unknown feature name; named like the build scripts' errors, which print it as one line. */
class FeatureChoiceError extends Error {
  override readonly name = "BuildError";
}

/** `--features all` or `--features entities,rollout` of the build scripts; `undefined` without the flag. */
export function parseFeaturesFlag(value: string | undefined): FeatureChoice | undefined {
  if (value === undefined) return undefined;
  if (value === "all") return "all";
  return value === "" || value === "none" ? [] : (value.split(",").map((name) => name.trim()) as OptionalFeature[]);
}

/** The features a build keeps: the `choice` when given, else those `config` names. */
export function resolveFeatures(choice: FeatureChoice | undefined, config: unknown): OptionalFeature[] {
  if (choice === "all") return [...OPTIONAL_FEATURES];
  if (choice !== undefined) {
    for (const feature of choice) if (!OPTIONAL_FEATURES.includes(feature)) throw new FeatureChoiceError(`features: expected one of ${OPTIONAL_FEATURES.join(", ")}, got \`${feature}\``);
    return OPTIONAL_FEATURES.filter((feature) => choice.includes(feature));
  }
  return featuresOf(config);
}

/** Writes the module that takes the place of shared/features/index.ts in a bundle keeping `features`. */
export function writeFeaturesModule(file: string, features: readonly OptionalFeature[]): void {
  const lines = [`// Written by the build (tools/build/features.ts): optional features kept: ${features.length === 0 ? "none" : features.join(", ")}`];
  for (const feature of OPTIONAL_FEATURES) {
    for (const { names, file: source } of FEATURE_EXPORTS[feature]) {
      const from = features.includes(feature) ? join(ROOT, source) : ABSENT_MODULE;
      lines.push(`export { ${names.join(", ")} } from ${JSON.stringify(from)};`);
    }
  }
  writeFileSync(file, `${lines.join("\n")}\n`);
}

/** An esbuild plugin that resolves shared/features/index.ts to `replacement`. */
export function featuresPlugin(replacement: string): Plugin {
  return {
    name: "gatehouse-features",
    setup(build) {
      build.onResolve({ filter: /[\\/]features[\\/]index\.ts$/ }, (args) => (resolve(args.resolveDir, args.path) === FEATURES_MODULE ? { path: replacement } : undefined));
    },
  };
}
