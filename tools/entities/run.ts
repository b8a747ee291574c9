import { readFileSync } from "node:fs";
import { parseCommandArgs } from "../cli/args.ts";
import { UsageError } from "../cli/command.ts";
import { checkRecord, ENTITY_KEY_PREFIX, entityStoreKey, NO_EXPIRY_SECONDS, parseUidKey, uidKey, type EntityShapes } from "../../shared/entities/index.ts";
import { storeFlags } from "../revocation/open-store.ts";
import { runWithStore } from "../revocation/run-with-store.ts";
import { projectShapes } from "./shapes-of-project.ts";

const LIMITS = { maxParents: 1024 };

/** Runs `gatehouse entities ARGS` (usage in tools/cli/commands/entities.ts); the exit code. */
export async function runEntities(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { ...storeFlags, policies: { type: "string" }, type: { type: "string" }, "max-record-bytes": { type: "string" }, json: { type: "boolean" } }, true);
  const [verb, argument, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected \`${extra[0]}\``);
  const maxRecordBytes = values["max-record-bytes"] === undefined ? 65_536 : Number(values["max-record-bytes"]);
  if (!Number.isInteger(maxRecordBytes) || maxRecordBytes < 256) throw new UsageError("`--max-record-bytes` expects an integer of at least 256");
  const limits = { ...LIMITS, maxRecordBytes };
  const shapes = () => projectShapes(values.policies ?? "policies");
  switch (verb) {
    case "put": {
      if (argument === undefined) throw new UsageError("expected `entities put RECORD`");
      const record = parseJson(argument.startsWith("@") ? readText(argument.slice(1)) : argument, "RECORD");
      const checked = checkOne(record, shapes(), limits, "RECORD");
      return runWithStore(values, async ({ store, description }) => {
        await store.put(entityStoreKey(checked.uid), checked.text, NO_EXPIRY_SECONDS);
        console.log(values.json ? JSON.stringify({ uid: checked.uid, bytes: checked.text.length }) : `put ${checked.uid} in ${description}`);
        return 0;
      }, "entities");
    }
    case "import": {
      if (argument === undefined) throw new UsageError("expected `entities import FILE`");
      const list = parseJson(readText(argument), argument);
      if (!Array.isArray(list)) throw new UsageError(`\`${argument}\`: expected Cedar's entities JSON (an array of records)`);
      const schema = shapes();
      // Every record is checked before the first is written: a bad file changes nothing
      const checked = list.map((record, i) => checkOne(record, schema, limits, `${argument}[${i}]`));
      return runWithStore(values, async ({ store, description }) => {
        for (const one of checked) await store.put(entityStoreKey(one.uid), one.text, NO_EXPIRY_SECONDS);
        console.log(values.json ? JSON.stringify({ imported: checked.length }) : `imported ${checked.length} records into ${description}`);
        return 0;
      }, "entities");
    }
    case "get":
    case "rm": {
      const uid = uidArgument(argument);
      return runWithStore(values, async ({ store, description }) => {
        if (verb === "rm") {
          await store.delete(entityStoreKey(uid));
          console.log(values.json ? JSON.stringify({ removed: uid }) : `removed ${uid} from ${description}`);
          return 0;
        }
        const [text] = await store.getMany([entityStoreKey(uid)], new AbortController().signal, Date.now());
        if (text === null) {
          console.error(`gatehouse: no record for ${uid} in ${description}`);
          return 1;
        }
        console.log(text);
        return 0;
      }, "entities");
    }
    case "list": {
      if (argument !== undefined) throw new UsageError(`unexpected \`${argument}\``);
      const prefix = ENTITY_KEY_PREFIX + (values.type === undefined ? "" : `${values.type}::`);
      return runWithStore(values, async ({ store }) => {
        const entries = await store.list(prefix, Date.now());
        const uids = entries.map((entry) => entry.key.slice(ENTITY_KEY_PREFIX.length)).sort();
        if (values.json) console.log(JSON.stringify(uids));
        else for (const uid of uids) console.log(uid);
        return 0;
      }, "entities");
    }
    default:
      throw new UsageError("expected `entities put|get|rm|list|import`");
  }
}

function checkOne(record: unknown, shapes: EntityShapes | null, limits: { maxRecordBytes: number; maxParents: number }, where: string): { uid: string; text: string } {
  const checked = checkRecord(record, null, limits, shapes);
  if (!checked.ok) throw new UsageError(`${where}: ${checked.message}`);
  const uid = checked.entity.uid as { type: string; id: string };
  const text = JSON.stringify(checked.entity);
  if (text.length > limits.maxRecordBytes) throw new UsageError(`${where}: record is ${text.length} bytes, more than ${limits.maxRecordBytes}`);
  return { uid: uidKey(uid.type, uid.id), text };
}

function uidArgument(argument: string | undefined): string {
  const parsed = argument === undefined ? undefined : parseUidKey(argument);
  if (parsed === undefined) throw new UsageError(`expected a uid such as 'User::"alice"', got ${argument === undefined ? "nothing" : `\`${argument}\``}`);
  return uidKey(parsed.type, parsed.id);
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${where}: not JSON`);
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    throw new UsageError(`\`${file}\`: cannot read the file`);
  }
}
