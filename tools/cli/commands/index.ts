// The command table: name -> module, loaded on demand. A static list (not a directory listing) so
// the compiled CLI in the published package finds every command in its bundle.
import type { CliCommand } from "../command.ts";

type CommandModule = Promise<{ command: CliCommand }>;

export const COMMANDS: Readonly<Record<string, () => CommandModule>> = {
  audit: () => import("./audit.ts"),
  build: () => import("./build.ts"),
  bundles: () => import("./bundles.ts"),
  check: () => import("./check.ts"),
  dev: () => import("./dev.ts"),
  entities: () => import("./entities.ts"),
  fmt: () => import("./fmt.ts"),
  init: () => import("./init.ts"),
  publish: () => import("./publish.ts"),
  replay: () => import("./replay.ts"),
  revocations: () => import("./revocations.ts"),
  revoke: () => import("./revoke.ts"),
  rollback: () => import("./rollback.ts"),
  slo: () => import("./slo.ts"),
  test: () => import("./test.ts"),
  token: () => import("./token.ts"),
  types: () => import("./types.ts"),
  unrevoke: () => import("./unrevoke.ts"),
  validate: () => import("./validate.ts"),
};
