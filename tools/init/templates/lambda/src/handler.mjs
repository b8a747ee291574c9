// The Lambda authorizer `sam build` bundles (template.yaml): Gatehouse with your compiled policies
// (`gatehouse build` writes dist/), your route table and gatehouse.config.json. Built once per sandbox.
import { createLambdaEntry } from "gatehouse/lambda";
import policies from "../dist/policies.js";
// `null` unless built with `gatehouse build --break-glass DIR` (docs/break-glass.md)
import breakGlassPolicies from "../dist/break-glass/policies.js";
import routes from "../policies/routes.json";
import config from "../gatehouse.config.json";

export const handler = await createLambdaEntry({ policies, breakGlassPolicies, routes, config });
