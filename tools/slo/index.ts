export { prometheusRules } from "./prometheus-rules.ts";
export { cloudWatchResources, cloudWatchDashboard } from "./cloudwatch.ts";
export { grafanaDashboard } from "./grafana.ts";
export { BURN_RATE_WINDOWS, burnFactor, threshold } from "./burn-rates.ts";
