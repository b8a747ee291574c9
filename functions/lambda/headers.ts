// Internal helpers shared by the event converters. Events are `unknown` until proven otherwise:
// API Gateway sends well-formed JSON, but a test console, a replayed log or a hostile invoke may not.
import type { HeadersLike } from "../../shared/pipeline/types.ts";

/** A plain object (not null, not an array), else `undefined`. */
export function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A string, else `undefined`. */
export function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Headers built from an event's maps, looked up case-insensitively, plus how often `Authorization` came. */
export interface EventHeaders {
  readonly headers: HeadersLike;
  readonly authorizationCount: number;
}

/**
 * Folds API Gateway's `headers` (last value wins) and `multiValueHeaders` (every value) into one
 * case-insensitive view. Where both are present the multi-value list is the truth, so a second
 * `Authorization` line cannot hide behind the single-value map. Non-string values are skipped.
 */
export function eventHeaders(single: unknown, multi?: unknown, extra?: Readonly<Record<string, string>>): EventHeaders {
  const values = new Map<string, string[]>();
  const multiMap = record(multi);
  if (multiMap) {
    for (const name in multiMap) {
      const list = multiMap[name];
      if (!Array.isArray(list)) continue;
      for (const item of list) if (typeof item === "string") push(values, name, item);
    }
  }
  const singleMap = record(single);
  if (singleMap) {
    for (const name in singleMap) {
      const value = singleMap[name];
      if (typeof value !== "string") continue;
      const key = name.toLowerCase();
      // Only fill what the multi-value map did not already carry in full
      if (!multiMap || !values.has(key)) push(values, name, value);
    }
  }
  if (extra) for (const name in extra) if (!values.has(name.toLowerCase())) push(values, name, extra[name]);
  const joined = new Map<string, string>();
  for (const [name, list] of values) joined.set(name, list.join(", "));
  return {
    headers: { get: (name: string) => joined.get(name.toLowerCase()) ?? null },
    authorizationCount: values.get("authorization")?.length ?? 0,
  };
}

function push(values: Map<string, string[]>, name: string, value: string): void {
  const key = name.toLowerCase();
  const list = values.get(key);
  if (list) list.push(value);
  else values.set(key, [value]);
}
