// `gatehouse dev` (`npm start`): the Worker in Miniflare with a dev issuer, a demo origin and KV;
// `gatehouse dev --lambda`: the Lambda handler behind an emulated API Gateway authorizer cache.
export { startDev, type DevOptions, type DevServer } from "./start.ts";
export { devExamples, curlLine, mintDevToken, type DevExample, type DevSigner } from "./examples.ts";
export { loadDevConfig } from "./load-config.ts";
export { serveDemoOrigin, serveJwks, type LocalServer } from "./local-servers.ts";
export { runDevLambda, summarize as summarizeLambdaReplay, type DevLambdaOptions } from "./lambda.ts";
