import { UsageError } from "../cli/command.ts";
import type { RevocationTarget } from "../../shared/revocation/index.ts";

/** The flags that name what to revoke, shared by `revoke` and `unrevoke`. */
export const targetFlags = {
  jti: { type: "string" },
  sub: { type: "string" },
  sid: { type: "string" },
  client: { type: "string" },
  iss: { type: "string" },
} as const;

/** Builds the library target from the flags, with times added by the caller; `UsageError` when ambiguous. */
export function targetFromFlags(
  values: { jti?: string; sub?: string; sid?: string; client?: string; iss?: string },
  times: { exp?: number; before?: number } = {},
): RevocationTarget {
  const named = (["jti", "sub", "sid", "client"] as const).filter((flag) => values[flag] !== undefined);
  if (named.length !== 1) throw new UsageError("name exactly one of `--jti`, `--sub`, `--sid`, `--client`");
  if (values.iss === undefined) throw new UsageError("`--iss` is required: revocations are kept per issuer, as the token's `iss` claim");
  const iss = values.iss;
  if (values.jti !== undefined) {
    if (times.before !== undefined) throw new UsageError("`--before` applies to `--sub`, `--sid` and `--client`; a token revocation takes `--exp`");
    return { iss, jti: values.jti, exp: times.exp };
  }
  if (times.exp !== undefined) throw new UsageError("`--exp` applies to `--jti`; use `--before`");
  if (values.sub !== undefined) return { iss, sub: values.sub, before: times.before };
  if (values.sid !== undefined) return { iss, sid: values.sid, before: times.before };
  return { iss, clientId: values.client!, before: times.before };
}
