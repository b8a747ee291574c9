// Emergency access at build time: the break-glass policy project goes with a configuration that
// names a break-glass issuer, and only with one (docs/break-glass.md). Light: no compiler here.
import { readFileSync } from "node:fs";

/**
 * Whether the config file and the break-glass project agree: a config with `breakGlass` needs the
 * project (else every entry point refuses to start), and a project without `breakGlass` in the
 * config would never decide. The problem as one line, or `null`. Shared by `gatehouse build`,
 * `gatehouse validate` and the Lambda build.
 */
export function breakGlassMismatch(configFile: string | undefined, breakGlassDir: string | undefined): string | null {
  if (configFile === undefined) return null;
  let configured: boolean;
  try {
    const config = JSON.parse(readFileSync(configFile, "utf8")) as { breakGlass?: unknown } | null;
    configured = config !== null && typeof config === "object" && config.breakGlass !== undefined && config.breakGlass !== null;
  } catch {
    return null; // the config checks report an unreadable file, with their own message
  }
  if (configured && breakGlassDir === undefined) return "breakGlass: the config sets it; expected the break-glass policy project as `--break-glass DIR`";
  if (!configured && breakGlassDir !== undefined) return "--break-glass: expected `breakGlass` in the config file, which names the issuer of break-glass tokens";
  return null;
}
