// Helpers shared by the token stage's files. Not exported from index.ts.
import { base64url } from "jose";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** A plain JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Decodes one base64url segment of a compact JWS into a JSON object, or `undefined` when it is not one. */
export function decodeJsonSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(strictUtf8.decode(base64url.decode(segment)));
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Reads a claim by path (`["realm_access", "roles"]`); own properties only, so `__proto__` finds nothing. */
export function readClaim(claims: Record<string, unknown>, path: readonly string[]): unknown {
  let current: unknown = claims;
  for (const part of path) {
    if (!isRecord(current) || !Object.hasOwn(current, part)) return undefined;
    current = current[part];
  }
  return current;
}

/** Freezes an object graph in place (claims handed to several stages must not be changed by one). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
