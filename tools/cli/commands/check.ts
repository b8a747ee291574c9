import { readFileSync } from "node:fs";
import { parseCommandArgs } from "../args.ts";
import { UsageError, type CliCommand } from "../command.ts";
import { paintFor, type Paint } from "../color.ts";
import type { CedarJsonValue, EntityJson, PolicyInfo } from "../../../shared/policy/index.ts";
import type { DecideOutcome, DecideSetup } from "../../policy-test/index.ts";
import { configFileFrom, policiesDirFrom } from "./_project.ts";

const usage = `usage: gatehouse check (--claims FILE | --principal FILE) METHOD PATH [options]

Decides one request through the real pipeline (routes, claims mapping, compiled policies) with the
given token claims in place of a signed token, and prints the decision.

  gatehouse check --claims alice.json GET /tenants/acme/orders --explain

options:
  --claims FILE      the token's claims, json or yaml (\`-\` for stdin)
  --principal FILE   a principal entity \`{ uid, attrs, parents }\` instead of claims
  --context JSON     context fields merged over the pipeline's, e.g. '{"amr":["mfa"]}'
  --entities FILE    extra entities (a json list)
  --live-entities FILE  the entity store's records for this request (Cedar entities JSON), decided
                     through the entity stage as a deployed function would (#17)
  --ip ADDR          the client address (\`context.ip\`)
  --now TIME         the request time (RFC 3339); default now
  --explain          also print the determining policies with file:line, the policies that
                     errored and why, those whose scope matched but conditions did not, and
                     the Cedar request and entities that were evaluated
  --policies DIR     the policy project; default \`policies\`
  --config FILE      a gatehouse config (json) for claims mappings and context headers

exit codes: 0 allow, 1 deny (or the policies do not build), 2 usage error`;

/** `gatehouse check`: one decision, explained. */
export const command: CliCommand = {
  summary: "decide one request for given claims; --explain shows why",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        claims: { type: "string" },
        principal: { type: "string" },
        context: { type: "string" },
        entities: { type: "string" },
        "live-entities": { type: "string" },
        ip: { type: "string" },
        now: { type: "string" },
        explain: { type: "boolean", default: false },
        policies: { type: "string" },
        config: { type: "string" },
      },
      true,
    );
    if (positionals.length !== 2) throw new UsageError(`expected METHOD and PATH, got ${positionals.length} argument${positionals.length === 1 ? "" : "s"}`);
    const [method, path] = positionals;
    if (!/^[A-Za-z]{1,20}$/.test(method)) throw new UsageError(`expected an http method such as \`GET\`, got \`${method}\``);
    if (values.claims === undefined && values.principal === undefined) throw new UsageError("expected `--claims FILE` or `--principal FILE`");
    if (values.claims !== undefined && values.principal !== undefined) throw new UsageError("expected `--claims` or `--principal`, not both");
    // Loaded once the arguments are known to be usable, so `--help` does not load the pipeline or cedar-wasm
    const [{ parse: parseYaml }, { decideWithClaims, prepareProject }, { reportCompileError }] = await Promise.all([
      import("yaml"),
      import("../../policy-test/index.ts"),
      import("./_project-report.ts"),
    ]);
    const claims = values.claims === undefined ? undefined : readObject(parseYaml, values.claims, "--claims");
    const principal = values.principal === undefined ? undefined : (readObject(parseYaml, values.principal, "--principal") as unknown as EntityJson);
    let context: Record<string, CedarJsonValue> | undefined;
    if (values.context !== undefined) {
      try {
        context = JSON.parse(values.context) as Record<string, CedarJsonValue>;
      } catch {
        throw new UsageError(`--context: expected a json object, got \`${values.context}\``);
      }
      if (typeof context !== "object" || context === null || Array.isArray(context)) throw new UsageError(`--context: expected a json object, got \`${values.context}\``);
    }
    const entities = values.entities === undefined ? undefined : readList(parseYaml, values.entities);
    const liveEntities = values["live-entities"] === undefined ? undefined : readList(parseYaml, values["live-entities"]);
    const now = values.now === undefined ? Date.now() : Date.parse(values.now);
    if (!Number.isFinite(now)) throw new UsageError(`--now: expected an RFC 3339 time such as \`2026-01-01T09:00:00Z\`, got \`${values.now}\``);

    const policiesDir = policiesDirFrom(values.policies);
    const configFile = configFileFrom(values.config);
    let prepared;
    try {
      prepared = await prepareProject({ policiesDir, ...(configFile ? { configFile } : {}) });
    } catch (error) {
      return reportCompileError(error, paintFor(process.stderr), "check");
    }
    const outcome = decideWithClaims(prepared.setup, {
      method: method.toUpperCase(),
      path,
      now,
      ...(claims ? { claims } : {}),
      ...(principal ? { principal } : {}),
      ...(context ? { context } : {}),
      ...(entities ? { entities } : {}),
      ...(liveEntities ? { liveEntities } : {}),
      ...(values.ip ? { ip: values.ip } : {}),
    });
    console.log(explain(outcome, prepared.setup, values.explain, paintFor(process.stdout)));
    return outcome.decision === "allow" ? 0 : 1;
  },
};

function explain(outcome: DecideOutcome, setup: DecideSetup, full: boolean, paint: Paint): string {
  const info = new Map<string, PolicyInfo>(setup.policies.policies.map((p) => [p.id, p]));
  const where = (id: string) => {
    const p = info.get(id);
    return p ? `${p.effect.padEnd(6)}  ${p.file ?? "?"}:${p.line ?? "?"}` : "";
  };
  const decided = outcome.result?.reasons ?? [];
  const verdict = outcome.decision === "allow" ? paint.green("allow") : paint.red("deny");
  const lines = [`${verdict} (${outcome.reason}${outcome.claim ? `: claim \`${outcome.claim}\`` : ""})${decided.length > 0 ? ` by ${decided.join(", ")}` : ""}`];
  if (!full) return lines[0];

  lines.push(`route:       ${outcome.route ?? "(none matched)"}`);
  lines.push(`why:         ${why(outcome)}`);
  if (outcome.result === undefined || outcome.request === undefined) return lines.join("\n");

  lines.push("", paint.bold("determining policies"));
  if (decided.length === 0) lines.push(`  (none)${outcome.decision === "deny" ? ": no permit applied, so the default is deny" : ""}`);
  for (const id of decided) lines.push(`  ${id.padEnd(28)} ${where(id)}`);
  lines.push("", paint.bold("errored policies (skipped)"));
  if (outcome.result.errors.length === 0) lines.push("  (none)");
  for (const e of outcome.result.errors) lines.push(`  ${e.policy.padEnd(28)} ${where(e.policy)}  ${paint.yellow(e.message)}`);
  const skip = new Set([...decided, ...outcome.result.errors.map((e) => e.policy)]);
  const considered = setup.policies.candidates(outcome.request, outcome.entities).filter((id) => !skip.has(id));
  lines.push("", paint.bold("scope matched, conditions not satisfied"));
  if (considered.length === 0) lines.push("  (none)");
  for (const id of considered) lines.push(`  ${id.padEnd(28)} ${where(id)}`);

  const ref = (uid: { type: string; id: string }) => `${uid.type}::${JSON.stringify(uid.id)}`;
  lines.push("", paint.bold("cedar request"));
  lines.push(`  principal: ${ref(outcome.request.principal)}`);
  lines.push(`  action:    ${ref(outcome.request.action)}`);
  lines.push(`  resource:  ${ref(outcome.request.resource)}`);
  lines.push(`  context:   ${JSON.stringify(outcome.request.context)}`);
  lines.push("", paint.bold("request entities"));
  for (const entity of outcome.entities ?? []) {
    const uid = ("__entity" in entity.uid ? entity.uid.__entity : entity.uid) as { type: string; id: string };
    const parents = (entity.parents ?? []).map((p) => ref(("__entity" in p ? p.__entity : p) as { type: string; id: string }));
    lines.push(`  ${ref(uid)} ${JSON.stringify(entity.attrs ?? {})}${parents.length > 0 ? ` in [${parents.join(", ")}]` : ""}`);
  }
  return lines.join("\n");
}

function why(outcome: DecideOutcome): string {
  switch (outcome.reason) {
    case "allowed":
      return "a permit policy applied and no forbid did";
    case "policy_denied":
      return (outcome.result?.reasons.length ?? 0) > 0 ? "a forbid policy applied (forbid overrides permit)" : "no permit policy applied (deny by default)";
    case "public_route":
      return "the route is public: no token or policy is needed";
    case "no_route":
      return "no route maps this method and path, and unmatched requests are denied";
    case "missing_token":
      return "no claims or principal were given, and the route is not public";
    case "claim_type":
      return `claim \`${outcome.claim}\` has the wrong type for the claims mapping`;
    case "missing_claim":
      return `claim \`${outcome.claim}\` is required by the claims mapping`;
    case "forbid_error":
      return `forbid ${(outcome.detail?.policies ?? []).map((id) => `\`${id}\``).join(", ")} errored, and config \`onForbidError: "deny"\` denies rather than skip it`;
    case "internal_error":
      return `the request could not be evaluated${outcome.detail?.message ? `: ${outcome.detail.message}` : ""} (the deployed function would answer 503)`;
    default:
      return outcome.detail?.stage === "path" ? `the path was refused before routing (${outcome.reason}${outcome.detail.segment !== undefined ? `, segment ${outcome.detail.segment}` : ""})` : `refused by the ${outcome.detail?.stage ?? "pipeline"} stage (${outcome.reason})`;
  }
}

function readText(file: string, flag: string): string {
  try {
    return readFileSync(file === "-" ? 0 : file, "utf8");
  } catch {
    throw new UsageError(`${flag}: cannot read \`${file}\``);
  }
}

/** yaml's `parse`, passed in because the module is loaded only when a command runs. */
type ParseYaml = (text: string) => unknown;

function readObject(parseYaml: ParseYaml, file: string, flag: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseYaml(readText(file, flag));
  } catch {
    throw new UsageError(`${flag}: expected json or yaml in \`${file}\``);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new UsageError(`${flag}: expected an object in \`${file}\``);
  return value as Record<string, unknown>;
}

function readList(parseYaml: ParseYaml, file: string): EntityJson[] {
  let value: unknown;
  try {
    value = parseYaml(readText(file, "--entities"));
  } catch {
    throw new UsageError(`--entities: expected json or yaml in \`${file}\``);
  }
  if (!Array.isArray(value)) throw new UsageError(`--entities: expected a list of entities in \`${file}\``);
  return value as EntityJson[];
}
