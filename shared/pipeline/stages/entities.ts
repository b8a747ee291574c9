import type { FailMode } from "../../config/types.ts";
import type { EntityLoadResult } from "../../entities/load.ts";
import type { EntityStageParts } from "../entity-parts.ts";
import { mergeEntities } from "../../entities/merge.ts";
import type { EntityJson } from "../../policy/types.ts";
import { resolveRequest } from "../../routes/resolve.ts";
import { isPromise, verdict, type MaybePromise, type RequestState, type Stage, type Verdict } from "../state.ts";

/**
 * Loads the live records of the request's principal and resource and their ancestors, and merges
 * them into the request entities (see `mergeEntities` for the precedence). An unusable record
 * (schema, size, cycle, too many ancestors) is a 403 `entity_invalid` naming the uid; a source that
 * cannot answer in time is a 503 `entities_unavailable` under fail mode `closed`. Synchronous when
 * every record is cached. Without `config.entities` the stage passes.
 */
export function entitiesStage(parts: EntityStageParts | null, failModes: ReadonlyMap<string, FailMode>): Stage {
  if (parts === null) return function entities() { return undefined; };
  const { loader } = parts;
  return function entities(state): MaybePromise<Verdict | undefined> {
    const roots = [state.principal!.uid, state.request!.resourceEntity.uid];
    const known = loader.loadCached(roots);
    if (known !== undefined) return settle(state, known, parts);
    const later = loader.load(roots, parts.failMode ?? failModes.get(state.match!.route.name) ?? "closed");
    return isPromise(later) ? later.then((result) => settle(state, result, parts)) : settle(state, later, parts);
  };
}

function settle(state: RequestState, result: EntityLoadResult, parts: EntityStageParts): Verdict | undefined {
  state.entityLoad = result;
  if (!result.ok) {
    if (result.reason === "entity_invalid") return verdict(403, "entity_invalid", { stage: "entities", uid: result.uid, message: result.message });
    return verdict(503, "entities_unavailable", { stage: "entities", store: parts.loader.source.name, storeError: result.storeError });
  }
  if (result.records.length === 0) return undefined;
  const built = { principal: state.principal as unknown as EntityJson, resource: state.request!.resourceEntity as unknown as EntityJson };
  state.entities = mergeEntities(built, result.records, parts.claimsAuthoritative);
  return undefined;
}

/**
 * `stage`, preceded by the start of the entity read when revocation and entities share one store,
 * so both go out in one round trip (`coalescingStore`). Changes nothing else: the entity stage
 * later joins the read in flight.
 */
export function prefetchEntities(stage: Stage, parts: EntityStageParts | null): Stage {
  if (parts === null || !parts.prefetch) return stage;
  const { loader } = parts;
  return function prefetchThenRun(state) {
    // Only for a request that will reach the entity stage: a mapped principal and a route with a resource
    if (state.principal !== null && state.match !== null) {
      const resolved = resolveRequest(state.match);
      if (resolved !== null && loader.loadCached([state.principal.uid, resolved.resource]) === undefined) loader.prefetch([state.principal.uid, resolved.resource]);
    }
    return stage(state);
  };
}
