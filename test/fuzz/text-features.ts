// Feature groups of a text case, counted by `npm run fuzz` to show what a run covered. Read off
// the text (strings and comments blanked first) and the JSON, so some groups are approximate.
import { scanCedar } from "../../tools/compiler/scan.ts";
import type { TextCase } from "./text-arbitraries.ts";

const SAFE = 2n ** 53n;
const I64_MIN_ABS = 2n ** 63n;

// Policy text with string literals reduced to `""` and comments to a space.
function codeOnly(text: string): string {
  return text.replace(/"(?:\\[\s\S]|[^"\\])*"|\/\/[^\n\r]*/g, (m) => (m.startsWith('"') ? '""' : " "));
}

const CODE_FEATURES: [string, RegExp][] = [
  ["record literal", /\{\s*(""|[A-Za-z_]\w*)\s*:(?!:)/],
  ["large literal as a record value", /(?<!:):(?!:)\s*(-\s*)*\d{16,}/],
  ["has", /\bhas\b/],
  ["has with a dotted path", /\bhas\s+[A-Za-z_]\w*\s*\./],
  ["has with a string attribute", /\bhas\s+""/],
  ["like", /\blike\b/],
  ["is", /\bis\b/],
  ["if-then-else", /\bif\b/],
  ["set literal", /[({,:\s]\[/],
  ["index access [\"…\"]", /[\w)\]}]\s*\[\s*""/],
  ["extension constructor", /\b(ip|decimal|datetime|duration)\s*\(/],
  ["method call", /\.\s*[a-zA-Z]+\s*\(/],
  ["tags (getTag/hasTag)", /\.\s*(getTag|hasTag)\s*\(/],
  ["unicode white space", /[\u00a0\u2028\u2029\u3000\u000b]/],
  ["unless", /\bunless\b/],
  ["forbid", /\bforbid\b/],
  ["annotation", /@\w/],
];

const TEXT_FEATURES: [string, RegExp][] = [
  ["@id with non-ASCII or escapes", /@id\s*\(\s*"[^"]*?(\\|[^\x20-\x7e])/],
  ["U+2028/U+2029 in an annotation", /@\w+\s*\(\s*"(?:\\.|[^"\\])*[\u2028\u2029]/],
  ["escapes in strings", /"(?:[^"\\]|\\.)*\\(u\{|0|n|")/],
];

/** The feature groups present in one case. */
export function textFeatures(c: TextCase): string[] {
  const out = new Set<string>();
  const { integers, comments } = scanCedar(c.policies);
  if (comments.length > 0) out.add("comment");
  if ((c.policies.match(/;/g) ?? []).length > 1) out.add("several policies");
  for (const t of integers) {
    // what precedes the literal, skipping white space and comments: a minus Cedar may fold in
    let i = t.start - 1;
    let overComment = false;
    for (;;) {
      while (i >= 0 && /\s/u.test(c.policies[i])) i--;
      const inside = comments.find(([a, b]) => i >= a && i < b);
      if (inside === undefined) break;
      overComment = true;
      i = inside[0] - 1;
    }
    const minus = c.policies[i] === "-";
    if (t.value > SAFE) out.add(minus ? "negative literal beyond 2^53" : "literal beyond 2^53");
    if (minus && overComment) out.add("comment between minus and literal");
    if (minus && t.value === I64_MIN_ABS) out.add("-9223372036854775808");
    if (t.value >= I64_MIN_ABS && !(minus && t.value === I64_MIN_ABS)) out.add("literal out of 64-bit range");
  }
  const code = codeOnly(c.policies);
  for (const [name, re] of CODE_FEATURES) if (re.test(code)) out.add(name);
  for (const [name, re] of TEXT_FEATURES) if (re.test(c.policies)) out.add(name);
  if (/\d{16,}/.test(code) && /\bhas\s+[A-Za-z_]\w*\s*\./.test(code)) out.add("large literal and dotted has together");
  for (const f of jsonFeatures([JSON.parse(c.entities), ...c.requests.map((r) => JSON.parse(r.context))])) out.add(f);
  return [...out];
}

function jsonFeatures(values: unknown[]): Set<string> {
  const out = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (v === null || typeof v !== "object") return;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    const escapes = keys.filter((k) => k === "__entity" || k === "__extn" || k === "__expr");
    if (escapes.length > 0) {
      if (keys.length > 1) out.add("JSON escape mixed with other keys");
      else if (wellFormed(escapes[0], o[escapes[0]])) out.add(`JSON ${escapes[0]} escape`);
      else out.add("JSON near-miss escape");
    }
    if (keys.includes("uid") && keys.includes("attrs") && keys.includes("tags")) out.add("entity tags");
    keys.forEach((k) => visit(o[k]));
  };
  values.forEach(visit);
  return out;
}

function wellFormed(key: string, v: unknown): boolean {
  const o = v as Record<string, unknown> | null;
  if (o === null || typeof o !== "object" || Array.isArray(o)) return key === "__expr" && typeof v === "string";
  if (key === "__entity") return typeof o.type === "string" && typeof o.id === "string";
  return typeof o.fn === "string" && (o.arg !== undefined || Array.isArray(o.args));
}
