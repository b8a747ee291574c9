import type { LivePolicySet } from "../bundle/live-set.ts";
import type { CompiledPolicySet } from "../policy/types.ts";
import type { Canary } from "../rollout/canary.ts";

/**
 * Which costly parts of the policy context the request stage builds. Read once per request (one
 * property); kept up to date in place when a set it was worked out from is replaced.
 */
export interface ContextNeeds {
  /**
   * Whether the context gets `geo`, and so whether the platform's `cf` is read at all (on Workers
   * the first read costs about 45 µs: the runtime builds a JS object from its own copy).
   */
  readonly geo: boolean;
}

/** Every part: for a pipeline whose policy sets are not known to it (tools, hand-built parts). */
export const EVERY_CONTEXT_PART: ContextNeeds = Object.freeze({ geo: true });

/** Whether `set` may read `context[name]`: yes unless its `contextAttributes` says which it reads and `name` is not one. */
export function mayReadContext(set: CompiledPolicySet, name: string): boolean {
  const attributes = set.contextAttributes;
  return attributes === undefined || attributes === null || attributes.has(name);
}

/** The policy sets a pipeline may evaluate for a request, and what else sees the context. */
export interface ContextReaders {
  /** The enforced set. */
  readonly policies: CompiledPolicySet;
  /** `policies` when it is a policy bundle's live set: worked out again at each swap. */
  readonly live?: LivePolicySet | null;
  readonly shadowPolicies: CompiledPolicySet | null;
  /** A canary rollout: its candidate, worked out again when it is replaced. */
  readonly canary?: Canary | null;
  /** The break-glass set, when break-glass tokens are configured. */
  readonly breakGlassPolicies?: CompiledPolicySet | null;
  /** `audit.replay`: the audit line carries the context as built, for a later set to decide again. */
  readonly replay: boolean;
}

/**
 * The context parts some set that may decide (or shadow) a request can read: `geo` when any of
 * them may read it (or does not say), or when replay facts carry the context.
 */
export function trackContextNeeds(readers: ContextReaders): ContextNeeds {
  const needs = { geo: true };
  const refresh = (): void => {
    const sets = [readers.policies, readers.shadowPolicies, readers.canary?.candidate ?? null, readers.breakGlassPolicies ?? null];
    needs.geo = readers.replay || sets.some((set) => set !== null && mayReadContext(set, "geo"));
  };
  refresh();
  // A swap takes effect before the next decision, and so does this
  readers.live?.onSwap(refresh);
  readers.canary?.onCandidate(refresh);
  return needs;
}
