import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import type { DetailedError } from "@cedar-policy/cedar-wasm/nodejs";
import type { Diagnostic } from "./errors.ts";

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

// Integer literals in policy text, in source order, with a leading minus when one applies.
function integerTokens(text: string): { abs: bigint; minus: boolean }[] {
  const out: { abs: bigint; minus: boolean }[] = [];
  const re = /"(?:[^"\\]|\\.)*"|\/\/[^\n]*|[A-Za-z_][A-Za-z0-9_]*|(-\s*)?([0-9]+)/gs;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[2] === undefined) continue;
    out.push({ abs: BigInt(m[2]), minus: m[1] !== undefined });
  }
  return out;
}

// cedar-wasm returns Longs as JS numbers, which round beyond 2^53. Each such literal is put
// back from the policy text: the first unused integer token with the same rounded value.
function restoreLargeIntegers(est: unknown, text: string): void {
  let tokens: { abs: bigint; minus: boolean }[] | undefined;
  const used = new Set<number>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (node === null || typeof node !== "object") return;
    const o = node as Record<string, unknown>;
    for (const [k, v] of Object.entries(o)) {
      if (k === "Value" && typeof v === "number" && !Number.isSafeInteger(v)) {
        tokens ??= integerTokens(text);
        // the minus before a literal may be Cedar's folded negation or a binary `-`
        const exact = (t: { abs: bigint; minus: boolean }): bigint | undefined =>
          Number(t.abs) === v ? t.abs : t.minus && Number(-t.abs) === v ? -t.abs : undefined;
        const i = tokens.findIndex((t, j) => !used.has(j) && exact(t) !== undefined);
        if (i < 0) throw new Error(`cannot recover the exact value of integer literal ${v}`);
        used.add(i);
        o[k] = exact(tokens[i]);
      } else {
        visit(v);
      }
    }
  };
  visit(est);
}

// Offsets in `source` that lie inside a `//` comment (outside string literals).
function commentOffsets(source: string): (i: number) => boolean {
  const ranges: [number, number][] = [];
  let inString = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === "/" && source[i + 1] === "/") {
      const end = source.indexOf("\n", i);
      ranges.push([i, end < 0 ? source.length : end]);
      i = end < 0 ? source.length : end;
    }
  }
  return (i) => ranges.some(([a, b]) => i >= a && i < b);
}

// Each part with its offset in the source, sorted by offset. Parts are placed longest first at
// their first occurrence outside comments and outside parts already placed (a bare policy can
// also appear inside an annotated one); -1 (sorted last) when a part is not found verbatim.
function placeParts(source: string, parts: string[]): { text: string; at: number }[] {
  const inComment = commentOffsets(source);
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
    if (parts.policy_templates.length > 0) {
      diagnostics.push({ severity: "error", file: src.file, message: "policy templates are not supported" });
    }
    // cedar-wasm returns the parts ordered by their ids as strings (policy0, policy1, policy10,
    // policy2, ...), so they are put back in source order, where Cedar's ids come from
    const placed = placeParts(src.text, parts.policies);
    if (placed.some((p) => p.at < 0)) {
      diagnostics.push({ severity: "warning", file: src.file, message: "cannot locate every policy in the source: generated ids and lines may be off" });
    }
    for (const { text, at } of placed) {
      const line = at >= 0 ? src.text.slice(0, at).split("\n").length : undefined;
      const cedarId = `policy${policies.length}`;
      const json = cedar.policyToJson(text);
      if (json.type === "failure") {
        diagnostics.push(...cedarDiagnostics(json.errors, text, src.file, line ?? 1, cedarId));
        continue;
      }
      restoreLargeIntegers(json.json, text);
      const p: ParsedPolicy = { cedarId, est: json.json, text };
      if (src.file !== undefined) p.file = src.file;
      if (line !== undefined) p.line = line;
      policies.push(p);
    }
  }
  return { policies, diagnostics };
}
