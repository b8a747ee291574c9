import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import type { DetailedError } from "@cedar-policy/cedar-wasm/nodejs";
import type { Diagnostic } from "./errors.ts";
import { scanCedar, type IntegerToken } from "./scan.ts";

/** Cedar policy text, from a file or in memory. */
export interface PolicySource {
  /** File name shown in diagnostics and in the generated module, e.g. `orders.cedar`. */
  file?: string;
  text: string;
}

/** One policy after parsing: its EST (Cedar's JSON form) and where it came from. */
export interface ParsedPolicy {
  /** Cedar's generated id: `policy0`, `policy1`, ... in source order across all sources. */
  cedarId: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the EST as cedar-wasm returns it, bigints restored
  est: any;
  /** The policy's text as Cedar split it out of its source. */
  text: string;
  file?: string;
  /** 1-based line where the policy (including its annotations) starts. */
  line?: number;
}

/** Converts a UTF-8 byte offset (Cedar's source locations) into a 1-based line and column. */
export function lineColumnAt(text: string, byteOffset: number): { line: number; column: number } {
  const bytes = new TextEncoder().encode(text);
  const before = new TextDecoder().decode(bytes.subarray(0, Math.max(0, Math.min(byteOffset, bytes.length))));
  const lines = before.split("\n");
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

/** Turns Cedar's errors into diagnostics located in `text`, which starts at `firstLine` of `file`. */
export function cedarDiagnostics(errors: DetailedError[], text: string, file: string | undefined, firstLine = 1, policy?: string): Diagnostic[] {
  return errors.map((e) => {
    const d: Diagnostic = { severity: "error", message: e.help ? `${e.message}: help: ${e.help}` : e.message };
    if (file !== undefined) d.file = file;
    if (policy !== undefined) d.policy = policy;
    const loc = e.sourceLocations?.[0];
    if (loc !== undefined) {
      const lc = lineColumnAt(text, loc.start);
      d.line = firstLine + lc.line - 1;
      d.column = lc.column;
    }
    return d;
  });
}

// cedar-wasm hands integer literals back as JS numbers, which round beyond 2^53, and its EST
// cannot be matched to the text by order or count: record keys come back sorted, `e has a.b`
// repeats `e`, and a minus may be folded into the literal across spaces and comments. So the
// policy is parsed a second time with the number k written in place of the k-th integer token;
// each number of that EST names its token, and its sign says whether Cedar folded a minus in.
function markIntegers(text: string, integers: IntegerToken[]): string {
  let out = "";
  let at = 0;
  integers.forEach((t, k) => {
    out += text.slice(at, t.start) + String(k + 1);
    at = t.end;
  });
  return out + text.slice(at);
}

class IntegerMapError extends Error {}

// Walks the EST of the text (`lossy`) and of the marked text together; returns the marked EST
// with every number replaced by its literal's exact value (bigint beyond the safe range).
function exactIntegers(lossy: unknown, marked: unknown, integers: IntegerToken[]): unknown {
  if (typeof marked === "number") {
    const token = Number.isInteger(marked) ? integers[Math.abs(marked) - 1] : undefined;
    if (token === undefined || typeof lossy !== "number") throw new IntegerMapError(`unexpected number ${marked}`);
    const exact = marked < 0 ? -token.value : token.value;
    // the invariant that makes the mapping trustworthy: both parses agree up to rounding
    if (Number(exact) !== lossy) throw new IntegerMapError(`literal ${exact} parsed as ${lossy}`);
    const n = Number(exact);
    return Number.isSafeInteger(n) ? n : exact;
  }
  if (marked === null || typeof marked !== "object") {
    if (marked !== lossy) throw new IntegerMapError("the two parses differ");
    return marked;
  }
  const keys = Object.keys(marked);
  const same = lossy !== null && typeof lossy === "object" && Array.isArray(lossy) === Array.isArray(marked) && sameKeys(Object.keys(lossy), keys);
  if (!same) throw new IntegerMapError("the two parses differ");
  const m = marked as Record<string, unknown>;
  const l = lossy as Record<string, unknown>;
  for (const k of keys) {
    const v = exactIntegers(l[k], m[k], integers);
    // defineProperty: a record attribute may be called `__proto__`
    if (v !== m[k]) Object.defineProperty(m, k, { value: v, writable: true, enumerable: true, configurable: true });
  }
  return marked;
}

const sameKeys = (a: string[], b: string[]): boolean => a.length === b.length && a.every((k, i) => k === b[i]);

// The EST of one policy with exact integers. `est` is what `text` parsed into.
function withExactIntegers(est: unknown, text: string): { est: unknown } | { error: string } {
  const { integers } = scanCedar(text);
  if (integers.length === 0) return { est };
  const marked = cedar.policyToJson(markIntegers(text, integers));
  try {
    if (marked.type === "failure") throw new IntegerMapError("the policy does not parse with them marked");
    return { est: exactIntegers(est, marked.json, integers) };
  } catch (e) {
    if (e instanceof IntegerMapError) return { error: `cannot recover the exact integer literals: ${e.message}` };
    throw e;
  }
}

// Each part with its offset in the source, sorted by offset. Parts are placed longest first at
// their first occurrence outside comments and outside parts already placed (a bare policy can
// also appear inside an annotated one); -1 (sorted last) when a part is not found verbatim.
function placeParts(source: string, parts: string[]): { text: string; at: number }[] {
  const { comments } = scanCedar(source);
  const inComment = (i: number): boolean => comments.some(([a, b]) => i >= a && i < b);
  const spans: [number, number][] = [];
  const free = (at: number, len: number): boolean => !inComment(at) && spans.every(([a, b]) => at + len <= a || at >= b);
  const order = parts.map((text, i) => ({ text, i })).sort((a, b) => b.text.length - a.text.length);
  const placed = parts.map((text) => ({ text, at: -1 }));
  for (const { text, i } of order) {
    let at = source.indexOf(text);
    while (at >= 0 && !free(at, text.length)) at = source.indexOf(text, at + 1);
    if (at >= 0) spans.push([at, at + text.length]);
    placed[i].at = at;
  }
  return placed.sort((a, b) => (a.at < 0 ? 1 : b.at < 0 ? -1 : a.at - b.at));
}

// 1-based line of offset `at` (undefined for -1, a part not found in the source).
const lineAt = (text: string, at: number): number | undefined => (at >= 0 ? text.slice(0, at).split("\n").length : undefined);

/**
 * Parses policy sources with cedar-wasm into ESTs, numbering them `policy0`, `policy1`, ... in
 * order. Parse errors come back as diagnostics with file, line and Cedar's message.
 */
export function parsePolicySources(sources: PolicySource[]): { policies: ParsedPolicy[]; diagnostics: Diagnostic[] } {
  const policies: ParsedPolicy[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const src of sources) {
    const parts = cedar.policySetTextToParts(src.text);
    if (parts.type === "failure") {
      diagnostics.push(...cedarDiagnostics(parts.errors, src.text, src.file));
      continue;
    }
    for (const { at } of placeParts(src.text, parts.policy_templates).slice(0, 1)) {
      diagnostics.push({ severity: "error", file: src.file, line: lineAt(src.text, at), message: "policy templates are not supported" });
    }
    // cedar-wasm returns the parts ordered by their ids as strings (policy0, policy1, policy10,
    // policy2, ...), so they are put back in source order, where Cedar's ids come from
    const placed = placeParts(src.text, parts.policies);
    if (placed.some((p) => p.at < 0)) {
      diagnostics.push({ severity: "warning", file: src.file, message: "cannot locate every policy in the source: generated ids and lines may be off" });
    }
    for (const { text, at } of placed) {
      const line = lineAt(src.text, at);
      const cedarId = `policy${policies.length}`;
      const json = cedar.policyToJson(text);
      if (json.type === "failure") {
        diagnostics.push(...cedarDiagnostics(json.errors, text, src.file, line ?? 1, cedarId));
        continue;
      }
      const exact = withExactIntegers(json.json, text);
      if ("error" in exact) {
        diagnostics.push({ severity: "error", file: src.file, line: line ?? 1, policy: cedarId, message: exact.error });
        continue;
      }
      const p: ParsedPolicy = { cedarId, est: exact.est, text };
      if (src.file !== undefined) p.file = src.file;
      if (line !== undefined) p.line = line;
      policies.push(p);
    }
  }
  return { policies, diagnostics };
}
