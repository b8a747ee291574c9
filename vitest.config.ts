import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// Test files that start an external process: redis-server, workerd (Miniflare), a spawned CLI,
// conformance runner or bundle runner. Every other file is in the `unit` project, which CI also
// runs with the clock shifted a year ahead and a year back (`faketime`, issue #14); libfaketime is
// preloaded into every child process and breaks redis-server and workerd, so these stay out of it
// and derive every timestamp from the real clock at run time instead.
// A new test file that starts a process goes here.
const PROCESS = [
  "test/functions/lambda/build.test.ts",
  "test/functions/node/identity-headers.e2e.test.ts",
  "test/functions/node/policy-bundle.e2e.test.ts", // redis-server and CLI children
  "test/functions/node/metrics.e2e.test.ts", // promtool
  "test/functions/node/entities.e2e.test.ts", // redis-server, the CLI spawned
  "test/functions/stores/redis.test.ts",
  "test/functions/worker/**/*.test.ts",
  "test/harness/harness.test.ts",
  "test/package/**/*.test.ts",
  "test/shared/audit/workerd.test.ts",
  "test/shared/revocation/stores/kv.test.ts",
  "test/shared/revocation/stores/upstash.test.ts",
  "test/shared/token/dpop-replay.test.ts", // redis-server
  "test/shared/token/workerd.test.ts",
  "test/tools/audit/cli.test.ts",
  "test/tools/cli/**/*.test.ts",
  "test/tools/conformance.test.ts",
  "test/tools/dev/**/*.test.ts",
  "test/tools/revocation/cli.test.ts",
];

// The store fault suites: each asserts a store's deadline (50 ms plus ~20 ms of slack) against real
// sockets, so they run after the rest, one at a time, where no other file can starve them. All but
// DynamoDB's (dynalite runs in this process, and its suite flaked beside parallel unit files) start
// a process. The in-process timed files (revocation checker, JWKS cache, HTTP audit sink) are in
// `unit`, which runs after the process files, when nothing else loads the machine.
const TIMED = ["test/shared/revocation/stores/kv.test.ts", "test/shared/revocation/stores/upstash.test.ts", "test/functions/stores/redis.test.ts", "test/functions/stores/dynamodb.test.ts"];
const EXCLUDE = ["test/bench/**", "node_modules/**"];
const cores = availableParallelism();

const common = {
  testTimeout: 30_000,
  hookTimeout: 60_000,
  // cedar-wasm can abort V8 under Node 20 unless wasm calls are not inlined into JS
  execArgv: ["--no-turbo-inline-js-wasm-calls"],
  pool: "forks" as const,
};

// Vitest's default is one worker fewer than the cores: a single worker on a 2-core CI box. Most of
// the process files mostly wait (on child processes, servers, workerd), so one worker more than the
// cores keeps the cores busy. GATEHOUSE_TEST_WORKERS=N overrides it (measuring, a busy box).
const processWorkers = Number(process.env.GATEHOUSE_TEST_WORKERS) || cores + 1;

export default defineConfig({
  test: {
    projects: [
      { test: { ...common, name: "process", include: PROCESS, exclude: [...EXCLUDE, ...TIMED], sequence: { groupOrder: 0 }, maxWorkers: processWorkers } },
      // No external process: safe under faketime (issue #14)
      { test: { ...common, name: "unit", include: ["test/**/*.test.ts"], exclude: [...EXCLUDE, ...PROCESS, ...TIMED], sequence: { groupOrder: 1 }, maxWorkers: cores } },
      { test: { ...common, name: "timed", include: TIMED, exclude: EXCLUDE, sequence: { groupOrder: 2 }, maxWorkers: 1 } },
    ],
  },
});
