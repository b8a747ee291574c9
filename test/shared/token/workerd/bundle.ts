// Bundles the test Worker with esbuild (once per process) for Miniflare.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

let bundled: Promise<string> | undefined;

/** The ES-module source of `entry.ts` with shared/token and jose inlined. */
export function workerScript(): Promise<string> {
  bundled ??= build({
    entryPoints: [fileURLToPath(new URL("./entry.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    write: false,
  }).then((result) => result.outputFiles[0].text);
  return bundled;
}
