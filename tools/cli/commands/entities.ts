import type { CliCommand } from "../command.ts";
import { storeUsage } from "../../revocation/open-store.ts";

const usage = `usage: gatehouse entities put RECORD | get UID | rm UID | list [--type T] | import FILE  [store] [options]

Live entity records (#17), read by authorizers whose config has an \`entities\` section with the same
store. A record is Cedar's entity JSON, { "uid": { "type": "User", "id": "alice" }, "attrs": {…},
"parents": […] }, kept under gh:en:User::"alice". Authorizers see a change within the type's ttl
(default 5 s; KV adds its own propagation delay). Records are checked against the schema on write.

  put RECORD     write one record (JSON text, or @FILE)
  get UID        print the record of UID, e.g. 'User::"alice"'
  rm UID         remove the record of UID
  list           list records (--type to narrow)
  import FILE    write every entity of a Cedar entities JSON file (an array of records)

options:
  --policies DIR        the schema's project (default ./policies); records are checked against it
  --max-record-bytes N  largest record (default 65536, as the authorizer's default)
  --json                machine-readable output

${storeUsage}`;

/** `gatehouse entities`: writes, reads and lists live entity records in the configured store. */
export const command: CliCommand = {
  summary: "put, get, remove, list or import live entity records",
  usage,
  async run(args) {
    // Loaded when run, not when `--help` lists the commands (the schema check loads cedar-wasm)
    const { runEntities } = await import("../../entities/run.ts");
    return runEntities(args);
  },
};
