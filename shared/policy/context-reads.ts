// Which attributes of `context` a policy set can read, found in its IR. The pipeline leaves out a
// context attribute no policy can read when it costs something to build (`geo` reads Cloudflare's
// `request.cf`, which workerd builds as a JS object on first access).
import { OPERANDS, type ExprIr } from "./bundle/ir.ts";

/**
 * The names of the `context` attributes the policies can read (`context.name`, `context has name`,
 * wherever they occur in the conditions), or `null` when a policy uses `context` in any other way
 * (compares it, passes it to a function, puts it in a set or record), so that every attribute may
 * matter. An operation the IR does not define counts as such a use.
 */
export function contextAttributesOf(policies: readonly { readonly conditions: readonly ExprIr[] }[]): Set<string> | null {
  const names = new Set<string>();
  for (const policy of policies) {
    for (const condition of policy.conditions) if (!collect(condition, names)) return null;
  }
  return names;
}

// Adds the attributes `e` reads of `context` to `names`; false when it uses `context` whole
function collect(e: unknown, names: Set<string>): boolean {
  if (!Array.isArray(e)) return false;
  const op = e[0];
  if ((op === "attr" || op === "has") && isContext(e[1]) && typeof e[2] === "string") {
    names.add(e[2]);
    return true;
  }
  if (op === "var") return e[1] !== "context";
  const operands = OPERANDS.get(op);
  if (operands === undefined) return false;
  for (let i = 0; i < operands.length; i++) {
    const operand: unknown = e[i + 1];
    const kind = operands[i];
    if (kind === "e" || kind === "b") {
      if (!collect(operand, names)) return false;
    } else if (kind === "E") {
      if (!Array.isArray(operand) || !operand.every((x) => collect(x, names))) return false;
    } else if (kind === "R") {
      if (!Array.isArray(operand) || !operand.every((entry) => Array.isArray(entry) && collect(entry[1], names))) return false;
    }
  }
  return true;
}

function isContext(e: unknown): boolean {
  return Array.isArray(e) && e[0] === "var" && e[1] === "context";
}
