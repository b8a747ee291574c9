// The JSON Schema of gatehouse.config.json, generated from the valibot definition the start-up
// check runs (shared/config/schema.ts), so an editor's squiggles and `createAuthorizer` agree.
import { toJsonSchema } from "@valibot/to-json-schema";
import { gatehouseConfigSchema } from "../../shared/config/schema.ts";

/** The JSON Schema (draft-07) for `gatehouse.config.json`. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...toJsonSchema(gatehouseConfigSchema, { errorMode: "throw" }),
    $id: "https://github.com/gatehouse/gatehouse/gatehouse.config.schema.json",
    title: "Gatehouse configuration",
    description: "gatehouse.config.json: token issuers, the route table, revocation, fail modes and audit options. See docs/config.md.",
  };
}
