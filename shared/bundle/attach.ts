import type { AuditSink } from "../audit/sink.ts";
import type { Clock } from "../clock/index.ts";
import { ConfigError } from "../errors.ts";
import type { CompiledPolicySet, OnForbidError } from "../policy/types.ts";
import type { RevocationStore } from "../revocation/store.ts";
import type { ResolvedPolicyBundleConfig } from "./config.ts";
import { createLivePolicySet, type LivePolicySet } from "./live-set.ts";
import { createBundleRefresher, type BundleRefresher } from "./refresh.ts";
import { createBundleReader } from "./store.ts";

/** What `createAuthorizer` wires in with a `policyBundle` section. */
export interface AttachedPolicyBundle {
  readonly live: LivePolicySet;
  readonly refresher: BundleRefresher;
  /** The forbid ids of `onForbidError: "deny"`, kept in step with the live set. */
  forbidIds(onForbidError: OnForbidError): ReadonlySet<string> | null;
}

function forbidsOf(set: CompiledPolicySet, into: Set<string>): void {
  into.clear();
  for (const p of set.policies ?? []) if (p.effect === "forbid") into.add(p.id);
}

/**
 * Wraps the build-time set in a live set and starts polling (issue #18); `null` without a
 * `policyBundle` section. @throws ConfigError when the adapter opened no store for it.
 */
export function attachPolicyBundle(
  config: ResolvedPolicyBundleConfig | null,
  bundled: CompiledPolicySet,
  deps: { readonly store: RevocationStore | Promise<RevocationStore> | undefined; readonly clock: Clock; readonly sink: AuditSink },
): AttachedPolicyBundle | null {
  if (config === null) return null;
  if (deps.store === undefined) throw new ConfigError("policyBundle.store", "expected the adapter to open the bundle store (`policyBundleStore`)");
  const live = createLivePolicySet(bundled);
  const opened = Promise.resolve(deps.store).then((s) => createBundleReader(s, config.prefix));
  opened.catch(() => {}); // a store that fails to open is a `store_error` at each poll, never an unhandled rejection
  const refresher = createBundleRefresher({ store: opened, publicKey: config.publicKey, live, clock: deps.clock, pollMs: config.pollMs, maxBytes: config.maxBytes, sink: deps.sink });
  // the first poll at start: a fresh isolate picks up the published set as early as it can
  refresher.tick();
  return {
    live,
    refresher,
    forbidIds(onForbidError) {
      if (onForbidError !== "deny") return null;
      const ids = new Set<string>();
      forbidsOf(live, ids);
      // refilled in place: the decision stage holds this set; a swap runs between two decisions
      live.onSwap((next) => forbidsOf(next, ids));
      return ids;
    },
  };
}
