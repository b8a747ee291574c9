export {
  createSummarizer,
  summarizeAuditLines,
  percentiles,
  type AuditSummary,
  type AuditSummarizer,
  type RouteFigures,
  type ShadowFigures,
  type Percentiles,
  type Count,
} from "./summarize.ts";
export { renderTextReport, type ReportOptions } from "./render-text.ts";
export { renderHtmlReport } from "./render-html.ts";
