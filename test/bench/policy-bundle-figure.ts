// One decider on one policy set, alone in this process (issue #18): started by `policy-bundle.ts`.
// `module FILE.js` loads the generated module, `bundle FILE.ir.json` loads the policy IR through
// shared/policy/bundle; both print `{"value": N}`, CPU ns per decision. `load FILE.ir.json` prints
// the CPU µs to parse and build the set from its bytes (median of rounds, fresh each time);
// `signed FILE.jws` the same from the signed bundle: size check, Ed25519 verification, payload
// schema and load (the public JWK in FILE.jws.pub.json).
//   node --import tsx test/bench/policy-bundle-figure.ts module|bundle|load|signed FILE TENANTS [--quick]
import { readFileSync } from "node:fs";
import type { CompiledPolicySet } from "../../shared/policy/index.ts";
import { loadPolicyIr } from "../../shared/policy/bundle/index.ts";
import { importBundleKey, verifyBundle } from "../../shared/bundle/index.ts";
import { loadPolicyModule } from "../../tools/compiler/index.ts";
import { parsedContext, requests } from "./policy-eval.ts";

const [decider, file, tenantsText] = process.argv.slice(2);
const quick = process.argv.includes("--quick");
const reqs = requests(Number(tenantsText));

const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
};

function median(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

if (decider === "signed") {
  const text = readFileSync(file, "utf8");
  const key = await importBundleKey(JSON.parse(readFileSync(`${file}.pub.json`, "utf8")));
  const samples: number[] = [];
  for (let i = 0; i < (quick ? 5 : 15); i++) {
    const started = cpuNow();
    await verifyBundle(text, key, { maxBytes: 1 << 24 });
    samples.push((cpuNow() - started) / 1000);
  }
  process.stdout.write(`${JSON.stringify({ value: Math.round(median(samples)) })}\n`);
} else if (decider === "load") {
  const bytes = readFileSync(file, "utf8");
  const samples: number[] = [];
  for (let i = 0; i < (quick ? 5 : 15); i++) {
    const started = cpuNow();
    loadPolicyIr(JSON.parse(bytes));
    samples.push((cpuNow() - started) / 1000);
  }
  process.stdout.write(`${JSON.stringify({ value: Math.round(median(samples)) })}\n`);
} else {
  let set: CompiledPolicySet;
  if (decider === "module") set = await loadPolicyModule(readFileSync(file, "utf8"));
  else if (decider === "bundle") set = loadPolicyIr(JSON.parse(readFileSync(file, "utf8")));
  else throw new Error(`unknown decider \`${decider}\`; expected \`module\`, \`bundle\` or \`load\``);
  const asPipeline = reqs.map((r) => ({ request: { ...r.request, context: parsedContext(r.request.context ?? {}) }, entities: r.entities }));
  const reps = quick ? 1_000 : 10_000;
  for (let i = 0; i < reps; i++) for (const r of asPipeline) set.evaluate(r.request, r.entities);
  const samples: number[] = [];
  for (let round = 0; round < 5; round++) {
    const started = cpuNow();
    for (let i = 0; i < reps; i++) for (const r of asPipeline) set.evaluate(r.request, r.entities);
    samples.push((cpuNow() - started) / (reps * asPipeline.length));
  }
  process.stdout.write(`${JSON.stringify({ value: Math.round(median(samples)) })}\n`);
}
