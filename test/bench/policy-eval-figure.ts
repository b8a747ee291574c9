// One decider on one policy set, alone in this process (issue #22): started by `policy-eval.ts`.
// Prints `{"value": N}`, CPU ns per decision (see hot-path-figure.ts for why CPU time).
//   node --no-turbo-inline-js-wasm-calls --import tsx test/bench/policy-eval-figure.ts compiled|wasm FILE TENANTS [--quick]
import { readFileSync } from "node:fs";
import { loadPolicyModule } from "../../tools/compiler/index.ts";
import { parsedContext, ROLES, requests, type BenchRequest } from "./policy-eval.ts";

const [decider, file, tenantsText] = process.argv.slice(2);
const quick = process.argv.includes("--quick");
const reqs = requests(Number(tenantsText));

async function deciderFor(): Promise<{ decide: (r: BenchRequest) => unknown; reps: number }> {
  if (decider === "compiled") {
    const set = await loadPolicyModule(readFileSync(file, "utf8"));
    // The context as the pipeline hands it over (shared/pipeline/context.ts): `ip` and `time` already
    // parsed values, not JSON text; cedar-wasm takes the JSON, which is what it accepts
    const asPipeline = new Map(reqs.map((r) => [r, { ...r.request, context: parsedContext(r.request.context ?? {}) }]));
    return { decide: (r) => set.evaluate(asPipeline.get(r)!, r.entities), reps: quick ? 1_000 : 10_000 };
  }
  if (decider !== "wasm") throw new Error(`unknown decider \`${decider}\`; expected \`compiled\` or \`wasm\``);
  const cedar = await import("@cedar-policy/cedar-wasm/nodejs");
  const id = "bench";
  const parsed = cedar.preparsePolicySet(id, { staticPolicies: readFileSync(file, "utf8") });
  if (parsed.type !== "success") throw new Error("cedar-wasm could not parse the set");
  const decide = (r: BenchRequest): string => {
    const a = cedar.statefulIsAuthorized({
      ...(r.request as unknown as Parameters<typeof cedar.statefulIsAuthorized>[0]),
      context: r.request.context as never,
      preparsedPolicySetId: id,
      entities: [...ROLES, ...r.entities] as never,
    });
    if (a.type !== "success") throw new Error(a.errors.map((e) => e.message).join("; "));
    return a.response.decision;
  };
  return { decide, reps: quick ? 3 : 30 };
}

const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
};

const { decide, reps } = await deciderFor();
for (let i = 0; i < reps; i++) for (const r of reqs) decide(r);
const samples: number[] = [];
for (let round = 0; round < 5; round++) {
  const started = cpuNow();
  for (let i = 0; i < reps; i++) for (const r of reqs) decide(r);
  samples.push((cpuNow() - started) / (reps * reqs.length));
}
samples.sort((a, b) => a - b);
process.stdout.write(`${JSON.stringify({ value: Math.round(samples[2]) })}\n`);
