// Standalone runner for the policy benchmark alone: node --no-turbo-inline-js-wasm-calls --import tsx test/bench/policy-eval-main.ts [--quick]
import { benchPolicyEval } from "./policy-eval.ts";

const rows = await benchPolicyEval({ quick: process.argv.includes("--quick") });
console.table(rows);
const medium = rows.find((r) => r.set === "medium")!;
const large = rows.find((r) => r.set === "large")!;
console.log(`large/medium compiled: ${(large.compiled_ns / medium.compiled_ns).toFixed(2)}×`);
