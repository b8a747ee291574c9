import type { RevocationStore } from "./store.ts";
import { resolveTarget, type RevocationTarget } from "./target.ts";

/**
 * Removes a revocation; the library form of `gatehouse unrevoke`. Isolates that already saw the
 * revocation deny the tokens it covered until those expire (a revoked answer is cached that long);
 * tokens they have not judged yet are allowed again within `ttlMs`. Returns the key removed.
 */
export async function unrevoke(store: RevocationStore, target: RevocationTarget): Promise<{ key: string }> {
  const { key } = resolveTarget(target);
  await store.delete(key);
  return { key };
}
