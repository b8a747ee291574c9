import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseCommandArgs } from "../args.ts";
import type { CliCommand } from "../command.ts";
import { paintFor } from "../color.ts";
import { policiesDirFrom } from "./_project.ts";

const usage = `usage: gatehouse types [--policies DIR] [--out FILE]

Prints TypeScript types for the schema's requests and entities, in Cedar's JSON encoding (what the
compiled policies' \`evaluate\` takes). \`gatehouse build\` also writes them to dist/policy-types.ts.

options:
  --policies DIR   the policy project; default \`policies\`
  --out FILE       write to FILE instead of stdout

exit codes: 0 generated, 1 schema or policy errors, 2 usage error`;

/** `gatehouse types`: TypeScript types generated from the Cedar schema. */
export const command: CliCommand = {
  summary: "generate TypeScript types for requests and entities from the schema",
  usage,
  async run(args) {
    const { values } = parseCommandArgs(args, { policies: { type: "string" }, out: { type: "string" } });
    const policiesDir = policiesDirFrom(values.policies);
    // Loaded here, not at the top, so `--help` does not load cedar-wasm
    const [{ formatDiagnostic, loadProject }, { generateTypes }] = await Promise.all([import("../../analysis/index.ts"), import("../../typegen/index.ts")]);
    const loaded = loadProject(policiesDir);
    if (!loaded.ok) {
      const err = paintFor(process.stderr);
      for (const d of loaded.diagnostics) console.error(err.red(formatDiagnostic(d)));
      return 1;
    }
    const source = generateTypes(loaded.project.schema, { source: "schema.cedarschema" });
    if (values.out === undefined) process.stdout.write(source);
    else {
      mkdirSync(dirname(resolve(values.out)), { recursive: true });
      writeFileSync(values.out, source);
      console.log(`wrote ${values.out}`);
    }
    return 0;
  },
};
