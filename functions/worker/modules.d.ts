// Modules the Worker bundle gets at build time (wrangler `--alias`, see tools/build/worker.ts).
declare module "@gatehouse/policies" {
  import type { CompiledPolicySet } from "../../shared/policy/index.ts";
  const policies: CompiledPolicySet;
  export default policies;
}

declare module "@gatehouse/routes" {
  import type { RoutesFile } from "../../shared/routes/index.ts";
  const routes: RoutesFile;
  export default routes;
}
