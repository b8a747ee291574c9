// Live entity data (issue #17): records of the principal, the resource and their ancestors, read at
// request time, checked against the schema, cached and merged over the token's and the path's entities.
export { resolveEntitiesConfig, type EntitiesConfig, type EntitySourceConfig, type HttpEntitySourceConfig, type ResolvedEntitiesConfig } from "./config.ts";
export { checkRecord, checkRecordText, type CheckedRecord, type RecordLimits } from "./check-record.ts";
export { coalescingStore } from "./coalescing-store.ts";
export { httpEntitySource, type HttpSourceOptions } from "./http-source.ts";
export { createEntityLoader, type EntityLoader, type EntityLoaderDeps, type EntityLoadResult, type LoadedEntity } from "./load.ts";
export { mergeEntities, type BuiltEntities } from "./merge.ts";
export { openEntityDeps, type StoreDepsForAuthorizer } from "./open-source.ts";
export type { EntityShape, EntityShapes, ShapeAttribute, ShapeType } from "./shapes.ts";
export { NO_EXPIRY_SECONDS, storeEntitySource, type EntitySource } from "./source.ts";
export { ENTITY_KEY_PREFIX, entityStoreKey, parseUidKey, uidKey } from "./uid.ts";
