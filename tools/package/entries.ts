// The published package's entry points: subpath -> source file. The package build bundles these and
// checks package.json's `exports` against this table, so the two cannot drift (issue #15).

/** Runtime subpaths (`gatehouse`, `gatehouse/hono`, ...): name of the built file -> source. */
export const RUNTIME_ENTRIES: Readonly<Record<string, string>> = {
  index: "shared/index.ts",
  hono: "shared/middleware/index.ts",
  policy: "shared/policy/index.ts",
  worker: "functions/worker/app.ts",
  lambda: "functions/lambda/index.ts",
  node: "functions/node/index.ts",
  "stores/memory": "shared/revocation/stores/memory.ts",
  "stores/kv": "shared/revocation/stores/kv.ts",
  "stores/upstash": "shared/revocation/stores/upstash.ts",
  "stores/redis": "functions/stores/redis.ts",
  "stores/dynamodb": "functions/stores/dynamodb.ts",
  "stores/s3": "functions/stores/s3.ts",
};

/** Programs (bins): name of the built file -> source. */
export const PROGRAM_ENTRIES: Readonly<Record<string, string>> = {
  cli: "tools/cli/main.ts",
  "forward-auth": "functions/node/bin.ts",
};

/** Where the package build writes; package.json's `files` ships it. */
export const PACKAGE_OUT = "dist/lib";

/** The subpath of a runtime entry: `index` -> `.`, `hono` -> `./hono`. */
export function subpathOf(name: string): string {
  return name === "index" ? "." : `./${name}`;
}
