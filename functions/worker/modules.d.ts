// Modules the Worker bundle gets at build time (wrangler `--alias`, see tools/build/worker.ts).
declare module "@gatehouse/policies" {
  import type { CompiledPolicySet } from "../../shared/policy/index.ts";
  const policies: CompiledPolicySet;
  export default policies;
}

// Shadow mode (issue #7): the candidate policy module, or `null` when the build was given no `--shadow DIR`
declare module "@gatehouse/shadow-policies" {
  import type { CompiledPolicySet } from "../../shared/policy/index.ts";
  const shadowPolicies: CompiledPolicySet | null;
  export default shadowPolicies;
}

// Emergency access: the break-glass policy module, or `null` when the build was given no `--break-glass DIR`
declare module "@gatehouse/break-glass-policies" {
  import type { CompiledPolicySet } from "../../shared/policy/index.ts";
  const breakGlassPolicies: CompiledPolicySet | null;
  export default breakGlassPolicies;
}

declare module "@gatehouse/routes" {
  import type { RoutesFile } from "../../shared/routes/index.ts";
  const routes: RoutesFile;
  export default routes;
}
