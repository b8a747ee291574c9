import type { Clock } from "../clock/index.ts";
import type { ResolvedEntitiesConfig } from "../entities/config.ts";
import { createEntityLoader } from "../entities/load.ts";
import { storeEntitySource, type EntitySource } from "../entities/source.ts";
import { ConfigError } from "../errors.ts";
import type { CompiledPolicySet } from "../policy/types.ts";
import { memoryStore } from "../revocation/stores/memory.ts";
import type { FailMode } from "../config/types.ts";
import type { EntityLoader } from "../entities/load.ts";

/** What the entity stage needs (issue #17); built by `createAuthorizer` from `config.entities`. */
export interface EntityStageParts {
  readonly loader: EntityLoader;
  /** `config.entities.failMode`; `null`: the route's fail mode. */
  readonly failMode: FailMode | null;
  readonly claimsAuthoritative: ReadonlySet<string>;
  /** Whether the revocation stage starts the entity read, to share its round trip (same store). */
  readonly prefetch: boolean;
  /** Whether the policy set takes this runtime's decoded entities (`ownsPolicySet`); default `false`. */
  readonly ownEntities?: boolean;
}

const NOT_STATIC = () => false;

/**
 * The entity stage's parts from `config.entities` (#17): the loader over the adapter's source (a
 * memory store of its own for `kind: "memory"`), checking records against the policy module's
 * schema shapes. `null` without the section.
 */
export function buildEntityStage(config: ResolvedEntitiesConfig | null, policies: CompiledPolicySet, clock: Clock, source: EntitySource | undefined, shareStore: boolean, ownEntities = false): EntityStageParts | null {
  if (config === null) return null;
  let theSource = source;
  if (theSource === undefined) {
    if (config.source.kind !== "memory") throw new ConfigError("entities.source", `a \`${config.source.kind}\` source must be built by the adapter and passed in (\`openEntityDeps\`)`);
    theSource = storeEntitySource(memoryStore.create({}, { env: {} }));
  }
  const isStatic = typeof policies.hasStaticEntity === "function" ? policies.hasStaticEntity.bind(policies) : NOT_STATIC;
  const loader = createEntityLoader(config, { source: theSource, clock, shapes: policies.entityShapes ?? null, isStatic });
  return { loader, failMode: config.failMode, claimsAuthoritative: config.claimsAuthoritative, prefetch: shareStore, ownEntities };
}
