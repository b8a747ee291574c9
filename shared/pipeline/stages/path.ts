import { normalizePath, type PathLimits } from "../../routes/normalize.ts";
import { verdict, type Stage, type Verdict } from "../state.ts";

/**
 * Normalises the raw path before any route is matched; a path that cannot be matched safely
 * (traversal, encoded separators, …) ends the request with 403 and its refusal reason, naming the segment.
 */
export function pathStage(limits: PathLimits): Stage {
  // The last accepted path and its segments (frozen, so requests may share them): a client often
  // asks for the same path again, and its segments then come without a scan or an allocation
  let lastPath: string | undefined;
  let lastSegments: readonly string[] = [];
  return function path(state): Verdict | undefined {
    const raw = state.input.path;
    if (lastPath !== undefined && raw === lastPath) {
      state.segments = lastSegments;
      return undefined;
    }
    const result = normalizePath(raw, limits);
    if (!result.ok) return verdict(403, result.reason, result.segment === undefined ? { stage: "path" } : { stage: "path", segment: result.segment });
    state.segments = lastSegments = Object.freeze(result.segments);
    lastPath = raw;
    return undefined;
  };
}
