import { RevocationInputError } from "./errors.ts";
import { revocationKey, type RevocationKind } from "./keys.ts";

/**
 * What to revoke. Exactly one of `jti`, `sub`, `sid`, `clientId`, always with the issuer `iss`
 * (identifiers are unique only per issuer). `exp` (jti) and `before` (the others) are Unix seconds.
 */
export type RevocationTarget =
  /** One token. `exp` is the token's own expiry, so the entry lives no longer than the token; default now + `maxTokenLifetimeSeconds`. */
  | { readonly iss: string; readonly jti: string; readonly exp?: number }
  /** Every token of a subject issued before `before` ("log out everywhere", offboarding). */
  | { readonly iss: string; readonly sub: string; readonly before?: number }
  /** Every token of a session issued before `before`. */
  | { readonly iss: string; readonly sid: string; readonly before?: number }
  /** Every token issued to an OAuth client (`client_id`) before `before`. */
  | { readonly iss: string; readonly clientId: string; readonly before?: number };

/** The target with its kind and key worked out; checked. */
export interface ResolvedTarget {
  readonly kind: RevocationKind;
  readonly iss: string;
  readonly id: string;
  readonly key: string;
  readonly time?: number;
}

const FIELDS: ReadonlyArray<[field: "jti" | "sub" | "sid" | "clientId", kind: RevocationKind]> = [
  ["jti", "jti"],
  ["sub", "sub"],
  ["sid", "sid"],
  ["clientId", "client"],
];

export function resolveTarget(target: RevocationTarget): ResolvedTarget {
  if (typeof target !== "object" || target === null) throw new RevocationInputError("target", "expected an object");
  const record = target as unknown as Record<string, unknown>;
  if (typeof record.iss !== "string") throw new RevocationInputError("iss", "expected the issuer as a string");
  const present = FIELDS.filter(([field]) => record[field] !== undefined);
  if (present.length !== 1) throw new RevocationInputError("target", "expected exactly one of `jti`, `sub`, `sid`, `clientId`");
  const [field, kind] = present[0];
  const id = record[field];
  if (typeof id !== "string" || id === "") throw new RevocationInputError(field, "expected a non-empty string");
  const timeField = kind === "jti" ? "exp" : "before";
  const otherTimeField = kind === "jti" ? "before" : "exp";
  if (record[otherTimeField] !== undefined) throw new RevocationInputError(otherTimeField, `not used with \`${field}\`; use \`${timeField}\``);
  const time = record[timeField];
  if (time !== undefined && (typeof time !== "number" || !Number.isInteger(time) || time < 0 || time > 99_999_999_999)) {
    throw new RevocationInputError(timeField, "expected Unix seconds as a non-negative integer");
  }
  return { kind, iss: record.iss, id, key: revocationKey(kind, record.iss, id), time: time as number | undefined };
}
