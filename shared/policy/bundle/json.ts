import type { JsonIr, JsonTree } from "./ir.ts";
import { PolicyIrError } from "./errors.ts";

function fromTree(t: JsonTree, path: string): unknown {
  if (!Array.isArray(t) || t.length !== 2) throw new PolicyIrError(path, "expected a tagged JSON value");
  const [tag, v] = t;
  switch (tag) {
    case "n":
      if (typeof v !== "string" || !/^-?[0-9]{1,20}$/.test(v)) throw new PolicyIrError(path, "expected an integer in decimal digits");
      return BigInt(v);
    case "a":
      if (!Array.isArray(v)) throw new PolicyIrError(path, "expected an array");
      return v.map((x, i) => fromTree(x as JsonTree, `${path}[${i}]`));
    case "o": {
      if (!Array.isArray(v)) throw new PolicyIrError(path, "expected a list of entries");
      // fromEntries defines own properties: a `__proto__` key stays data, as JSON.parse keeps it
      return Object.fromEntries(
        v.map((e, i) => {
          if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== "string") throw new PolicyIrError(`${path}[${i}]`, "expected a [key, value] entry");
          return [e[0], fromTree(e[1] as JsonTree, `${path}.${e[0]}`)];
        }),
      );
    }
    case "s":
      if (v === null || typeof v === "object") throw new PolicyIrError(path, "expected a scalar");
      return v;
  }
  throw new PolicyIrError(path, `unknown JSON tag \`${String(tag)}\``);
}

/** The JSON value a `JsonIr` holds, 64-bit integers as bigint. */
export function readJsonIr(v: JsonIr, path: string): unknown {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new PolicyIrError(path, "expected `{ j }` or `{ t }`");
  if (Object.hasOwn(v, "j")) return (v as { j: unknown }).j;
  if (Object.hasOwn(v, "t")) return fromTree((v as { t: JsonTree }).t, path);
  throw new PolicyIrError(path, "expected `{ j }` or `{ t }`");
}
