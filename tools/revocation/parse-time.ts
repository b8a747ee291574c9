import { UsageError } from "../cli/command.ts";

/** Reads a CLI time: Unix seconds (`1767225600`) or an ISO 8601 date-time (`2026-01-01T00:00:00Z`). */
export function parseTime(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d{1,11}$/.test(value)) return Number(value);
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new UsageError(`\`--${flag}\` expects Unix seconds or an ISO 8601 date-time, got \`${value}\``);
  return Math.floor(ms / 1000);
}

/** Unix seconds as an ISO date-time, for output. */
export function showTime(seconds: number | string | undefined): string {
  const n = Number(seconds);
  return seconds === undefined || !Number.isFinite(n) ? "-" : new Date(n * 1000).toISOString().replace(".000Z", "Z");
}
