// The key layout shared by every store, the checker and the CLI. Changing it orphans existing
// revocations, so it is versioned by the prefix.

/** What a revocation names: one token, every token of a subject, a session, or a client. */
export type RevocationKind = "jti" | "sub" | "sid" | "client";

/** Every Gatehouse revocation key starts with this, so `list` and shared Redis databases stay tidy. */
export const REVOCATION_KEY_PREFIX = "gh:rv:";

// Cloudflare KV refuses keys over 512 bytes and DynamoDB partition keys over 2048; an escaped
// identifier past this many characters is replaced by a digest, which can only ever over-match.
const MAX_PART_LENGTH = 200;

/**
 * The store key for one revocation, e.g. `gh:rv:sub:https%3A//idp.example:alice`. Qualified by
 * issuer because `sub`, `sid` and `client_id` are unique only per issuer (RFC 7519 §4.1.2).
 * `%` and `:` are percent-escaped so an issuer URL cannot collide with the separator.
 */
export function revocationKey(kind: RevocationKind, issuer: string, id: string): string {
  return REVOCATION_KEY_PREFIX + kind + ":" + escapePart(issuer) + ":" + escapePart(id);
}

/** The prefix for `list`: all revocations, one kind, or one kind of one issuer. */
export function revocationKeyPrefix(kind?: RevocationKind, issuer?: string): string {
  if (kind === undefined) return REVOCATION_KEY_PREFIX;
  if (issuer === undefined) return REVOCATION_KEY_PREFIX + kind + ":";
  return REVOCATION_KEY_PREFIX + kind + ":" + escapePart(issuer) + ":";
}

/** A key split back into its parts, or `undefined` when it is not a revocation key. */
export function parseRevocationKey(key: string): { kind: RevocationKind; issuer: string; id: string } | undefined {
  if (!key.startsWith(REVOCATION_KEY_PREFIX)) return undefined;
  const parts = key.slice(REVOCATION_KEY_PREFIX.length).split(":");
  if (parts.length !== 3) return undefined;
  const [kind, issuer, id] = parts;
  if (kind !== "jti" && kind !== "sub" && kind !== "sid" && kind !== "client") return undefined;
  return { kind, issuer: unescapePart(issuer), id: unescapePart(id) };
}

/** Whether `part` goes into a key as it is (no escaping, no digest): lets the checker skip work. */
export function isPlainPart(part: string): boolean {
  return part.length <= MAX_PART_LENGTH && part.indexOf("%") === -1 && part.indexOf(":") === -1;
}

function escapePart(part: string): string {
  const escaped = part.indexOf("%") === -1 && part.indexOf(":") === -1 ? part : part.replace(/%/g, "%25").replace(/:/g, "%3A");
  return escaped.length <= MAX_PART_LENGTH ? escaped : digest(part);
}

function unescapePart(part: string): string {
  return part.replace(/%3A/g, ":").replace(/%25/g, "%");
}

// Two FNV-1a 32-bit hashes with different offsets plus the length: not cryptographic, but keys are
// built from verified claims, and a collision could only deny a token, never allow one.
function digest(part: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ part.length;
  for (let i = 0; i < part.length; i++) {
    const c = part.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 13);
  }
  return "%23" + (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0") + "-" + part.length;
}

/** The "revoked before" time stored for subject, session and client entries, or `undefined` if malformed. */
export function parseBefore(value: string): number | undefined {
  return /^\d{1,12}$/.test(value) ? Number(value) : undefined;
}
