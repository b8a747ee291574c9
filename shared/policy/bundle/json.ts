import type { JsonIr, JsonTree } from "./ir.ts";
import { PolicyIrError } from "./errors.ts";

const isEntry = (e: unknown): e is [string, JsonTree] => Array.isArray(e) && e.length === 2 && typeof e[0] === "string";

function fromTree(t: JsonTree, path: string): unknown {
  const [tag, v] = Array.isArray(t) && t.length === 2 ? t : [];
  if (tag === "n" && typeof v === "string" && /^-?[0-9]{1,20}$/.test(v)) return BigInt(v);
  if (tag === "a" && Array.isArray(v)) return v.map((x, i) => fromTree(x as JsonTree, `${path}[${i}]`));
  // fromEntries defines own properties: a `__proto__` key stays data, as JSON.parse keeps it
  if (tag === "o" && Array.isArray(v) && v.every(isEntry)) return Object.fromEntries(v.map(([k, x]) => [k, fromTree(x, `${path}.${k}`)]));
  if (tag === "s" && (v === null || typeof v !== "object")) return v;
  throw new PolicyIrError(path, "expected a tagged JSON value (`n` an integer, `a`, `o` or `s`)");
}

/** The JSON value a `JsonIr` holds, 64-bit integers as bigint. */
export function readJsonIr(v: JsonIr, path: string): unknown {
  if (v !== null && typeof v === "object" && Object.hasOwn(v, "j")) return (v as { j: unknown }).j;
  if (v !== null && typeof v === "object" && Object.hasOwn(v, "t")) return fromTree((v as { t: JsonTree }).t, path);
  throw new PolicyIrError(path, "expected `{ j }` or `{ t }`");
}
