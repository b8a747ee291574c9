// The feature-gated build's choice of features and the module it writes (tools/build/features.ts).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as absent from "../../../shared/features/absent.ts";
import * as features from "../../../shared/features/index.ts";
import { FEATURE_EXPORTS, featuresOf, OPTIONAL_FEATURES, parseFeaturesFlag, resolveFeatures, writeFeaturesModule } from "../../../tools/build/features.ts";

const issuer = { issuer: "https://idp.example", audience: "api", algorithms: ["ES256"], jwksUri: "https://idp.example/jwks" };

describe("the features module and its stand-ins", () => {
  it("the build's table, shared/features/index.ts and absent.ts name the same constructors", () => {
    const tabled = Object.values(FEATURE_EXPORTS).flatMap((entries) => entries.flatMap((entry) => entry.names)).sort();
    expect(Object.keys(features).sort()).toEqual(tabled);
    expect(Object.keys(absent).filter((name) => name !== "featureNotBuilt").sort()).toEqual(tabled);
  });

  it("writes a module taking each kept feature from its own file and the others from absent.ts", () => {
    const dir = mkdtempSync(join(tmpdir(), "gatehouse-features-"));
    try {
      const file = join(dir, "features.js");
      writeFeaturesModule(file, ["entities"]);
      const text = readFileSync(file, "utf8");
      expect(text).toMatch(/export \{ buildEntityStage \} from ".*shared\/pipeline\/entity-parts\.ts";/);
      expect(text).toMatch(/export \{ attachPolicyBundle \} from ".*shared\/features\/absent\.ts";/);
      expect(text).toMatch(/export \{ createIntrospection \} from ".*shared\/features\/absent\.ts";/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("which features a configuration keeps", () => {
  it("none for a configuration without optional sections (the example's)", () => {
    expect(featuresOf({ token: { issuers: [issuer] }, revocation: { store: { kind: "kv" } } })).toEqual([]);
  });
  it("each section it names, sections set to null aside", () => {
    expect(featuresOf({ token: { issuers: [issuer] }, entities: { source: { kind: "memory" } }, rollout: { canary: { share: 0.1 } }, policyBundle: null })).toEqual(["entities", "rollout"]);
    expect(featuresOf({ token: { issuers: [issuer, { ...issuer, issuer: "https://b", discovery: true, jwksUri: undefined }, { ...issuer, issuer: "https://c", introspection: {} }] } })).toEqual(["introspection", "discovery"]);
  });
  it("every feature when no configuration is known at build time", () => {
    expect(featuresOf(undefined)).toEqual(OPTIONAL_FEATURES);
  });
  it("`--features` overrides the configuration, and an unknown name is a build error", () => {
    expect(resolveFeatures(parseFeaturesFlag("all"), { token: { issuers: [issuer] } })).toEqual(OPTIONAL_FEATURES);
    expect(resolveFeatures(parseFeaturesFlag("rollout,entities"), undefined)).toEqual(["entities", "rollout"]);
    expect(resolveFeatures(parseFeaturesFlag("none"), undefined)).toEqual([]);
    expect(() => resolveFeatures(parseFeaturesFlag("entity"), undefined)).toThrow(/features: expected one of entities, .*, got `entity`/);
  });
});

describe("security: the stand-ins refuse a configured feature", () => {
  it("throw a ConfigError naming the field, and pass through a configuration without the section", () => {
    expect(absent.attachPolicyBundle(null, {} as never, {} as never)).toBeNull();
    expect(absent.resolvePolicyBundleConfig(undefined)).toBeNull();
    expect(() => absent.resolvePolicyBundleConfig({ store: { kind: "kv" } })).toThrow(expect.objectContaining({ name: "ConfigError", field: "policyBundle" }));
    expect(() => absent.resolveEntitiesConfig({})).toThrow(expect.objectContaining({ field: "entities", message: expect.stringContaining("built without `entities`") }));
    expect(() => absent.resolveIntrospection({}, "token.issuers[1].introspection")).toThrow(expect.objectContaining({ field: "token.issuers[1].introspection" }));
    expect(() => absent.attachRollout({} as never, {} as never)).toThrow(expect.objectContaining({ field: "rollout" }));
    const stage = () => undefined;
    expect(absent.prefetchEntities(stage, null)).toBe(stage);
    expect(() => absent.entitiesStage({} as never, new Map())).toThrow(expect.objectContaining({ field: "entities" }));
  });
});
