import { writeFileSync } from "node:fs";
import { parseCommandArgs } from "../args.ts";
import { UsageError, type CliCommand } from "../command.ts";
import { bundleStoreFlags, bundleStoreUsage, runWithBundleStore } from "../../bundle/store-flags.ts";

const usage = `usage: gatehouse bundles list [store] [--json]
       gatehouse bundles keygen --out FILE [--kid ID]

list     every move of the policy bundle pointer (publish and rollback), oldest first; * marks current
keygen   writes a new Ed25519 private JWK to FILE (mode 600) for \`gatehouse publish --key\`, and prints
         the public JWK to put in the configuration's \`policyBundle.publicKey\`

${bundleStoreUsage}`;

/** `gatehouse bundles`: the publish history, and signing keys. */
export const command: CliCommand = {
  summary: "list published policy bundles, or make a signing key",
  usage,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === "keygen") {
      const { values } = parseCommandArgs(rest, { out: { type: "string" }, kid: { type: "string" } });
      if (values.out === undefined) throw new UsageError("`bundles keygen` needs `--out FILE` for the private key");
      const { exportJWK, generateKeyPair } = await import("jose");
      const { privateKey, publicKey } = await generateKeyPair("Ed25519", { extractable: true });
      const kid = values.kid === undefined ? {} : { kid: values.kid };
      writeFileSync(values.out, `${JSON.stringify({ ...(await exportJWK(privateKey)), ...kid })}\n`, { mode: 0o600, flag: "wx" });
      console.log(JSON.stringify({ ...(await exportJWK(publicKey)), ...kid }));
      return 0;
    }
    if (sub !== "list") throw new UsageError("expected `gatehouse bundles list` or `gatehouse bundles keygen`");
    const { values } = parseCommandArgs(rest, { ...bundleStoreFlags, json: { type: "boolean" } });
    return runWithBundleStore(values, async (store, description) => {
      const now = Date.now();
      const [history, current] = await Promise.all([store.history(now), store.readPointer(AbortSignal.timeout(10_000), now)]);
      if (values.json) {
        console.log(JSON.stringify({ current, history }));
        return 0;
      }
      if (history.length === 0) {
        console.log(`nothing published in ${description}`);
        return 0;
      }
      console.log(`policy bundles in ${description}:`);
      for (const h of history) {
        const mark = current !== null && h.seq === current.seq ? "*" : " ";
        console.log(`${mark} ${String(h.seq).padStart(4)}  ${h.version.slice(0, 12)}  ${h.by.padEnd(8)}  ${new Date(h.at).toISOString()}`);
      }
      return 0;
    });
  },
};
