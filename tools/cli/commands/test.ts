import { join } from "node:path";
import { parseCommandArgs } from "../args.ts";
import { UsageError, type CliCommand } from "../command.ts";
import { paintFor } from "../color.ts";
import { configFileFrom, policiesDirFrom } from "./_project.ts";

const usage = `usage: gatehouse test [--policies DIR] [--config FILE] [--coverage] [--filter TEXT] [--now TIME]

Runs the policy tests in DIR/tests/*.yaml (or .json) through the real pipeline (path
normalisation, routes, claims mapping, compiled policies), with the token's signature check
replaced by each case's claims. A case:

  - name: editor updates an order in own tenant
    claims: { sub: eddie, tenant: acme, groups: [editor], scope: orders:write }   # or principal: {uid, attrs, parents}
    request: PUT /tenants/acme/orders/o-17
    context: { ... }            # optional, merged over the pipeline's context (scopes, amr, time, ...)
    entities: [ ... ]           # optional extra entities
    expect: allow               # allow | deny
    policies: [editors-write-orders]   # optional: the determining policy ids
    reason: allowed             # optional: the pipeline's reason code
    errors: []                  # optional: the ids of policies that errored

\`defaults: { claims, context, entities, headers, ip, now }\` at the top applies to every case.

options:
  --policies DIR   the policy project; default \`policies\`
  --config FILE    a gatehouse config (json) for claims mappings and context headers
  --coverage       also list policies no case exercised and routes no case requested
  --filter TEXT    run only cases whose name contains TEXT
  --now TIME       the request time of cases without \`now\` (RFC 3339); default the current time

exit codes: 0 all passed, 1 a case failed or a test file is invalid or the policies do not build, 2 usage error`;

/** `gatehouse test`: policy test suites, reported like a test runner. */
export const command: CliCommand = {
  summary: "run the policy tests in policies/tests (--coverage lists untested policies)",
  usage,
  async run(args) {
    const { values } = parseCommandArgs(args, {
      policies: { type: "string" },
      config: { type: "string" },
      coverage: { type: "boolean", default: false },
      filter: { type: "string" },
      now: { type: "string" },
    });
    const policiesDir = policiesDirFrom(values.policies);
    const configFile = configFileFrom(values.config);
    const now = values.now === undefined ? Date.now() : Date.parse(values.now);
    if (!Number.isFinite(now)) throw new UsageError(`--now: expected an RFC 3339 time such as \`2026-01-01T09:00:00Z\`, got \`${values.now}\``);
    // Loaded here, not at the top, so `--help` does not load the pipeline or cedar-wasm
    const [{ formatReport, loadSuites, prepareProject, runCases }, { reportCompileError }] = await Promise.all([import("../../policy-test/index.ts"), import("./_project-report.ts")]);
    const suites = loadSuites(join(policiesDir, "tests"), policiesDir);
    if (suites.files.length === 0) {
      console.error("no policy tests: add a suite such as tests/orders.yaml to the policies directory (see `gatehouse test --help`)");
      return 1;
    }
    let prepared;
    try {
      prepared = await prepareProject({ policiesDir, ...(configFile ? { configFile } : {}) });
    } catch (error) {
      return reportCompileError(error, paintFor(process.stderr), "test");
    }
    const cases = values.filter === undefined ? suites.cases : suites.cases.filter((c) => c.name.includes(values.filter!));
    const report = runCases(prepared.setup, cases, { now, problems: suites.problems });
    console.log(formatReport(report, { paint: paintFor(process.stdout), coverage: values.coverage }));
    return report.failed > 0 ? 1 : 0;
  },
};
