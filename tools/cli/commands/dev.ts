import { parseCommandArgs } from "../args.ts";
import { UsageError, type CliCommand } from "../command.ts";
import { startDev } from "../../dev/index.ts";

const usage = `usage: gatehouse dev [options]   (npm start)

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

exit codes: 0 stopped by Ctrl-C, 1 configuration or build error, 2 usage error`;

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
    });
    const port = Number(values.port);
    if (!/^\d+$/.test(values.port ?? "") || port > 65535) throw new UsageError(`--port: expected a port from 0 to 65535, got \`${values.port}\``);
    if (values["signing-key"] !== undefined && values.config === undefined) throw new UsageError("--signing-key goes with --config (the dev issuer has its own key)");
    const server = await startDev({ port, policiesDir: values.policies, configFile: values.config, signingKeyFile: values["signing-key"] });
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
