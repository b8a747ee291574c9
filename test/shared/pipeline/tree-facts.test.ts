// Facts about the source tree (issue #16), checked by reading it: the decision's order lives only in
// shared/pipeline/, and revocation stores are built only by their kind files, through a registry.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { nodeStores } from "../../../functions/stores/registry.ts";
import { edgeStores, neutralStores } from "../../../shared/revocation/index.ts";
import { cliStores } from "../../../tools/revocation/open-store.ts";
import { repoRoot } from "../../harness/index.ts";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "node_modules" ? [] : sources(path);
    return name.endsWith(".ts") ? [relative(repoRoot, path)] : [];
  });
}

const files = ["shared", "functions", "tools"].flatMap((dir) => sources(join(repoRoot, dir)));
const text = new Map(files.map((file) => [file, readFileSync(join(repoRoot, file), "utf8")]));

// Calls, not definitions: `function normalizePath(` does not count
const STEPS: Record<string, RegExp> = {
  normalizePath: /(?<!function )\bnormalizePath\(/,
  matchRoute: /(?<!function )\bmatchRoute\(/,
  mapClaims: /(?<!function )\bmapClaims\(/,
  evaluate: /\.evaluate\(/,
};
// CreateHttpStore (shared/revocation/stores/http.ts)
const STORE_BUILDERS = /\b(createMemoryStore|createKvStore|createUpstashStore|createRedisStore|createDynamoDbStore|createHttpStore|createS3Store)\(|new (Redis|DynamoDBClient|S3Client)\(/;

describe("tree facts", () => {
  it("reads the tree", () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files).toContain("shared/pipeline/order.ts");
  });

  it("no file outside shared/pipeline/ calls two of normalizePath, matchRoute, mapClaims and the policy evaluate", () => {
    const offenders = files
      .filter((file) => !file.startsWith("shared/pipeline/"))
      .map((file) => ({ file, steps: Object.keys(STEPS).filter((step) => STEPS[step].test(text.get(file)!)) }))
      .filter((found) => found.steps.length >= 2);
    expect(offenders).toEqual([]);
  });

  it("inside shared/pipeline/, each step is called by one stage file", () => {
    for (const [step, pattern] of Object.entries(STEPS)) {
      const callers = files.filter((file) => file.startsWith("shared/pipeline/stages/") && pattern.test(text.get(file)!));
      expect({ step, callers: callers.length }).toEqual({ step, callers: 1 });
    }
  });

  it("only order.ts composes the production stages, and only the policy tools swap some", () => {
    const importers = files.filter((file) => /from "[./]*(shared\/pipeline\/)?stages\/[a-z-]+\.ts"/.test(text.get(file)!) && !file.startsWith("shared/pipeline/stages/"));
    expect(importers.sort()).toEqual(["shared/pipeline/create-authorizer.ts", "shared/pipeline/index.ts", "shared/pipeline/order.ts", "tools/policy-test/given-stages.ts"]);
  });

  it("no module builds a revocation store except a store kind's own file, which a registry lists", () => {
    const builders = files.filter((file) => STORE_BUILDERS.test(text.get(file)!.replace(/export function create\w+Store\(/g, "")));
    expect(builders.sort()).toEqual([
      "functions/stores/dynamodb.ts",
      "functions/stores/redis.ts",
      "functions/stores/s3.ts",
      "shared/revocation/stores/http.ts",
      "shared/revocation/stores/kv.ts",
      "shared/revocation/stores/memory.ts",
      "shared/revocation/stores/upstash.ts",
      "tools/revocation/kv-persist-store.ts",
    ]);
    for (const file of builders) expect({ file, kind: /export const \w+Store: StoreKind</.test(text.get(file)!) }).toEqual({ file, kind: true });
  });

  it("the registries: client-free kinds for Workers, runtime-neutral kinds everywhere, Node's add redis, dynamodb and s3, the CLI's swap kv for Miniflare's", () => {
    expect(Object.keys(edgeStores)).toEqual(["memory", "kv"]);
    expect(Object.keys(neutralStores)).toEqual(["memory", "kv", "upstash", "http"]);
    expect(Object.keys(nodeStores)).toEqual(["memory", "kv", "upstash", "http", "redis", "dynamodb", "s3"]);
    expect(Object.keys(cliStores)).toEqual(Object.keys(nodeStores));
  });

  it("shared/ reaches neither ioredis nor the AWS SDK, so a Worker bundle cannot", () => {
    const offenders = files.filter((file) => file.startsWith("shared/") && /from "(ioredis|@aws-sdk\/[^"]+)"|import\("(ioredis|@aws-sdk)/.test(text.get(file)!));
    expect(offenders).toEqual([]);
  });
});
