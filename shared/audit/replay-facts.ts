// The audit line's `replay` field (issue #18): what a re-decision needs without the token, namely the
// principal entity and the policy context as the pipeline built them, in plain Cedar JSON.
import type { ResolvedAuditConfig } from "./configure.ts";
import type { AuditReplay } from "./record.ts";

/** The principal entity as the pipeline built it (uid, attributes, parents); structural, like `PolicyOutcome`. */
export interface ReplayPrincipal {
  readonly uid: { readonly type: string; readonly id: string };
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly parents: readonly { readonly type: string; readonly id: string }[];
}

// A line is one log record: a principal or context larger than this is not written, and the line says so
const MAX_REPLAY_CHARS = 16_384;

/**
 * The `replay` field for a decision that reached the policies, or `undefined` when replay facts are
 * off or the request never built a context. Fields the audit config withholds elsewhere are withheld
 * here too and named in `omitted`: `ip` unless `clientIp` is `keep`. Runtime values (`datetime`,
 * `ipaddr`) are written as Cedar JSON extension calls, so any reader can decode them.
 */
export function replayFacts(principal: ReplayPrincipal | null | undefined, context: Readonly<Record<string, unknown>> | null | undefined, config: ResolvedAuditConfig): AuditReplay | undefined {
  if (!config.replay || principal == null || context == null) return undefined;
  const omitted: string[] = [];
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(context)) {
    const value = context[key];
    if (key === "ip" && config.clientIp !== "keep") {
      omitted.push("ip");
      continue;
    }
    out[key] = cedarJson(value);
  }
  const replay: AuditReplay = {
    principal: { uid: { type: principal.uid.type, id: principal.uid.id }, attrs: principal.attrs, parents: principal.parents.map((p) => ({ type: p.type, id: p.id })) },
    context: out,
    omitted,
  };
  if (JSON.stringify(replay).length > MAX_REPLAY_CHARS) return { principal: null, context: null, omitted: ["too_large"] };
  return replay;
}

// The policy runtime's own values (issue #22's parsed context) back to Cedar JSON
function cedarJson(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const typed = value as { typeName?: unknown; ms?: unknown; text?: unknown };
  if (typed.typeName === "datetime" && (typeof typed.ms === "number" || typeof typed.ms === "bigint")) {
    return { __extn: { fn: "datetime", arg: new Date(Number(typed.ms)).toISOString() } };
  }
  if (typed.typeName === "ipaddr") return { __extn: { fn: "ip", arg: ipText(value) } };
  if ("__extn" in value) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = cedarJson(inner);
  return out;
}

// An `IpAddr` written back as text (address/prefix), for the rare parsed address in a context
function ipText(value: object): string {
  const ip = value as { v4: boolean; addr: bigint; prefix: number };
  if (ip.v4) {
    const n = Number(ip.addr);
    const text = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    return ip.prefix === 32 ? text : `${text}/${ip.prefix}`;
  }
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((ip.addr >> BigInt(i * 16)) & 0xffffn).toString(16));
  const text = groups.join(":");
  return ip.prefix === 128 ? text : `${text}/${ip.prefix}`;
}
