#!/usr/bin/env node
// npx gatehouse …: runs the TypeScript CLI through tsx, so the package needs no build step.
// cedar-wasm may abort V8 under Node 20 unless wasm calls are not inlined (see README).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));
// Resolved from here, not from the working directory, so the CLI runs in any project folder.
const tsx = import.meta.resolve("tsx");
const result = spawnSync(
  process.execPath,
  ["--no-turbo-inline-js-wasm-calls", "--import", tsx, main, ...process.argv.slice(2)],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
