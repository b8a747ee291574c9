import type { CompiledPolicySet, OnForbidError, PolicyResult } from "../../policy/types.ts";
import { verdict, type Stage, type Verdict } from "../state.ts";

const ALLOWED = verdict(200, "allowed");
const POLICY_DENIED = verdict(403, "policy_denied");

/**
 * Turns the policies' answer into the verdict: `allowed`, or `policy_denied`; and in strict mode
 * (`onForbidError: "deny"`, `forbidIds` set) `forbid_error` when a forbid policy errored, naming
 * it, since a guard that could not be evaluated must not be skipped silently.
 */
export function decisionStage(forbidIds: ReadonlySet<string> | null): Stage {
  return function decision(state): Verdict {
    const result = state.policy!;
    if (result.decision !== "allow") return POLICY_DENIED;
    if (forbidIds !== null) {
      const errored = erroredForbids(result, forbidIds);
      if (errored !== null) return verdict(403, "forbid_error", { stage: "decision", policies: errored });
    }
    return ALLOWED;
  };
}

function erroredForbids(result: PolicyResult, forbidIds: ReadonlySet<string>): string[] | null {
  let errored: string[] | null = null;
  for (let i = 0; i < result.errors.length; i++) {
    const id = result.errors[i].policy;
    if (forbidIds.has(id)) (errored ??= []).push(id);
  }
  return errored;
}

/**
 * The ids of the forbid policies whose errors deny, with `onForbidError: "deny"`; `null` with `skip`.
 * A module compiled with `onForbidError: "deny"` already denies by itself; the config asks the same of any module.
 */
export function forbidPolicyIds(policies: CompiledPolicySet, onForbidError: OnForbidError): ReadonlySet<string> | null {
  if (onForbidError !== "deny") return null;
  const ids = new Set<string>();
  for (const policy of policies.policies ?? []) if (policy.effect === "forbid") ids.add(policy.id);
  return ids;
}
