// How API Gateway applies a (possibly cached) IAM policy to a request's methodArn.

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  Resource?: unknown;
}

// IAM resource patterns: `*` any run of characters, `?` one character
function globMatches(pattern: string, value: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`, "s").test(value);
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : typeof v === "string" ? [v] : []);

/**
 * The effect of `policy` on `methodArn`: an explicit Deny wins, then an Allow, else an implicit deny
 * (API Gateway answers 403 for both denies).
 */
export function evaluateIamPolicy(policy: unknown, methodArn: string): "allow" | "deny" {
  const document = (policy as { policyDocument?: { Statement?: unknown } } | undefined)?.policyDocument;
  const statements = Array.isArray(document?.Statement) ? (document.Statement as Statement[]) : [];
  let allowed = false;
  for (const statement of statements) {
    const actions = list(statement.Action);
    if (!actions.some((a) => globMatches(a, "execute-api:Invoke"))) continue;
    if (!list(statement.Resource).some((r) => globMatches(r, methodArn))) continue;
    if (statement.Effect === "Deny") return "deny";
    if (statement.Effect === "Allow") allowed = true;
  }
  return allowed ? "allow" : "deny";
}
