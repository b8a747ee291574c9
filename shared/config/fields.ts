import { ConfigError, describeValue } from "../errors.ts";

/**
 * `value` as a record, or a `ConfigError` at `field`: `expected an object, got \`5\``. Only a plain
 * object passes (not `null`, an array or a primitive). `what` names the expected shape where that
 * helps (`a resource \`{ type, id, attrs? }\``); `secret` leaves a received string out of the
 * message, for sections a secret is often pasted into by mistake (a PEM key, a header line).
 */
export function expectObject(value: unknown, field: string, what = "an object", { secret = false }: { secret?: boolean } = {}): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(field, `expected ${what}, got ${secret && typeof value === "string" ? "a string" : describeValue(value)}`);
  }
  return value as Record<string, unknown>;
}

/**
 * Throws a `ConfigError` at `field.key` for the first key of `record` not in `allowed`:
 * `unknown option \`ttl\`; expected one of \`ttlMs\`, \`deadlineMs\``. The key is repeated in the
 * message because a key with a dot in it would read as a path. `field` `""` is the top level (the
 * error names the key alone); with `annotations`, keys starting with `$` (`$schema`, `$comment`)
 * pass, as JSON editors add them.
 */
export function refuseUnknownOptions(record: object, field: string, allowed: readonly string[], { annotations = false }: { annotations?: boolean } = {}): void {
  for (const key of Object.keys(record)) {
    if (allowed.includes(key) || (annotations && key.startsWith("$"))) continue;
    throw new ConfigError(field === "" ? key : `${field}.${key}`, `unknown option \`${key}\`; expected one of ${allowed.map((k) => `\`${k}\``).join(", ")}`);
  }
}
