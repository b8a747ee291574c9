import { createAuditLogger } from "../../shared/audit/index.ts";
import { createDecide, forbidPolicyIds, type DecideState, type NamedStage, type PipelineParts } from "../../shared/pipeline/index.ts";
import type { DecideSetup } from "./types.ts";

const DISCARD = { write() {}, flush: async () => {} };

/** A tool's pipeline and the time it decides at, which the tool sets before each request. */
export interface ToolPipeline {
  readonly decide: DecideState;
  readonly time: { at: number };
}

/**
 * The production pipeline as a tool that decides from given or recorded facts composes it (policy
 * tests, `check`, `replay`): no verifier, no store, audit lines discarded, and a clock the tool sets
 * per request. `stages` swaps what the tool supplies; the order stays `pipelineStages`'.
 */
export function composeToolPipeline(setup: DecideSetup, stages: (parts: PipelineParts) => readonly NamedStage[], decisionId: string): ToolPipeline {
  const time = { at: 0 };
  const clock = { now: () => time.at };
  const logger = createAuditLogger(undefined, { platform: "node", clock, sink: DISCARD });
  const parts: PipelineParts = {
    routes: setup.routes,
    paths: setup.paths,
    credential: { cookie: null, queryParam: null, maxTokenBytes: 0 },
    verifier: null,
    checker: null,
    failModes: new Map(),
    contextHeaders: setup.contextHeaders,
    policies: setup.policies,
    forbidIds: forbidPolicyIds(setup.policies, setup.onForbidError),
    shadowPolicies: null,
    clock,
  };
  const decide = createDecide(stages(parts), { audit: { worker: logger, lambda: logger, node: logger }, randomUUID: () => decisionId });
  return { decide, time };
}
