// The Worker `wrangler deploy` bundles: Gatehouse with your compiled policies (`gatehouse build`
// writes dist/), your route table and gatehouse.config.json (a GATEHOUSE_CONFIG var overrides it).
import { createWorker } from "gatehouse/worker";
import policies from "../dist/policies.js";
import shadowPolicies from "../dist/policies.shadow.js";
// `null` unless built with `gatehouse build --break-glass DIR` (docs/break-glass.md)
import breakGlassPolicies from "../dist/break-glass/policies.js";
import routes from "../policies/routes.json";
import config from "../gatehouse.config.json";

export default createWorker({ policies, shadowPolicies, breakGlassPolicies, routes, config });
