// Revocation stage (issue #5): is this verified token revoked? At most one store round trip per
// request, answers cached per isolate, a deadline, a fail mode per route and a circuit breaker.
//
// Pipeline use, once at start and once per request:
//   const checker = createRevocationChecker(config.revocation, { store, clock });
//   const result = await checker.check(payload, route.failMode); // never rejects
//   if (!result.allow) deny(result.reason === "revocation_unavailable" ? 503 : 401, result.reason);
//   // `revoked` and `invalid_claim` are 401 (RFC 6750 `invalid_token`); audit: outcome, revokedBy,
//   // cached, ms, failModeUsed, storeError.
//
// Stores, once at start, through a registry (kind → parse, create, describe; registry.ts):
//   const { store } = openStore(neutralStores, config.revocation.store, { env, clock }); // Node: nodeStores
//
// Writing (IdP webhook, CLI): revoke(store, { iss, sub }), unrevoke(store, { iss, jti }),
// listRevocations(store).

export {
  createRevocationChecker,
  type RevocationChecker,
  type RevocationCheckerDeps,
  type RevocationCheckResult,
  type RevocationClaims,
  type RevocationReason,
  type RevocationStoreError,
} from "./check.ts";
export type { BreakerState } from "./breaker.ts";
export {
  resolveRevocationConfig,
  resolveStoreConfig,
  type RevocationConfig,
  type RevocationFailMode,
  type RevocationStoreConfig,
  type ResolvedRevocationConfig,
  type S3StoreConfig,
  type StoreConfig,
} from "./config.ts";
export type { RevocationStore, RevocationStoreEntry } from "./store.ts";
export { REVOCATION_KEY_PREFIX, parseRevocationKey, revocationKey, revocationKeyPrefix, type RevocationKind } from "./keys.ts";
export { revoke, type RevokeOptions, type RevocationRecord } from "./revoke.ts";
export { claimOnce, type ClaimOutcome } from "./claim.ts";
export { unrevoke } from "./unrevoke.ts";
export { listRevocations, type ListedRevocation } from "./list.ts";
export type { RevocationTarget } from "./target.ts";
export { RevocationInputError } from "./errors.ts";
export { edgeStores, openStore, openKind, loadStoreKinds, checkPurpose, servesPurpose, type OpenedStore, type StoreEntry, type StoreRegistry } from "./registry.ts";
export { neutralStores } from "./neutral-stores.ts";
export { optionFrom, requiredOption, type StoreDeps, type StoreEnv, type StoreFlag, type StoreKind, type StorePurpose } from "./store-kind.ts";
export { createMemoryStore, memoryStore } from "./stores/memory.ts";
export { createUpstashStore, upstashStore, type UpstashStoreOptions } from "./stores/upstash.ts";
export { createKvStore, kvStore, type KvNamespaceLike } from "./stores/kv.ts";
