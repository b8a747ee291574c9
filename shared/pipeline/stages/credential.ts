import { extractCredential } from "../../token/extract.ts";
import type { PipelineParts } from "../parts.ts";
import { verdict, type Stage, type Verdict } from "../state.ts";
import { markDpopScheme } from "./binding.ts";

/** Reads the one bearer credential (header, or the configured cookie or query parameter); none, or several, is a 401. */
export function credentialStage(options: PipelineParts["credential"]): Stage {
  return function credential(state): Verdict | undefined {
    const input = state.input;
    const found = extractCredential(input.headers, {
      cookie: options.cookie,
      queryParam: options.queryParam,
      query: input.query,
      maxTokenBytes: options.maxTokenBytes,
      authorizationCount: input.headerCounts?.authorization,
    });
    if (!found.ok) {
      state.authError = found.reason;
      return verdict(401, found.reason, found.field === undefined ? { stage: "credential" } : { stage: "credential", field: found.field });
    }
    state.credential = found.token;
    if (found.scheme === "dpop") markDpopScheme(state);
    return undefined;
  };
}
