// How an entity uid is written as a key: Cedar's own `Type::"id"` form (the id JSON-quoted, so any
// id, quotes and colons included, has one spelling), behind a prefix in stores shared with revocation.

/** Every Gatehouse entity record key starts with this (revocations use `gh:rv:`), so `list` stays tidy. */
export const ENTITY_KEY_PREFIX = "gh:en:";

// Cloudflare KV refuses keys over 512 bytes; a uid longer than this is never looked up (treated as absent)
export const MAX_UID_KEY_LENGTH = 400;

/** `User::"alice"` for type `User`, id `alice`. */
export function uidKey(type: string, id: string): string {
  return type + "::" + JSON.stringify(id);
}

/** The store key of a uid key. */
export function entityStoreKey(uid: string): string {
  return ENTITY_KEY_PREFIX + uid;
}

/** `Type::"id"` split back, or `undefined` when the text is not one uid. */
export function parseUidKey(text: string): { type: string; id: string } | undefined {
  const at = text.indexOf('::"');
  if (at <= 0) return undefined;
  const type = text.slice(0, at);
  if (!/^[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*$/.test(type)) return undefined;
  try {
    const id: unknown = JSON.parse(text.slice(at + 2));
    return typeof id === "string" ? { type, id } : undefined;
  } catch {
    return undefined;
  }
}
