import { parseCommandArgs } from "../args.ts";
import type { CliCommand } from "../command.ts";
import { unrevoke } from "../../../shared/revocation/unrevoke.ts";
import { storeFlags, storeUsage } from "../../revocation/open-store.ts";
import { runWithStore } from "../../revocation/run-with-store.ts";
import { targetFlags, targetFromFlags } from "../../revocation/target-flags.ts";

const usage = `usage: gatehouse unrevoke (--jti ID | --sub S | --sid ID | --client ID) --iss ISSUER [store] [--json]

Removes a revocation. Tokens an authorizer instance has already refused stay refused there until
they expire (a revoked answer is cached that long); others are allowed again within the ttl.

${storeUsage}`;

/** `gatehouse unrevoke`: deletes one revocation from the configured store. */
export const command: CliCommand = {
  summary: "remove a revocation",
  usage,
  async run(args) {
    const { values } = parseCommandArgs(args, { ...targetFlags, ...storeFlags, json: { type: "boolean" } });
    const target = targetFromFlags(values);
    return runWithStore(values, async ({ store, description }) => {
      const { key } = await unrevoke(store, target);
      console.log(values.json ? JSON.stringify({ key }) : `removed \`${key}\` from ${description}`);
      return 0;
    });
  },
};
