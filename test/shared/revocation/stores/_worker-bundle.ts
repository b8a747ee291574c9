import { build } from "esbuild";
import { fileURLToPath } from "node:url";

/** Bundles `_worker-entry.ts` (and with it shared/revocation and @upstash/redis) as a Worker module. */
export async function bundleRevocationWorker(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("./_worker-entry.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}
