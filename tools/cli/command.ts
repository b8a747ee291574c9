/** One `gatehouse` sub-command: a file in `tools/cli/commands/` exporting `command`. */
export interface CliCommand {
  /** One line for `gatehouse --help`. */
  readonly summary: string;
  /** Full usage text for `gatehouse <name> --help`. */
  readonly usage: string;
  /** Runs with the arguments after the command name; resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}

/** A mistake by the user (bad flag, missing file): printed as one line, without a stack trace. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
