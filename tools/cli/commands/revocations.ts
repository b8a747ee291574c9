import { parseCommandArgs } from "../args.ts";
import { UsageError, type CliCommand } from "../command.ts";
import type { RevocationKind } from "../../../shared/revocation/keys.ts";
import { listRevocations } from "../../../shared/revocation/list.ts";
import { storeFlags, storeUsage } from "../../revocation/open-store.ts";
import { showTime } from "../../revocation/parse-time.ts";
import { runWithStore } from "../../revocation/run-with-store.ts";

const usage = `usage: gatehouse revocations list [--kind jti|sub|sid|client] [--iss ISSUER] [store] [--json]

Lists live revocations: kind, issuer, id, the time it applies from (jti: when revoked; others:
tokens issued before it are refused) and when the entry expires. Scans the store; for admins.

${storeUsage}`;

const KINDS: readonly RevocationKind[] = ["jti", "sub", "sid", "client"];

/** `gatehouse revocations list`: prints the live revocations in the configured store. */
export const command: CliCommand = {
  summary: "list revocations (`revocations list`)",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, { ...storeFlags, kind: { type: "string" }, iss: { type: "string" }, json: { type: "boolean" } }, true);
    if (positionals.length !== 1 || positionals[0] !== "list") throw new UsageError("expected `revocations list`");
    const kind = values.kind as RevocationKind | undefined;
    if (kind !== undefined && !KINDS.includes(kind)) throw new UsageError(`\`--kind\` expects one of jti, sub, sid, client, got \`${values.kind}\``);
    return runWithStore(values, async ({ store }) => {
      const found = await listRevocations(store, { kind, iss: values.iss });
      if (values.json) {
        console.log(JSON.stringify(found));
        return 0;
      }
      if (found.length === 0) {
        console.log("no revocations");
        return 0;
      }
      const rows = found.map((r) => [r.kind, r.iss, r.id, showTime(r.value), showTime(r.expiresAt)]);
      const header = ["KIND", "ISSUER", "ID", "FROM", "EXPIRES"];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
      for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd());
      return 0;
    });
  },
};
