/**
 * Bad configuration, thrown once when a function starts and never for a request. `field` is the
 * option's path (`revocation.deadlineMs`); the message says what was expected, e.g.
 * `revocation.deadlineMs: expected an integer from 1 to 10000, got \`0\``.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  /** The option at fault, as a dotted path. */
  readonly field: string;
  constructor(field: string, expected: string) {
    super(`${field}: ${expected}`);
    this.field = field;
  }
}

/** A value as an error message shows it: short, in backticks, never a whole object. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return `\`${value.length > 80 ? value.slice(0, 80) + "…" : value}\``;
  if (value === null || typeof value !== "object") return `\`${String(value)}\``;
  return Array.isArray(value) ? "an array" : "an object";
}
