// A candidate policy project for shadow-mode tests (issue #7): the example project with one change,
// viewers may list a tenant's orders but no longer read one order. So it disagrees with the enforced
// set on exactly one route, `GET /tenants/:tenant/orders/:id`, for viewers.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CompiledPolicySet } from "../../shared/policy/index.ts";
import { compilePolicyProject, loadPolicyModule } from "../../tools/compiler/index.ts";
import { repoRoot } from "./corpus.ts";

/** The one route the candidate decides differently (for viewers: enforced allows, candidate denies). */
export const CANDIDATE_DISAGREES_ON = "GET /tenants/:tenant/orders/:id";

const ENFORCED_ACTIONS = 'action in [Action::"ListOrders", Action::"ReadOrder"]';

/** Writes the candidate project into a new temporary directory and returns it; `remove()` deletes it. */
export function writeCandidateProject(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-shadow-"));
  cpSync(join(repoRoot, "policies"), dir, { recursive: true, filter: (source) => !source.includes(`${join(repoRoot, "policies", "tests")}`) });
  const file = join(dir, "orders.cedar");
  const text = readFileSync(file, "utf8");
  // Guard the fixture: if the example policies change shape, fail here rather than test nothing
  if (!text.includes(ENFORCED_ACTIONS)) throw new Error(`policies/orders.cedar no longer contains \`${ENFORCED_ACTIONS}\`; update test/harness/shadow-candidate.ts`);
  writeFileSync(file, text.replace(ENFORCED_ACTIONS, 'action == Action::"ListOrders"'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

let loaded: Promise<CompiledPolicySet> | undefined;

/** The candidate project compiled and loaded, once per process. */
export function candidatePolicies(): Promise<CompiledPolicySet> {
  loaded ??= (async () => {
    const project = writeCandidateProject();
    try {
      return await loadPolicyModule(compilePolicyProject({ policiesDir: project.dir }).source);
    } finally {
      project.remove();
    }
  })();
  return loaded;
}
