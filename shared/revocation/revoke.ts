import { systemClock, type Clock } from "../clock/index.ts";
import { parseBefore, type RevocationKind } from "./keys.ts";
import type { RevocationStore } from "./store.ts";
import { resolveTarget, type RevocationTarget } from "./target.ts";

/** Options for `revoke`. */
export interface RevokeOptions {
  /** Default: the system clock. */
  readonly clock?: Clock;
  /**
   * The longest token lifetime, in seconds; default 86400. A subject, session or client entry is
   * kept this long past its `before` time, after which every token it covered has expired anyway.
   */
  readonly maxTokenLifetimeSeconds?: number;
}

/** What `revoke` wrote. */
export interface RevocationRecord {
  readonly kind: RevocationKind;
  readonly iss: string;
  readonly id: string;
  readonly key: string;
  /** The stored value: the revocation time (jti) or the "revoked before" time (others), Unix seconds. */
  readonly value: string;
  /** When the entry expires by itself, Unix seconds. */
  readonly expiresAt: number;
}

/**
 * Records a revocation; the library form of `gatehouse revoke`, for an IdP webhook or an admin tool
 * (runs anywhere `shared/` runs). Checkers enforce it within their `ttlMs`.
 *
 * `before` defaults to the end of the current second: `iat` has one-second resolution, so a token
 * minted in the same second as the revocation is covered too. A subject, session or client that
 * already has a later `before` keeps it (read, then write: two concurrent calls may race, and the
 * later write wins). Throws `RevocationInputError` for a bad target; store errors propagate.
 */
export async function revoke(store: RevocationStore, target: RevocationTarget, options: RevokeOptions = {}): Promise<RevocationRecord> {
  const resolved = resolveTarget(target);
  const nowMs = (options.clock ?? systemClock).now();
  const nowSeconds = Math.floor(nowMs / 1000);
  const lifetime = options.maxTokenLifetimeSeconds ?? 86_400;
  let value: number;
  let expiresAt: number;
  if (resolved.kind === "jti") {
    value = nowSeconds;
    // An entry expiring in the past would vanish at once; the token has expired anyway by then
    expiresAt = Math.max(resolved.time ?? nowSeconds + lifetime, nowSeconds + 1);
  } else {
    value = resolved.time ?? nowSeconds + 1;
    const [existing] = await store.getMany([resolved.key], AbortSignal.timeout(10_000), nowMs);
    const existingBefore = existing == null ? undefined : parseBefore(existing);
    if (existingBefore !== undefined && existingBefore > value) value = existingBefore;
    expiresAt = Math.max(value + lifetime, nowSeconds + 1);
  }
  await store.put(resolved.key, String(value), expiresAt);
  return { kind: resolved.kind, iss: resolved.iss, id: resolved.id, key: resolved.key, value: String(value), expiresAt };
}
