import { parseCommandArgs } from "../args.ts";
import { UsageError, type CliCommand } from "../command.ts";
import { revoke } from "../../../shared/revocation/revoke.ts";
import { storeFlags, storeUsage } from "../../revocation/open-store.ts";
import { parseTime, showTime } from "../../revocation/parse-time.ts";
import { runWithStore } from "../../revocation/run-with-store.ts";
import { targetFlags, targetFromFlags } from "../../revocation/target-flags.ts";

const usage = `usage: gatehouse revoke (--jti ID [--exp T] | --sub S [--before T] | --sid ID [--before T] | --client ID [--before T]) --iss ISSUER [store] [options]

Revokes one token (jti), every token of a subject, session or client issued before T (default: now).
Authorizers enforce it within their revocation ttl (default 5 s; KV adds its own propagation delay).
T is Unix seconds or an ISO 8601 date-time. --exp is the token's own exp (the entry expires with it).

options:
  --max-token-lifetime SECONDS  how long subject/session/client entries are kept past T (default 86400)
  --json                        print the written record as JSON

${storeUsage}`;

/** `gatehouse revoke`: writes one revocation to the configured store. */
export const command: CliCommand = {
  summary: "revoke a token, subject, session or client",
  usage,
  async run(args) {
    const { values } = parseCommandArgs(args, {
      ...targetFlags,
      ...storeFlags,
      exp: { type: "string" },
      before: { type: "string" },
      "max-token-lifetime": { type: "string" },
      json: { type: "boolean" },
    });
    const target = targetFromFlags(values, { exp: parseTime("exp", values.exp), before: parseTime("before", values.before) });
    const lifetime = values["max-token-lifetime"] === undefined ? 86_400 : Number(values["max-token-lifetime"]);
    if (!Number.isInteger(lifetime) || lifetime < 60) throw new UsageError("`--max-token-lifetime` expects whole seconds, at least 60");
    return runWithStore(values, async ({ store, description }) => {
      const record = await revoke(store, target, { maxTokenLifetimeSeconds: lifetime });
      if (values.json) {
        console.log(JSON.stringify(record));
      } else if (record.kind === "jti") {
        console.log(`revoked jti \`${record.id}\` of \`${record.iss}\` in ${description}; entry expires ${showTime(record.expiresAt)}`);
      } else {
        console.log(
          `revoked ${record.kind} \`${record.id}\` of \`${record.iss}\` in ${description}: tokens issued before ${showTime(record.value)} are refused; entry expires ${showTime(record.expiresAt)}`,
        );
      }
      return 0;
    });
  },
};
