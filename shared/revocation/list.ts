import { parseRevocationKey, revocationKeyPrefix, type RevocationKind } from "./keys.ts";
import { systemClock, type Clock } from "../clock/index.ts";
import type { RevocationStore } from "./store.ts";

/** One live revocation, as `listRevocations` answers it. */
export interface ListedRevocation {
  readonly kind: RevocationKind;
  readonly iss: string;
  /** The jti, sub, sid or client_id (a digest for identifiers too long for a key). */
  readonly id: string;
  readonly key: string;
  /** Revocation time (jti) or "revoked before" time (others), Unix seconds, as stored. */
  readonly value: string;
  /** When the entry expires by itself, Unix seconds, where the store can tell. */
  readonly expiresAt?: number;
}

/**
 * Every live revocation, optionally of one kind and issuer; the library form of
 * `gatehouse revocations list`. Scans the store, so it is for admin tools, never the request path.
 * `clock` says which entries are still live; default the system clock.
 */
export async function listRevocations(store: RevocationStore, filter: { kind?: RevocationKind; iss?: string } = {}, clock: Clock = systemClock): Promise<ListedRevocation[]> {
  const prefix = revocationKeyPrefix(filter.kind, filter.kind === undefined ? undefined : filter.iss);
  const found: ListedRevocation[] = [];
  for (const entry of await store.list(prefix, clock.now())) {
    const parsed = parseRevocationKey(entry.key);
    if (parsed === undefined) continue;
    if (filter.iss !== undefined && parsed.issuer !== filter.iss) continue;
    found.push({ kind: parsed.kind, iss: parsed.issuer, id: parsed.id, key: entry.key, value: entry.value, expiresAt: entry.expiresAt });
  }
  return found;
}
