import { parseCommandArgs } from "../args.ts";
import { UsageError, type CliCommand } from "../command.ts";
import { bundleStoreFlags, bundleStoreUsage, runWithBundleStore } from "../../bundle/store-flags.ts";
import type { BundlePointer } from "../../../shared/bundle/index.ts";

const usage = `usage: gatehouse rollback [--to VERSION] [store] [options]

Moves the \`current\` pointer back: to VERSION (a version or a unique prefix of one from
\`gatehouse bundles list\`), or by default to the version that was current before this one.
Authorizers swap it in at their next poll. The bundle must still be in the store.

options:
  --to VERSION     the version to restore
  --json           print the new pointer as JSON

${bundleStoreUsage}

exit codes: 0 moved, 1 store error or nothing to roll back to, 2 usage error`;

/** The version before the current one: the latest history entry naming another version. */
export function previousVersion(history: readonly BundlePointer[], current: BundlePointer): string | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const h = history[i];
    if (h.seq < current.seq && h.version !== current.version) return h.version;
  }
  return undefined;
}

/** `gatehouse rollback`: move the pointer to an earlier version. */
export const command: CliCommand = {
  summary: "move the policy bundle pointer back to an earlier version",
  usage,
  async run(args) {
    const { values } = parseCommandArgs(args, { ...bundleStoreFlags, to: { type: "string" }, json: { type: "boolean" } });
    if (values.to !== undefined && !/^[0-9a-f]{4,128}$/.test(values.to)) throw new UsageError("`--to` expects a version (hex) or a prefix of one, at least 4 characters");
    return runWithBundleStore(values, async (store, description) => {
      const now = Date.now();
      const current = await store.readPointer(AbortSignal.timeout(10_000), now);
      const history = await store.history(now);
      let target: string | undefined;
      if (values.to !== undefined) {
        const matches = [...new Set(history.map((h) => h.version))].filter((v) => v.startsWith(values.to!));
        if (matches.length > 1) throw new UsageError(`\`${values.to}\` matches ${matches.length} versions: give more characters`);
        target = matches[0];
        if (target === undefined) {
          console.error(`gatehouse: ${description}: no published version starts with \`${values.to}\``);
          return 1;
        }
      } else {
        target = current === null ? undefined : previousVersion(history, current);
        if (target === undefined) {
          console.error(`gatehouse: ${description}: nothing to roll back to${current === null ? " (nothing published)" : ""}`);
          return 1;
        }
      }
      if (current?.version === target) {
        console.log(`version ${target.slice(0, 12)} is already current in ${description}; nothing moved`);
        return 0;
      }
      if ((await store.readBundle(target, AbortSignal.timeout(10_000), now)) === null) {
        console.error(`gatehouse: ${description}: the bundle of ${target.slice(0, 12)} is no longer stored`);
        return 1;
      }
      const pointer = await store.movePointer(target, "rollback", now);
      if (values.json) console.log(JSON.stringify(pointer));
      else console.log(`rolled back to ${target.slice(0, 12)} in ${description}: current → seq ${pointer.seq}${current ? `, was ${current.version.slice(0, 12)}` : ""}`);
      return 0;
    });
  },
};
