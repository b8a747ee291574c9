// Compiled policy evaluation against cedar-wasm's statefulIsAuthorized on a preparsed policy set,
// on the same requests, for three policy sets: tiny (3), medium (~50, a REST API) and large
// (1000+, per-tenant). Each decider runs in a process of its own (policy-eval-figure.ts; issue #22:
// beside cedar-wasm and the other sets, the compiled figure read 3× slower than it is), the two
// taking turns over several rounds. Reports the median ns per decision and its range.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDatetime, parseIp, type CedarJsonValue, type CedarRequest, type CompiledPolicySet, type EntityJson } from "../../shared/policy/index.ts";
import { compilePolicies, loadPolicyModule } from "../../tools/compiler/index.ts";
import { interleave, ratios, runIsolated, spread } from "./isolated.ts";

const FIGURE_SCRIPT = fileURLToPath(new URL("./policy-eval-figure.ts", import.meta.url));

/** One row of the policy evaluation benchmark. */
export interface PolicyEvalRow {
  set: string;
  policies: number;
  /** Median CPU ns per decision, each decider in its own process. */
  compiled_ns: number;
  cedar_wasm_ns: number;
  /** cedar_wasm_ns / compiled_ns, median of per-round ratios. */
  ratio: number;
  /** [min, max] over rounds. */
  compiled_range: [number, number];
  ratio_range: [number, number];
}

const RESOURCES = ["Order", "Invoice", "Customer", "Product", "Shipment", "Refund", "Report", "Webhook", "ApiKey", "Coupon"];
const VERBS = ["List", "Read", "Create", "Update", "Delete"];
const ROLE_FOR: Record<string, string> = { List: "viewer", Read: "viewer", Create: "editor", Update: "editor", Delete: "admin" };

/** Static entities of every benchmark set. */
export const ROLES: EntityJson[] = [
  { uid: { type: "Role", id: "viewer" }, attrs: {}, parents: [] },
  { uid: { type: "Role", id: "editor" }, attrs: {}, parents: [{ type: "Role", id: "viewer" }] },
  { uid: { type: "Role", id: "admin" }, attrs: {}, parents: [{ type: "Role", id: "editor" }] },
];

export const TINY = `
@id("viewers-read") permit (principal in Role::"viewer", action == Action::"ReadOrder", resource)
when { principal.tenant == resource.tenant };
@id("editors-write") permit (principal in Role::"editor", action == Action::"UpdateOrder", resource)
when { principal.tenant == resource.tenant && context.scopes.contains("orders:write") };
@id("forbid-suspended") forbid (principal, action, resource) when { principal.suspended };
`;

// A REST API: one permit per resource and verb (50), plus guards that apply to every action.
/** The medium policy set's text (exported for profiling). */
export function medium(): string {
  const out: string[] = [];
  for (const r of RESOURCES) {
    for (const v of VERBS) {
      const scope = `${r.toLowerCase()}s:${v === "List" || v === "Read" ? "read" : "write"}`;
      const mfa = v === "Delete" ? ` && context.amr.contains("mfa")` : "";
      out.push(
        `@id("${v.toLowerCase()}-${r.toLowerCase()}")\npermit (principal in Role::"${ROLE_FOR[v]}", action == Action::"${v}${r}", resource is ${r})\n` +
          `when { context.scopes.contains("${scope}") && principal.tenant == resource.tenant${mfa} };`,
      );
    }
  }
  out.push(`@id("forbid-suspended")\nforbid (principal, action, resource) when { principal.suspended };`);
  out.push(`@id("forbid-blocked-networks")\nforbid (principal, action, resource) when { context has ip && context.ip.isInRange(ip("198.51.100.0/24")) };`);
  out.push(`@id("forbid-after-expiry")\nforbid (principal, action, resource) when { context has time && context.time > datetime("2030-01-01T00:00:00Z") };`);
  return out.join("\n\n");
}

// Per-tenant policies: each tenant gets its own grants, pinned in the scope by its Tenant entity.
export function large(tenants: number): string {
  const out: string[] = [medium()];
  for (let t = 0; t < tenants; t++) {
    for (const r of RESOURCES.slice(0, 4)) {
      out.push(
        `@id("t${t}-${r.toLowerCase()}")\npermit (principal in Tenant::"t${t}", action in [Action::"Read${r}", Action::"List${r}"], resource in Tenant::"t${t}")\n` +
          `when { context.scopes.contains("${r.toLowerCase()}s:read") };`,
      );
    }
  }
  return out.join("\n\n");
}

export interface BenchRequest {
  request: CedarRequest;
  entities: EntityJson[];
}

// The same kind of requests the pipeline makes: a principal from the token with its roles and
// tenant, a resource from the route, and a context with scopes, amr, ip and time.
/** The benchmark's requests (exported for profiling). */
export function requests(tenants: number): BenchRequest[] {
  const out: BenchRequest[] = [];
  const roles = ["viewer", "editor", "admin"];
  for (let i = 0; i < 24; i++) {
    const r = RESOURCES[i % 4];
    const v = VERBS[i % VERBS.length];
    const tenant = `t${(i * 7) % tenants}`;
    const other = i % 5 === 0 ? `t${(i * 7 + 1) % tenants}` : tenant;
    out.push({
      request: {
        principal: { type: "User", id: `u${i}` },
        action: { type: "Action", id: `${v}${r}` },
        resource: { type: r, id: `${r.toLowerCase()}-${i}` },
        context: {
          scopes: [`${r.toLowerCase()}s:read`, ...(i % 3 === 0 ? [] : [`${r.toLowerCase()}s:write`])],
          amr: i % 4 === 0 ? ["pwd"] : ["pwd", "mfa"],
          ip: { __extn: { fn: "ip", arg: `203.0.113.${i}` } },
          time: { __extn: { fn: "datetime", arg: "2026-11-22T10:00:00Z" } },
        },
      },
      entities: [
        { uid: { type: "User", id: `u${i}` }, attrs: { tenant, suspended: i === 11 }, parents: [{ type: "Role", id: roles[i % 3] }, { type: "Tenant", id: tenant }] },
        { uid: { type: r, id: `${r.toLowerCase()}-${i}` }, attrs: { tenant: other }, parents: [{ type: "Tenant", id: other }] },
      ],
    });
  }
  return out;
}

// Decisions must agree before anything is timed: a fast wrong answer is no result
async function checkSameDecisions(name: string, text: string, set: CompiledPolicySet, reqs: BenchRequest[]): Promise<void> {
  const cedar = await import("@cedar-policy/cedar-wasm/nodejs");
  for (const r of reqs) {
    const mine = set.evaluate(r.request, r.entities).decision;
    const answer = cedar.isAuthorized({
      ...(r.request as unknown as Parameters<typeof cedar.isAuthorized>[0]),
      context: r.request.context as never,
      policies: { staticPolicies: text },
      entities: [...ROLES, ...r.entities] as never,
    });
    if (answer.type !== "success") throw new Error(answer.errors.map((e) => e.message).join("; "));
    if (mine !== answer.response.decision) throw new Error(`${name}: decisions differ on ${JSON.stringify(r.request)}: ${mine} vs ${answer.response.decision}`);
  }
}

async function benchSet(name: string, text: string, tenants: number, quick: boolean, dir: string): Promise<PolicyEvalRow> {
  const compiled = compilePolicies({ policies: [{ file: `${name}.cedar`, text }], entities: ROLES });
  await checkSameDecisions(name, text, await loadPolicyModule(compiled.source), requests(tenants));
  const sourceFile = join(dir, `${name}.js`);
  const textFile = join(dir, `${name}.cedar`);
  writeFileSync(sourceFile, compiled.source);
  writeFileSync(textFile, text);
  const args = (decider: string, file: string) => [decider, file, String(tenants), ...(quick ? ["--quick"] : [])];
  const samples = await interleave(
    { compiled: () => runIsolated(FIGURE_SCRIPT, args("compiled", sourceFile)), wasm: () => runIsolated(FIGURE_SCRIPT, args("wasm", textFile)) },
    quick ? 3 : 5,
  );
  const compiledSpread = spread(samples.compiled);
  const ratioSpread = spread(ratios(samples.wasm, samples.compiled), 1);
  return {
    set: name,
    policies: compiled.policies.length,
    compiled_ns: compiledSpread.median,
    cedar_wasm_ns: spread(samples.wasm).median,
    ratio: ratioSpread.median,
    compiled_range: [compiledSpread.min, compiledSpread.max],
    ratio_range: [ratioSpread.min, ratioSpread.max],
  };
}

/** Median ns per decision, compiled JS against preparsed cedar-wasm, for tiny, medium and large sets. */
export async function benchPolicyEval(opts: { quick: boolean }): Promise<PolicyEvalRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-bench-policies-"));
  try {
    return [
      await benchSet("tiny", TINY, 8, opts.quick, dir),
      await benchSet("medium", medium(), 8, opts.quick, dir),
      // Quick mode: 40 tenants (213 policies) rather than 250 (1053), because compiling the full set
      // takes ~10 s on a 2-core machine; the `policies` column shows which was measured
      await benchSet("large", large(opts.quick ? 40 : 250), opts.quick ? 40 : 250, opts.quick, dir),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A request's context as the pipeline hands it to the policy set: `ip` and `time` already parsed, not their JSON forms. */
export function parsedContext(context: Record<string, CedarJsonValue>): Record<string, CedarJsonValue> {
  const out = { ...context };
  const extn = (value: CedarJsonValue | undefined) => (value as { __extn?: { arg: string } } | undefined)?.__extn?.arg;
  if (extn(out.ip) !== undefined) out.ip = parseIp(extn(out.ip)!);
  if (extn(out.time) !== undefined) out.time = parseDatetime(extn(out.time)!);
  return out;
}
