import { UsageError } from "./command.ts";

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * Parses `90s`, `15m`, `1h`, `2d` or a bare number of seconds, within `[min, max]` seconds.
 * @throws UsageError naming `flag`.
 */
export function parseDuration(text: string, flag: string, min: number, max: number): number {
  const match = /^(\d{1,9})([smhd]?)$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2] || "s"] : Number.NaN;
  if (!(seconds >= min && seconds <= max)) {
    throw new UsageError(`${flag}: expected a duration such as \`90s\`, \`15m\` or \`1h\` from ${min}s to ${max}s, got \`${text}\``);
  }
  return seconds;
}
