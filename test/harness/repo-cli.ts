// Runs the repository's `gatehouse` CLI (tools/cli/main.ts through tsx) in a child process, the way
// the e2e tests drive publish, revoke and entities against a server they started.
import { execFile } from "node:child_process";
import { repoRoot } from "./corpus.ts";

export interface RepoCliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `gatehouse ...args` from the repository root; never rejects on a non-zero exit. The child sees
 * none of the caller's `GATEHOUSE_*`, `UPSTASH_*` or `AWS_*` variables, so only `args` and `env`
 * choose its store and credentials.
 */
export function runRepoCli(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<RepoCliRun> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(GATEHOUSE_|UPSTASH_|AWS_)/.test(k))) as Record<string, string>;
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "tools/cli/main.ts", ...args], { cwd: repoRoot, env: { ...clean, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
