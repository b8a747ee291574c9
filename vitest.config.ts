import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/bench/**", "node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // cedar-wasm can abort V8 under Node 20 unless wasm calls are not inlined into JS
    execArgv: ["--no-turbo-inline-js-wasm-calls"],
    pool: "forks",
  },
});
