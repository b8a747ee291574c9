import type { PipelineParts } from "./parts.ts";
import type { NamedStage, Stage, StageName } from "./state.ts";
import { credentialStage } from "./stages/credential.ts";
import { decisionStage } from "./stages/decision.ts";
import { entitiesStage, prefetchEntities } from "../features/index.ts";
import { pathStage } from "./stages/path.ts";
import { policiesStage } from "./stages/policies.ts";
import { principalStage } from "./stages/principal.ts";
import { requestStage } from "./stages/request.ts";
import { revocationStage } from "./stages/revocation.ts";
import { routeStage } from "./stages/route.ts";
import { tokenStage } from "./stages/token.ts";
import { bindingStage } from "./stages/binding.ts";
import { unmatchedStage } from "./stages/unmatched.ts";

/** Stages a tool puts in place of the production ones, by name (e.g. "these claims are verified"). */
export type StageSwaps = Partial<Readonly<Record<StageName, Stage>>>;

/**
 * The order of the decision, the only place it is written:
 * path → route (public routes end here) → credential → token → binding (sender-constrained tokens, #20) → principal → unmatched route →
 * revocation → request mapping → entities (live records, #17) → policies → decision.
 * `swaps` replaces stages by name; the order stays this one. The credential and token stages need
 * `parts.verifier` unless both are swapped.
 */
export function pipelineStages(parts: PipelineParts, swaps: StageSwaps = {}): readonly NamedStage[] {
  const stage = (name: StageName, production: () => Stage): NamedStage => ({ name, run: swaps[name] ?? production() });
  return [
    stage("path", () => pathStage(parts.paths)),
    stage("route", () => routeStage(parts.routes)),
    stage("credential", () => credentialStage(parts.credential)),
    stage("token", () => tokenStage(required(parts.verifier))),
    stage("binding", () => bindingStage(parts.sender)),
    stage("principal", () => principalStage(parts.claimsFacts)),
    stage("unmatched", () => unmatchedStage()),
    // With one store for both, the entity read starts first and goes out with the revocation lookup
    stage("revocation", () => prefetchEntities(revocationStage(parts.checker, parts.failModes), parts.entities ?? null)),
    stage("request", () => requestStage(parts.contextHeaders, parts.clock, parts.parsedContext, parts.contextNeeds)),
    stage("entities", () => entitiesStage(parts.entities ?? null, parts.failModes)),
    // A canary rollout evaluates both sets and lets the candidate decide for its slice
    // A break-glass token is decided by its own set
    stage("policies", () => policiesStage(parts.policies, parts.shadowPolicies, parts.canary ?? null, parts.breakGlass ?? null, parts.contextNeeds)),
    stage("decision", () => decisionStage(parts.forbidIds)),
  ];
}

function required<T>(value: T | null): T {
  if (value === null) throw new TypeError("the token stage needs a verifier, or a swapped stage");
  return value;
}
