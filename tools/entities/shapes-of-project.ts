// The schema shapes the CLI checks records against on write: the project's `schema.cedarschema`
// (or `schema.cedarschema.json`), the same shapes `gatehouse build` writes into the policy module.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { EntityShapes } from "../../shared/entities/index.ts";
import { entityShapesOf } from "../compiler/entity-shapes.ts";
import { UsageError } from "../cli/command.ts";

/** The shapes of the schema in `dir`, or `null` when there is none (records are then checked for structure only). */
export function projectShapes(dir: string): EntityShapes | null {
  for (const file of ["schema.cedarschema", "schema.cedarschema.json"]) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    const text = readFileSync(path, "utf8");
    const shapes = entityShapesOf(file.endsWith(".json") ? (JSON.parse(text) as object) : text);
    if (shapes === null) throw new UsageError(`\`${path}\`: the schema does not parse (run \`gatehouse validate\`)`);
    return shapes;
  }
  return null;
}
