export { replayAuditLines, type ChangedDecision, type ChangeGroup, type ReplayOptions, type ReplayReport, type Change } from "./replay.ts";
export { readAuditLine, type ReadLine, type ReplayCase, type UnreplayableReason } from "./read-line.ts";
export { createRedecide, type Redecide, type Redecision } from "./decide.ts";
export { renderReplayText, notReplayedText } from "./render-text.ts";
export { renderReplayHtml } from "./render-html.ts";
