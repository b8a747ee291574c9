import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseCommandArgs } from "../args.ts";
import { UsageError, type CliCommand } from "../command.ts";
import { bundleStoreFlags, bundleStoreUsage, runWithBundleStore } from "../../bundle/store-flags.ts";

const usage = `usage: gatehouse publish [--ir FILE] --key FILE [store] [options]

Signs the compiled policy set (\`gatehouse build\` writes it as dist/policies.ir.json) with an Ed25519
key, stores it under its version and moves the \`current\` pointer to it. Running authorizers with a
\`policyBundle\` section poll the pointer (every 10 s by default), verify the signature against
their configured public key, and swap the new set in; one that fails a check is refused and the
set deciding before keeps deciding.

options:
  --ir FILE        the policy IR; default dist/policies.ir.json
  --key FILE       Ed25519 private JWK (\`gatehouse bundles keygen\`); default env GATEHOUSE_BUNDLE_KEY_FILE
  --force          move the pointer even when it already names this version
  --json           print the pointer as JSON

${bundleStoreUsage}

exit codes: 0 published, 1 store error, 2 usage error`;

/** `gatehouse publish`: sign, upload, move the pointer. */
export const command: CliCommand = {
  summary: "publish the built policy set as a signed bundle (no deploy)",
  usage,
  async run(args) {
    const { values } = parseCommandArgs(args, { ...bundleStoreFlags, ir: { type: "string" }, key: { type: "string" }, force: { type: "boolean" }, json: { type: "boolean" } });
    const irFile = resolve(values.ir ?? "dist/policies.ir.json");
    let ir;
    try {
      ir = JSON.parse(readFileSync(irFile, "utf8"));
    } catch {
      throw new UsageError(`\`${irFile}\`: expected the policy IR JSON (run \`gatehouse build\`)`);
    }
    const { readSigningKey } = await import("../../bundle/key-file.ts"); // jose: loaded when run, not for `--help`
    const key = readSigningKey(values.key);
    const [{ signBundle }, { PolicyIrError }] = await Promise.all([import("../../bundle/sign.ts"), import("../../../shared/policy/bundle/index.ts")]);
    let signed;
    try {
      signed = await signBundle(ir, key, Date.now());
    } catch (error) {
      if (error instanceof PolicyIrError) throw new UsageError(`\`${irFile}\`: not a loadable policy IR: ${error.message}`);
      throw error;
    }
    return runWithBundleStore(values, async (store, description) => {
      const now = Date.now();
      const current = await store.readPointer(AbortSignal.timeout(10_000), now).catch(() => null);
      const version = signed.payload.version;
      if (current?.version === version && !values.force) {
        console.log(values.json ? JSON.stringify(current) : `version ${version.slice(0, 12)} is already current in ${description} (seq ${current.seq}); nothing moved`);
        return 0;
      }
      await store.putBundle(version, signed.text, now);
      const pointer = await store.movePointer(version, "publish", now);
      if (values.json) console.log(JSON.stringify({ ...pointer, bytes: signed.text.length }));
      else console.log(`published ${version.slice(0, 12)} (${signed.text.length} bytes) to ${description}: current → seq ${pointer.seq}${current ? `, was ${current.version.slice(0, 12)}` : ""}`);
      return 0;
    });
  },
};
