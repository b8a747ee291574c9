// Policy rollout (#18): a candidate set enforced for a slice of principals, rolled back automatically.
export { createCanary, type Canary, type CanaryDeps } from "./canary.ts";
export { resolveRolloutConfig, type RolloutConfig, type RollbackConfig, type ResolvedRolloutConfig } from "./config.ts";
export { slicePosition } from "./slice.ts";
export { createSlidingCounts, type SlidingCounts } from "./window.ts";
export { writeRollbackEvent, type RollbackEvent, type RollbackRule } from "./rollback-event.ts";
export { storeRollbackFlag, type SharedRollbackFlag } from "./shared-flag.ts";
export type { CanaryChoice } from "./canary-choice.ts";
