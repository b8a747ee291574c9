// Helpers the policy commands share (not a command: not listed in commands/index.ts).
// Light on purpose: the commands import this at the top, so `--help` must not pull in the
// compiler or cedar-wasm; the reporting helpers that need them are in `_project-report.ts`.
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "../command.ts";

/** The policies directory: `--policies DIR`, default `policies` under the working directory. */
export function policiesDirFrom(value: string | undefined): string {
  const dir = resolve(value ?? "policies");
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError(`policies directory \`${value ?? "policies"}\` not found${value ? "" : ": run in a project folder or pass `--policies DIR`"}`);
  }
  return dir;
}

/** A config file named by `--config`, checked to exist. */
export function configFileFrom(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!existsSync(value)) throw new UsageError(`config file \`${value}\` not found`);
  return resolve(value);
}
