// Candidate policy projects for canary and rollback tests (issue #18): the example project with one
// policy file added.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CompiledPolicySet } from "../../shared/policy/index.ts";
import { compilePolicyProject, loadPolicyModule } from "../../tools/compiler/index.ts";
import { repoRoot } from "./corpus.ts";

/** A broad deny: the candidate refuses everything (the rollout incident the canary must contain). */
export const BROAD_DENY = '@id("broad-deny")\nforbid (principal, action, resource);\n';
/** A guard that always errors at evaluation (long overflow), which the validator cannot see. */
export const ERRORING_FORBID = '@id("overflowing-guard")\nforbid (principal, action, resource)\nwhen { 9223372036854775807 + 1 > 0 };\n';

/** The example project (without its tests) plus `extra` as `zz-candidate.cedar`, in a new temporary directory. */
export function writeVariantProject(extra: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-candidate-"));
  cpSync(join(repoRoot, "policies"), dir, { recursive: true, filter: (source) => !source.includes(join(repoRoot, "policies", "tests")) });
  writeFileSync(join(dir, "zz-candidate.cedar"), extra);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The variant compiled and loaded. */
export async function variantPolicies(extra: string): Promise<CompiledPolicySet> {
  const project = writeVariantProject(extra);
  try {
    return await loadPolicyModule(compilePolicyProject({ policiesDir: project.dir }).source);
  } finally {
    project.remove();
  }
}
