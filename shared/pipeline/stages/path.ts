import { normalizePath, type PathLimits } from "../../routes/normalize.ts";
import { verdict, type Stage, type Verdict } from "../state.ts";

/**
 * Normalises the raw path before any route is matched; a path that cannot be matched safely
 * (traversal, encoded separators, …) ends the request with 403 and its refusal reason, naming the segment.
 */
export function pathStage(limits: PathLimits): Stage {
  return function path(state): Verdict | undefined {
    const result = normalizePath(state.input.path, limits);
    if (!result.ok) return verdict(403, result.reason, result.segment === undefined ? { stage: "path" } : { stage: "path", segment: result.segment });
    state.segments = result.segments;
    return undefined;
  };
}
