// The Worker `wrangler deploy` bundles: Gatehouse with your compiled policies (`gatehouse build`
// writes dist/), your route table and gatehouse.config.json (a GATEHOUSE_CONFIG var overrides it).
import { createWorker } from "gatehouse/worker";
import policies from "../dist/policies.js";
import shadowPolicies from "../dist/policies.shadow.js";
import routes from "../policies/routes.json";
import config from "../gatehouse.config.json";

export default createWorker({ policies, shadowPolicies, routes, config });
