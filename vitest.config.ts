import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// Tests that assert wall-clock bounds (a deadline plus ~20 ms of slack) against real sockets and
// proxies. They run after the rest, one file at a time, so the CLI tests' child processes (or a
// second timed file) cannot starve them; they take ~30 s so.
const TIMED = ["test/shared/revocation/**/*.test.ts", "test/shared/token/jwks.test.ts", "test/shared/audit/http-batch-sink.test.ts", "test/functions/stores/**/*.test.ts"];
const EXCLUDE = ["test/bench/**", "node_modules/**"];
const cores = availableParallelism();

const common = {
  testTimeout: 30_000,
  hookTimeout: 60_000,
  // cedar-wasm can abort V8 under Node 20 unless wasm calls are not inlined into JS
  execArgv: ["--no-turbo-inline-js-wasm-calls"],
  pool: "forks" as const,
};

export default defineConfig({
  test: {
    projects: [
      { test: { ...common, name: "timed", include: TIMED, exclude: EXCLUDE, sequence: { groupOrder: 1 }, maxWorkers: 1 } },
      // Vitest's default is one worker fewer than the cores: a single worker on a 2-core CI box. Most
      // of these files mostly wait (on child processes, servers, workerd), so one worker more than
      // the cores keeps the cores busy. GATEHOUSE_TEST_WORKERS=N overrides it (measuring, a busy box).
      { test: { ...common, name: "main", include: ["test/**/*.test.ts"], exclude: [...EXCLUDE, ...TIMED], sequence: { groupOrder: 0 }, maxWorkers: Number(process.env.GATEHOUSE_TEST_WORKERS) || cores + 1 } },
    ],
  },
});
