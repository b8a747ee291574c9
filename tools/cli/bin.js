#!/usr/bin/env node
// npx gatehouse …: in this checkout, the TypeScript CLI through tsx (no build step for contributors);
// in the published package, where tools/ holds only this file, the compiled CLI from dist/lib.
import { existsSync } from "node:fs";
import { setFlagsFromString } from "node:v8";

// cedar-wasm may abort V8 under Node 20 unless wasm calls are not inlined (see README). The flag is
// read when TurboFan optimises a JS caller, so it must be set before anything loads cedar-wasm:
// first thing here, before tsx and main.ts are imported.
setFlagsFromString("--no-turbo-inline-js-wasm-calls");

const source = new URL("./main.ts", import.meta.url);
if (existsSync(source)) {
  // Resolved from here, not from the working directory, so the CLI runs in any project folder.
  // Importing tsx's entry does what `node --import tsx` does: registers its ESM and CJS hooks.
  await import(import.meta.resolve("tsx"));
  await import(source.href);
} else {
  await import(new URL("../../dist/lib/cli.js", import.meta.url).href);
}
