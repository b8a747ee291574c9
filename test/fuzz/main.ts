// npm run fuzz -- [--runs N] [--seed S] [--generator est|text|all]
// Long differential runs of the compiled policy module against cedar-wasm's isAuthorized (N runs
// per property): `est` builds policies as JSON ESTs (then near-valid strings for the extension
// parsers), `text` writes Cedar policy text with comments, odd white space, large literals,
// records, `has` paths and any annotation, and raw JSON entities and contexts (issue #23).
import fc from "fast-check";
import { differentialProperty, parserProperty, textProperty, textStats } from "./differential.ts";

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const numRuns = Number(flag("--runs") ?? 1000);
const seed = flag("--seed") !== undefined ? Number(flag("--seed")) : Date.now() % 2 ** 31;
const generator = flag("--generator") ?? "all";
if (!["est", "text", "all"].includes(generator)) {
  console.error(`unknown generator \`${generator}\`: expected est, text or all`);
  process.exit(2);
}

const properties: [string, fc.IAsyncProperty<unknown[]>][] = [];
if (generator !== "text") {
  properties.push(["policy sets (EST)", differentialProperty() as fc.IAsyncProperty<unknown[]>]);
  properties.push(["extension parsers", parserProperty() as fc.IAsyncProperty<unknown[]>]);
}
if (generator !== "est") properties.push(["policy text and raw JSON", textProperty() as fc.IAsyncProperty<unknown[]>]);

let failed = false;
for (const [name, property] of properties) {
  const started = performance.now();
  console.log(`differential fuzz (${name}): ${numRuns} runs, seed ${seed}`);
  const result = await fc.check(property, { numRuns, seed, endOnFailure: false });
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  if (result.failed) {
    console.log(fc.defaultReportMessage(result));
    console.log(`FAILED after ${result.numRuns} runs in ${secs}s (seed ${seed})`);
    failed = true;
  } else {
    console.log(`${result.numRuns} runs passed in ${secs}s (seed ${seed}), 0 mismatches`);
  }
}

if (textStats.cases > 0) {
  const s = textStats;
  console.log(`text cases: ${s.cases} (policy text refused by both: ${s.refusedByBoth})`);
  console.log(`requests compared: ${s.requests} (${Object.entries(s.decisions).map(([d, n]) => `${d} ${n}`).join(", ")}; with erroring policies ${s.withErrors}); refused by Cedar as a whole: ${s.requestsRefused}`);
  console.log("feature groups (cases containing each):");
  for (const [f, n] of Object.entries(s.features).sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(7)}  ${f}`);
}
process.exit(failed ? 1 : 0);
