// npm run conformance -- [DIR] [--entities static|request|live|both|default] [--policies json|text|both] [--loader module|bundle|both]
// With `--entities request` the entities are passed with each request instead of embedded; with
// `--entities live` (#17) they are live records merged by the entity stage's merge (shared/entities/merge.ts);
// the default runs `static` and `live`, so the corpus's entities also go through the production merge; with
// `--policies text` the Cedar text is compiled (through cedar-wasm's parser) instead of the ESTs;
// with `--loader bundle` the policy IR is loaded through shared/policy/bundle instead of the module (#18).
// Runs the Cedar conformance corpus (default $CEDAR_CORPUS, else ../shared/cedar-corpus from the
// repository root) against the compiler; exits 1 when any request differs.
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { formatFailure, readCorpus, runConformance, type EntityMode, type PolicyForm, type PolicyLoader } from "./run.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const args = process.argv.slice(2);
let dir: string | undefined;
let modes: EntityMode[] = ["static", "live"]; // `live` routes the corpus's entities through the merge
let forms: PolicyForm[] = ["json"];
let loaders: PolicyLoader[] = ["module"];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--entities") {
    const m = args[++i];
    modes = m === "both" ? ["static", "request"] : m === "default" ? ["static", "live"] : [m as EntityMode];
  } else if (args[i] === "--policies") {
    const f = args[++i];
    forms = f === "both" ? ["json", "text"] : [f as PolicyForm];
  } else if (args[i] === "--loader") {
    const l = args[++i];
    loaders = l === "both" ? ["module", "bundle"] : [l as PolicyLoader];
  } else {
    dir = args[i];
  }
}
dir = resolve(dir ?? process.env.CEDAR_CORPUS ?? resolve(root, "../shared/cedar-corpus"));
if (!existsSync(dir)) {
  console.error(`conformance: corpus directory \`${dir}\` not found`);
  process.exit(2);
}

const started = performance.now();
const tests = readCorpus(dir);
const report = await runConformance(tests, modes, forms, loaders);
for (const f of report.failures.slice(0, 20)) console.log(formatFailure(f));
if (report.failures.length > 20) console.log(`… and ${report.failures.length - 20} more failures`);
const secs = ((performance.now() - started) / 1000).toFixed(1);
console.log(`${tests.length} tests from ${dir} (entities: ${modes.join("+")}, policies: ${forms.join("+")}, loader: ${loaders.join("+")}) in ${secs}s`);
console.log(`${report.passed} passed, ${report.failed} failed`);
process.exit(report.failed > 0 ? 1 : 0);
