import { build } from "esbuild";

/**
 * Bundles a test Worker entry (and what it imports from shared/) into one ES module for Miniflare,
 * resolving packages the way workerd does (`workerd`, `worker`, `browser` export conditions).
 */
export async function bundleWorkerEntry(entryPath: string): Promise<string> {
  const result = await build({
    entryPoints: [entryPath],
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
