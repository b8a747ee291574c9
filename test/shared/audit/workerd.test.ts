import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build } from "esbuild";
import { auditLineErrors, repoRoot, startAuditCollector, startWorker, type AuditCollector, type WorkerUnderTest } from "../../harness/index.ts";
import { decisionPaths } from "./fixtures.ts";

// The same module, bundled unchanged, inside real workerd: lines are built there and the HTTP sink
// is flushed through ctx.waitUntil, as the Worker adapter does.
const workerEntry = `
import { createAuditLogger, httpBatchSink, memorySink } from "./shared/audit/index.ts";
export default {
  async fetch(request, env, ctx) {
    const facts = await request.json();
    const memory = memorySink();
    const http = httpBatchSink({ url: env.COLLECTOR_URL, flushIntervalMs: 0 });
    const config = { clientIp: "hash", clientIpSalt: "workerd-test-salt-0123" };
    const toMemory = createAuditLogger(config, { platform: "worker", sink: memory });
    const toHttp = createAuditLogger(config, { platform: "worker", sink: http });
    for (const f of facts) {
      const withHeaders = { ...f, request: { ...f.request, headers: request.headers } };
      toMemory.log(withHeaders);
      toHttp.log(withHeaders);
    }
    ctx.waitUntil(toHttp.flush());
    return new Response(JSON.stringify(memory.lines), { headers: { "content-type": "application/json" } });
  },
};
`;

let worker: WorkerUnderTest;
let collector: AuditCollector;

beforeAll(async () => {
  collector = await startAuditCollector();
  const bundle = await build({
    stdin: { contents: workerEntry, resolveDir: repoRoot, loader: "js" },
    bundle: true,
    format: "esm",
    platform: "neutral",
    write: false,
    logLevel: "silent",
  });
  worker = await startWorker({ script: bundle.outputFiles[0].text, bindings: { COLLECTOR_URL: collector.url } });
});
afterAll(async () => {
  await worker?.stop();
  await collector?.stop();
});

describe("audit in workerd", () => {
  it("builds one valid line per decision and delivers them through waitUntil", async () => {
    const facts = Object.values(decisionPaths()).map((f) => ({ ...f, request: { ...f.request, headers: undefined } }));
    const response = await worker.fetch("/", {
      method: "POST",
      body: JSON.stringify(facts),
      headers: { "cf-ray": "8f1c2a3b4d5e6f70-AMS" },
    });
    const lines = (await response.json()) as string[];
    expect(lines).toHaveLength(facts.length);
    for (const line of lines) expect(auditLineErrors(line)).toEqual([]);
    const first = JSON.parse(lines[0]);
    expect(first.platform).toBe("worker");
    expect(first.trace_id).toBe("8f1c2a3b4d5e6f70-AMS");
    // the same keyed hash as Node computes: one address links up across runtimes
    expect(first.client_ip).toBe(createHmac("sha256", "workerd-test-salt-0123").update("203.0.113.77").digest("hex").slice(0, 32));
    await collector.waitForBatches(1, 10_000);
    expect(collector.records()).toHaveLength(facts.length);
  });
});
