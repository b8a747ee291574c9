// Multi-window, multi-burn-rate alerts (Google SRE workbook, "Alerting on SLOs", table 5-8): each
// alert fires when the error budget burns at `factor` times the sustainable rate over both a long
// window (it matters) and a short one (it is still happening), so it fires fast and resets fast.
import type { ResolvedSloConfig } from "../../shared/metrics/slo-config.ts";

/** One alert of the set: windows in minutes, and the burn-rate factor for a 30-day window. */
export interface BurnRateWindow {
  readonly severity: "page" | "ticket";
  readonly longMinutes: number;
  readonly shortMinutes: number;
  /** Budget spent at this rate over the long window: 2 % in 1 h, 5 % in 6 h, 10 % in 3 d. */
  readonly budgetSpent: number;
}

export const BURN_RATE_WINDOWS: readonly BurnRateWindow[] = [
  { severity: "page", longMinutes: 60, shortMinutes: 5, budgetSpent: 0.02 },
  { severity: "page", longMinutes: 360, shortMinutes: 30, budgetSpent: 0.05 },
  { severity: "ticket", longMinutes: 4320, shortMinutes: 360, budgetSpent: 0.1 },
];

/** The burn-rate factor of a window for the SLO's period: budget spent × period / long window (14.4 for 2 % in 1 h of 30 d). */
export function burnFactor(window: BurnRateWindow, slo: ResolvedSloConfig): number {
  return Math.round(((window.budgetSpent * slo.windowDays * 24 * 60) / window.longMinutes) * 100) / 100;
}

/** The error-ratio threshold of a window: factor × the allowed error ratio (1 − objective). */
export function threshold(window: BurnRateWindow, slo: ResolvedSloConfig, objective: number): number {
  return Number((burnFactor(window, slo) * (1 - objective)).toPrecision(6));
}

/** `5m`, `1h`, `3d`: a window as Prometheus writes durations. */
export function promDuration(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440}d`;
  if (minutes % 60 === 0) return `${minutes / 60}h`;
  return `${minutes}m`;
}
