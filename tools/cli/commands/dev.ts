import { parseCommandArgs } from "../args.ts";
import { UsageError, type CliCommand } from "../command.ts";
import type { AuthorizerKind } from "../../lambda-cache/index.ts";

const usage = `usage: gatehouse dev [options]   (npm start)
       gatehouse dev --lambda [--ttl SECONDS] [--kind rest_token|rest_request|http_simple] [--policies DIR]

Builds the policies and runs the Gatehouse Worker in Miniflare on http://127.0.0.1:8787, in front of a
demo origin, with Miniflare KV for revocations (.gatehouse/kv). On first start it creates a dev
signing key (.gatehouse/dev-key.json) and serves its JWKS on loopback; it prints dev tokens and curl
lines with the status each must get. Editing the policies rebuilds them. Ctrl-C stops.

options:
  --port N            the Worker's port on 127.0.0.1; default 8787 (0: any free port)
  --policies DIR      the policy project; default policies/
  --config FILE       a JSON GatehouseConfig (issuers with issuer, audience, algorithms and
                      jwksUri, jwks or jwksFile; revocation; fail modes; audit) instead of the dev issuer
  --signing-key FILE  a private JWK of the --config issuer, to print tokens for it
  --shadow DIR        a candidate policy project evaluated beside the enforced one (shadow mode):
                      only the enforced one decides, each audit line records the candidate's answer
  --break-glass DIR   the break-glass policy project, for a --config that sets \`breakGlass\`

--lambda: instead of the Worker, replays a short scenario through the Lambda authorizer handler with
API Gateway's authorizer result cache emulated in front of it, on a simulated clock (finishes at
once): the dev viewer reads an order, tries to delete it, is revoked at 10 s, and reads on until the
cached answer expires. Prints each request (cache hit or miss, what the client got, what Gatehouse
decides now) and how long the revocation took to reach clients.
  --ttl SECONDS       the authorizer result TTL; default 60 (infra/template.yaml), 0 to 3600
  --kind KIND         rest_request (default; the template's REST authorizer, keyed on token, method
                      and path), rest_token (TOKEN authorizer, keyed on the token) or http_simple
                      (HTTP API, simple responses, keyed on token, method and path)

exit codes: 0 stopped by Ctrl-C (--lambda: replayed), 1 configuration or build error (--lambda: also a
cached allow that reached a request Gatehouse denies), 2 usage error`;

/** `gatehouse dev`: the local Worker, until Ctrl-C. */
export const command: CliCommand = {
  summary: "run the Worker locally in Miniflare with a dev issuer and demo origin",
  usage,
  async run(args) {
    const { values } = parseCommandArgs(args, {
      port: { type: "string", default: "8787" },
      policies: { type: "string" },
      config: { type: "string" },
      "signing-key": { type: "string" },
      shadow: { type: "string" },
      "break-glass": { type: "string" },
      lambda: { type: "boolean", default: false },
      ttl: { type: "string" },
      kind: { type: "string" },
    });
    if (values.lambda) return runLambda(values, args);
    if (values.ttl !== undefined || values.kind !== undefined) throw new UsageError("--ttl and --kind go with --lambda");
    const port = Number(values.port);
    if (!/^\d+$/.test(values.port ?? "") || port > 65535) throw new UsageError(`--port: expected a port from 0 to 65535, got \`${values.port}\``);
    if (values["signing-key"] !== undefined && values.config === undefined) throw new UsageError("--signing-key goes with --config (the dev issuer has its own key)");
    // Loaded here, not at the top: Miniflare and esbuild take a while to load, and `--help` needs neither
    const { startDev } = await import("../../dev/index.ts");
    const server = await startDev({ port, policiesDir: values.policies, configFile: values.config, signingKeyFile: values["signing-key"], shadowDir: values.shadow, breakGlassDir: values["break-glass"] });
    await new Promise<void>((resolve) => {
      // Miniflare's exit hook answers SIGINT with an immediate process.exit(130); we dispose
      // Miniflare ourselves (which stops workerd) and close the servers, then exit 0
      process.removeAllListeners("SIGINT");
      process.removeAllListeners("SIGTERM");
      const onSignal = () => resolve();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
    });
    console.log("stopping");
    await server.stop();
    return 0;
  },
};

const KINDS = ["rest_token", "rest_request", "http_simple"];

// `gatehouse dev --lambda`: the replay, printed; exit 1 only if a cached allow leaked to another request
async function runLambda(values: { ttl?: string; kind?: string; policies?: string }, args: string[]): Promise<number> {
  for (const flag of ["--port", "--config", "--signing-key", "--shadow", "--break-glass"]) {
    if (args.some((arg) => arg === flag || arg.startsWith(`${flag}=`))) throw new UsageError(`${flag} does not go with --lambda (it replays with the dev issuer)`);
  }
  const ttl = values.ttl ?? "60";
  if (!/^\d+$/.test(ttl) || Number(ttl) > 3600) throw new UsageError(`--ttl: expected whole seconds from 0 to 3600, got \`${ttl}\``);
  const kind = values.kind ?? "rest_request";
  if (!KINDS.includes(kind)) throw new UsageError(`--kind: expected one of ${KINDS.map((k) => `\`${k}\``).join(", ")}, got \`${kind}\``);
  // The module itself, not tools/dev/index.ts, which would load Miniflare for nothing
  const { runDevLambda } = await import("../../dev/lambda.ts");
  const report = await runDevLambda({ ttlSeconds: Number(ttl), kind: kind as AuthorizerKind, policiesDir: values.policies });
  return report.leaks === 0 ? 0 : 1;
}
