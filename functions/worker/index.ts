// This repository's Worker entry: the app with the build-time modules wrangler aliases in
// (infra/wrangler.toml). A user's project does the same with `gatehouse/worker`.
import policies from "@gatehouse/policies";
import shadowPolicies from "@gatehouse/shadow-policies";
import breakGlassPolicies from "@gatehouse/break-glass-policies";
import routes from "@gatehouse/routes";
import { createWorker } from "./app.ts";

export default createWorker({ policies, shadowPolicies, breakGlassPolicies, routes });
