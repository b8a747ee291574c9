// npm run fuzz -- [--runs N] [--seed S]
// Long differential runs of the compiled policy module against cedar-wasm's isAuthorized: random
// policy sets, then near-valid strings for the extension parsers (N runs each).
import fc from "fast-check";
import { differentialProperty, parserProperty } from "./differential.ts";

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const numRuns = Number(flag("--runs") ?? 1000);
const seed = flag("--seed") !== undefined ? Number(flag("--seed")) : Date.now() % 2 ** 31;

let failed = false;
for (const [name, property] of [["policy sets", differentialProperty()], ["extension parsers", parserProperty()]] as const) {
  const started = performance.now();
  console.log(`differential fuzz (${name}): ${numRuns} runs, seed ${seed}`);
  const result = await fc.check(property as fc.IAsyncProperty<unknown[]>, { numRuns, seed, endOnFailure: false });
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  if (result.failed) {
    console.log(fc.defaultReportMessage(result));
    console.log(`FAILED after ${result.numRuns} runs in ${secs}s (seed ${seed})`);
    failed = true;
  } else {
    console.log(`${result.numRuns} runs passed in ${secs}s (seed ${seed})`);
  }
}
process.exit(failed ? 1 : 0);
