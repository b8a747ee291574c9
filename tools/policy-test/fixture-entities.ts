// A policy test's live entity records, decided through the production entity stage: a loader
// whose cache holds exactly the case's records (each checked as a store's would be), never a source.
import { createEntityLoader, resolveEntitiesConfig, uidKey, type ResolvedEntitiesConfig } from "../../shared/entities/index.ts";
import { entitiesStage, type PipelineParts, type Stage } from "../../shared/pipeline/index.ts";

const DEFAULTS = resolveEntitiesConfig({ source: { kind: "memory" } });
const NO_SOURCE = {
  name: "fixture",
  getMany: () => Promise.reject(new Error("fixtures are complete: the source is never asked")),
};

/** The entity stage for one request whose live records are `records` (Cedar JSON entities). */
export function fixtureEntityStage(parts: PipelineParts, config: ResolvedEntitiesConfig | null, records: readonly unknown[]): Stage {
  const policies = parts.policies;
  const isStatic = typeof policies.hasStaticEntity === "function" ? policies.hasStaticEntity.bind(policies) : () => false;
  const resolved = config ?? DEFAULTS;
  const loader = createEntityLoader(resolved, { source: NO_SOURCE, clock: parts.clock, shapes: policies.entityShapes ?? null, isStatic, complete: true });
  records.forEach((record, i) => {
    const uid = (record as { uid?: { type?: unknown; id?: unknown } } | null)?.uid;
    // A fixture without a readable uid is stored under a name of its own, so the stage refuses it by that name
    const key = typeof uid?.type === "string" && typeof uid.id === "string" ? uidKey(uid.type, uid.id) : `Fixture::"${i}"`;
    loader.remember(key, JSON.stringify(record) ?? "null");
  });
  return entitiesStage({ loader, failMode: null, claimsAuthoritative: resolved.claimsAuthoritative, prefetch: false }, parts.failModes);
}
