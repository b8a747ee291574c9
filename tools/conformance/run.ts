import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { CedarRequest, CompiledPolicySet, EntityJson, PolicyResult } from "../../shared/policy/index.ts";
import { compilePolicies, loadPolicyModules, parseJsonLossless } from "../compiler/index.ts";
import { loadPolicyIr } from "../../shared/policy/bundle/index.ts";
import { mergeEntities } from "../../shared/entities/merge.ts";

/** One test case of the corpus (`README.md` of the corpus describes the fields). */
export interface CorpusTest {
  name: string;
  policies: string;
  policiesJson: Record<string, unknown>;
  entities: EntityJson[];
  requests: (CedarRequest & { description: string; decision: "allow" | "deny"; reason: string[]; errors: string[] })[];
}

/** One request whose result differs from the corpus. */
export interface ConformanceFailure {
  test: string;
  request: string;
  expected: { decision: string; reasons: string[]; errors: string[] };
  actual: { decision: string; reasons: string[]; errors: string[] } | { compileError: string };
}

/**
 * How entities reach the compiled set: embedded as static entities, passed per request as they are,
 * or (`live`, #17) as live records over an empty static set, through the entity stage's merge.
 */
export type EntityMode = "static" | "request" | "live";

const NO_AUTHORITATIVE_CLAIMS: ReadonlySet<string> = new Set();

// The corpus's entities as the entity stage would hand them to the policies: the request's principal
// and resource built bare (no claims, no path attributes), every corpus entity a live record over them
function liveEntities(r: CedarRequest, entities: EntityJson[]): EntityJson[] {
  const built = { principal: { uid: r.principal, attrs: {}, parents: [] }, resource: { uid: r.resource, attrs: {}, parents: [] } } as unknown as Parameters<typeof mergeEntities>[0];
  return mergeEntities(built, entities, NO_AUTHORITATIVE_CLAIMS);
}

/** Which form of the policies is compiled: the ESTs (`policiesJson`) or the Cedar text (`policies`). */
export type PolicyForm = "json" | "text";

/**
 * How a compiled set is loaded: `module` imports the generated ES module; `bundle` serializes the
 * policy IR to JSON text and builds it back through `shared/policy/bundle` (issue #18).
 */
export type PolicyLoader = "module" | "bundle";

/** Totals of a conformance run. */
export interface ConformanceReport {
  passed: number;
  failed: number;
  failures: ConformanceFailure[];
}

/** Reads every `*.jsonl` file of a corpus directory, keeping 64-bit integers exact. */
export function readCorpus(dir: string): CorpusTest[] {
  const tests: CorpusTest[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".jsonl")).sort()) {
    for (const line of readFileSync(join(dir, f), "utf8").split("\n")) {
      if (line.trim() !== "") tests.push(parseJsonLossless(line) as CorpusTest);
    }
  }
  return tests;
}

const sorted = (xs: string[]): string[] => [...new Set(xs)].sort();

function sameSet(a: string[], b: string[]): boolean {
  const x = sorted(a);
  const y = sorted(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * Compiles each test's policies through the build's code path (`compilePolicies` → generated
 * module source → import, batched by `loadPolicyModules`), evaluates every request and compares decision, reasons and errored policy
 * ids (as sets) with the corpus. Uses Cedar's generated ids, as the corpus does.
 */
export async function runConformance(tests: CorpusTest[], modes: EntityMode[] = ["static"], forms: PolicyForm[] = ["json"], loaders: PolicyLoader[] = ["module"]): Promise<ConformanceReport> {
  const report: ConformanceReport = { passed: 0, failed: 0, failures: [] };
  for (const form of forms) {
    for (const mode of modes) {
      for (const loader of loaders) {
        if (loader === "module") await runOne(tests, mode, form, report);
        else runBundle(tests, mode, form, report);
      }
    }
  }
  return report;
}

// The same compile, but through the IR as published bytes (JSON text) and the bundle loader
function runBundle(tests: CorpusTest[], mode: EntityMode, form: PolicyForm, report: ConformanceReport): void {
  for (const t of tests) {
    let set: CompiledPolicySet;
    try {
      const policies = form === "json" ? t.policiesJson : [{ file: "policies.cedar", text: t.policies }];
      const { ir } = compilePolicies({ policies, entities: mode === "static" ? t.entities : [], idMode: "cedar" });
      set = loadPolicyIr(JSON.parse(JSON.stringify(ir)));
    } catch (e) {
      for (const r of t.requests) {
        report.failed++;
        report.failures.push({
          test: t.name,
          request: `${r.description} [${mode}, ${form}, bundle]`,
          expected: { decision: r.decision, reasons: r.reason, errors: r.errors },
          actual: { compileError: (e as Error).message },
        });
      }
      continue;
    }
    check(t, set, mode, `${form}, bundle` as PolicyForm, report);
  }
}

async function runOne(tests: CorpusTest[], mode: EntityMode, form: PolicyForm, report: ConformanceReport): Promise<void> {
  {
    // compile every test, then load the modules in batches: one import per test would dominate
    const sources: (string | Error)[] = tests.map((t) => {
      try {
        const policies = form === "json" ? t.policiesJson : [{ file: "policies.cedar", text: t.policies }];
        return compilePolicies({ policies, entities: mode === "static" ? t.entities : [], idMode: "cedar" }).source;
      } catch (e) {
        return e as Error;
      }
    });
    const loaded = await loadPolicyModules(sources.filter((s): s is string => typeof s === "string"));
    let next = 0;
    tests.forEach((t, i) => {
      const src = sources[i];
      if (src instanceof Error) {
        for (const r of t.requests) {
          report.failed++;
          report.failures.push({
            test: t.name,
            request: `${r.description} [${mode}, ${form}]`,
            expected: { decision: r.decision, reasons: r.reason, errors: r.errors },
            actual: { compileError: src.message },
          });
        }
        return;
      }
      check(t, loaded[next++], mode, form, report);
    });
  }
}

// Each request is decided twice when the set says which context attributes it reads: with the
// corpus's context, and with that context cut down to those attributes, as the pipeline may leave
// the others out (`geo`); both must give the corpus's answer
function check(t: CorpusTest, set: CompiledPolicySet, mode: EntityMode, form: PolicyForm, report: ConformanceReport): void {
  const reads = set.contextAttributes;
  for (const r of t.requests) {
    const full: CedarRequest = { principal: r.principal, action: r.action, resource: r.resource, context: r.context };
    const variants: [CedarRequest, string][] = [[full, ""]];
    if (reads != null && isRecord(r.context)) variants.push([{ ...full, context: Object.fromEntries(Object.entries(r.context).filter(([k]) => reads.has(k))) }, ", read attributes only"]);
    const failure = variants.map(([req, label]) => mismatch(t, r, set, req, mode, `${form}${label}`)).find((f) => f !== null);
    if (failure === undefined) {
      report.passed++;
      continue;
    }
    report.failed++;
    report.failures.push(failure!);
  }
}

// `req` decided by `set`, against the corpus's answer to `r`: the failure, or null when they agree
function mismatch(t: CorpusTest, r: CorpusTest["requests"][number], set: CompiledPolicySet, req: CedarRequest, mode: EntityMode, label: string): ConformanceFailure | null {
  let out: PolicyResult;
  try {
    out = set.evaluate(req, mode === "request" ? t.entities : mode === "live" ? liveEntities(req, t.entities) : undefined);
  } catch (e) {
    out = { decision: "deny", reasons: [], errors: [{ policy: "<threw>", message: String(e) }] };
  }
  const errors = out.errors.map((e) => e.policy);
  if (out.decision === r.decision && sameSet(out.reasons, r.reason) && sameSet(errors, r.errors)) return null;
  return {
    test: t.name,
    request: `${r.description} [${mode}, ${label}]`,
    expected: { decision: r.decision, reasons: sorted(r.reason), errors: sorted(r.errors) },
    actual: { decision: out.decision, reasons: sorted(out.reasons), errors: sorted(errors), messages: out.errors.map((e) => `${e.policy}: ${e.message}`) } as ConformanceFailure["actual"],
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Renders one failure as a short diff. */
export function formatFailure(f: ConformanceFailure): string {
  const lines = [`✗ ${f.test} — ${f.request}`];
  if ("compileError" in f.actual) {
    lines.push(`    compile error: ${f.actual.compileError}`);
    return lines.join("\n");
  }
  const a = f.actual as ConformanceFailure["expected"] & { messages?: string[] };
  for (const k of ["decision", "reasons", "errors"] as const) {
    const e = JSON.stringify(f.expected[k]);
    const g = JSON.stringify(a[k]);
    if (e !== g) lines.push(`    ${k}: - ${e}`, `    ${" ".repeat(k.length)}  + ${g}`);
  }
  if (a.messages && a.messages.length > 0) lines.push(`    messages: ${a.messages.join(" | ")}`);
  return lines.join("\n");
}
