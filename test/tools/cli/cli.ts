// Runs the `gatehouse` CLI as a user would: `node tools/cli/bin.js ...` as a child process, in a
// temporary project directory, with a small policy project written there.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll } from "vitest";
import { repoRoot } from "../../harness/index.ts";

export const BIN = join(repoRoot, "tools", "cli", "bin.js");

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `gatehouse ...args` in `cwd`; never rejects on a non-zero exit. */
export function runCli(args: string[], options: { cwd: string; env?: Record<string, string>; stdin?: string }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...options.env };
    delete env.FORCE_COLOR;
    if (options.env?.FORCE_COLOR) env.FORCE_COLOR = options.env.FORCE_COLOR;
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}

/** The small policy project the CLI tests work on: a docs API with readers, a guard, and a route nobody may use. */
export const SMALL_PROJECT: Readonly<Record<string, string>> = {
  "policies/schema.cedarschema": `entity Role;
entity User in [Role] {
  tenant: String,
  suspended: Bool,
  clearance?: Long,
};
entity Doc {
  tenant: String,
};
type Ctx = {
  scopes: Set<String>,
  amr: Set<String>,
};
action ReadDoc, EditDoc appliesTo {
  principal: User,
  resource: Doc,
  context: Ctx,
};
`,
  "policies/docs.cedar": `// Readers read their own tenant's documents.
@id("readers-read")
permit (principal in Role::"reader", action == Action::"ReadDoc", resource)
when { context.scopes.contains("docs:read") && principal.tenant == resource.tenant };

// Suspended accounts are locked out.
@id("no-suspended")
forbid (principal, action, resource)
when { principal.suspended };
`,
  "policies/entities.json": JSON.stringify([{ uid: { type: "Role", id: "reader" }, attrs: {}, parents: [] }]),
  "policies/routes.json": JSON.stringify({
    routes: [
      { method: "GET", path: "/health", public: true },
      { method: "GET", path: "/docs/:tenant/:id", action: "ReadDoc", resource: { type: "Doc", id: "{tenant}/{id}", attrs: { tenant: "{tenant}" } } },
      { method: "PUT", path: "/docs/:tenant/:id", action: "EditDoc", resource: { type: "Doc", id: "{tenant}/{id}", attrs: { tenant: "{tenant}" } } },
    ],
  }),
  "policies/tests/docs.yaml": `defaults:
  claims: { iss: https://dev.gatehouse.local, aud: gatehouse-demo }
cases:
  - name: reader reads own tenant's doc
    claims: { sub: rita, tenant: acme, groups: [reader], scope: docs:read }
    request: GET /docs/acme/d1
    expect: allow
    policies: [readers-read]
  - name: reader cannot read another tenant's doc
    claims: { sub: rita, tenant: acme, groups: [reader], scope: docs:read }
    request: GET /docs/globex/d1
    expect: deny
    policies: []
  - name: suspended reader is locked out
    claims: { sub: sam, tenant: acme, groups: [reader], scope: docs:read, suspended: true }
    request: GET /docs/acme/d1
    expect: deny
    reason: policy_denied
    policies: [no-suspended]
  - name: health is public
    request: GET /health
    expect: allow
    reason: public_route
`,
};

/** Writes `files` (path → text) under a fresh temporary directory and returns it. */
export function makeProject(files: Readonly<Record<string, string>> = SMALL_PROJECT): { dir: string; write(path: string, text: string): void; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-cli-"));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  for (const [path, text] of Object.entries(files)) write(path, text);
  return { dir, write, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A stack trace line, which user errors must never print. */
export const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;

/**
 * Temporary projects for one test file, removed after the whole file: its tests run concurrently
 * (each spawn is mostly start-up and waiting), so one test's cleanup must not remove another's folder.
 */
export function projectsForFile(base: Readonly<Record<string, string>> = SMALL_PROJECT): (extra?: Record<string, string>) => { dir: string; write(path: string, text: string): void } {
  const made: { cleanup(): void }[] = [];
  afterAll(() => {
    for (const p of made.splice(0)) p.cleanup();
  });
  return (extra = {}) => {
    const p = makeProject(base);
    for (const [path, text] of Object.entries(extra)) p.write(path, text);
    made.push(p);
    return p;
  };
}
