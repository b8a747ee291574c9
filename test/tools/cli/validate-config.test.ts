// `gatehouse validate --config` checks the whole configuration as the entry points do at start,
// so a deploy fails on the field, not on the first request.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { command } from "../../../tools/cli/commands/validate.ts";
import { repoRoot } from "../../harness/index.ts";
import { ConfigError } from "../../../shared/errors.ts";

const dir = mkdtempSync(join(tmpdir(), "gatehouse-validate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const issuer = { issuer: "https://dev.gatehouse.local", audience: "gatehouse-demo", algorithms: ["ES256"], jwksUri: "https://idp.example/jwks.json" };

async function validate(config: Record<string, unknown>): Promise<{ code: number; stderr: string }> {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(config));
  const errors: string[] = [];
  const err = vi.spyOn(console, "error").mockImplementation((line: string) => void errors.push(line));
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    return { code: await command.run(["--policies", join(repoRoot, "policies"), "--config", file]), stderr: errors.join("\n") };
  } catch (error) {
    // What tools/cli/main.ts does with a ConfigError that escapes a command
    if (!(error instanceof ConfigError)) throw error;
    return { code: 1, stderr: `gatehouse validate: ${error.message}` };
  } finally {
    err.mockRestore();
    log.mockRestore();
  }
}

describe("gatehouse validate --config", () => {
  it("accepts a configuration the entry points accept", async () => {
    expect(await validate({ token: { issuers: [issuer] }, revocation: null, metrics: { namespace: "Api" }, slo: { availability: 0.999 } })).toEqual({ code: 0, stderr: "" });
  });
  it.each([
    ["a revocation store of no known kind", { revocation: { store: { kind: "nope" } } }, "revocation.store.kind"],
    ["a break-glass issuer that is not configured", { revocation: null, breakGlass: { issuer: "nobody" } }, "breakGlass.issuer"],
    ["a metrics port out of range", { revocation: null, metrics: { port: 70_000 } }, "metrics.port"],
    ["an slo latency bound that is no bucket", { revocation: null, slo: { latencyThresholdMs: 3 } }, "slo.latencyThresholdMs"],
    ["a time-to-revoke objective that is no age bucket", { revocation: null, slo: { revocationAgeSeconds: 7 } }, "slo.revocationAgeSeconds"],
    ["no revocation section at all", {}, "revocation"],
  ])("refuses %s, naming the field", async (_, extra, field) => {
    const { code, stderr } = await validate({ token: { issuers: [issuer] }, ...extra });
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^gatehouse validate: ${field.replace(/\./g, "\\.")}: expected`));
  });
});
