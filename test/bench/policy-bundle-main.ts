// Standalone runner for the policy bundle benchmark alone (issue #18):
//   node --no-turbo-inline-js-wasm-calls --import tsx test/bench/policy-bundle-main.ts [--quick]
import { benchPolicyBundle } from "./policy-bundle.ts";

const out = await benchPolicyBundle({ quick: process.argv.includes("--quick") });
console.table(out.rows);
console.log(`large set (${out.large_policies} policies): built from IR bytes in ${out.large_load_ms} ms CPU (JSON.parse + closures + indexes)`);
console.log(`large set from its signed bundle (${out.large_signed_bytes} bytes): verified and built in ${out.large_signed_load_ms} ms CPU`);
