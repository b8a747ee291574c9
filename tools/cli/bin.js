#!/usr/bin/env node
// npx gatehouse …: runs the TypeScript CLI through tsx, so the package needs no build step.
// One process: the V8 flag and tsx are set up here, then main.ts is imported (a second Node
// start-up per call used to cost a few hundred ms, seconds on a loaded machine).
import { setFlagsFromString } from "node:v8";

// cedar-wasm may abort V8 under Node 20 unless wasm calls are not inlined (see README). The flag is
// read when TurboFan optimises a JS caller, so it must be set before anything loads cedar-wasm:
// first thing here, before tsx and main.ts are imported.
setFlagsFromString("--no-turbo-inline-js-wasm-calls");

// Resolved from here, not from the working directory, so the CLI runs in any project folder.
// Importing tsx's entry does what `node --import tsx` does: registers its ESM and CJS hooks.
await import(import.meta.resolve("tsx"));
await import(import.meta.resolve("./main.ts"));
