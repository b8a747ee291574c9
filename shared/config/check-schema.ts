// The configuration schema's check, in a module of its own so that a Lambda whose bundled
// configuration passed it at build time loads neither it nor valibot at start (a chunk of its own).
import * as v from "valibot";
import { ConfigError, describeValue } from "../errors.ts";
import { gatehouseConfigSchema } from "./schema.ts";

/** Throws a `ConfigError` naming the first field the schema refuses. */
export function checkSchema(raw: unknown): void {
  const result = v.safeParse(gatehouseConfigSchema, raw, { abortEarly: true });
  if (result.success) return;
  const issue = result.issues[0];
  const field = (issue.path ?? []).reduce((path: string, item) => (typeof item.key === "number" ? `${path}[${item.key}]` : path === "" ? String(item.key) : `${path}.${String(item.key)}`), "");
  const expected = issue.expected === null ? issue.message : `${issue.expected.replace(/"/g, "`")}`;
  throw new ConfigError(field || "config", `expected ${expected}, got ${describeValue(issue.input)}`);
}
