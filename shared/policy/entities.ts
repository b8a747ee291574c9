import { decodeEntityUid, decodeValue } from "./decode.ts";
import type { EntityJson } from "./types.ts";
import { CedarRecord, EntityUid } from "./values.ts";

// Shared by every entity without attributes or tags: it is never written to.
const NO_FIELDS = new CedarRecord(new Map());

/** One entity: its uid, direct parents, attributes and tags (decoded on first read). */
export class Entity {
  readonly uid: EntityUid;
  readonly parents: readonly EntityUid[];
  readonly attrs: CedarRecord;
  readonly tags: CedarRecord;
  /** Keys of all ancestors (transitive), filled in by the store that owns the entity. */
  ancestors: ReadonlySet<string> | undefined;
  constructor(json: EntityJson) {
    this.uid = decodeEntityUid(json.uid);
    const parents: EntityUid[] = [];
    if (json.parents !== undefined) for (const p of json.parents) parents.push(decodeEntityUid(p));
    this.parents = parents;
    this.attrs = json.attrs === undefined ? NO_FIELDS : CedarRecord.fromJson(json.attrs as Record<string, unknown>, decodeValue);
    this.tags = json.tags === undefined ? NO_FIELDS : CedarRecord.fromJson(json.tags as Record<string, unknown>, decodeValue);
  }
}

/** What evaluation needs from an entity store. */
export interface EntityView {
  /** The entity, or undefined when it is not in the store. */
  get(uid: EntityUid): Entity | undefined;
  /** Keys of the ancestors of `uid` (empty when it is not in the store). */
  ancestorsOf(uid: EntityUid): ReadonlySet<string>;
}

const NO_ANCESTORS: ReadonlySet<string> = new Set();

// Where `closure` looks entities up, and which finished closures it may reuse.
interface ClosureSource {
  get(uid: EntityUid): Entity | undefined;
  known(e: Entity): ReadonlySet<string> | undefined;
}

// Ancestors of `start` by search over parents. `known` gives the finished closure of an entity
// when there is one, so the search stops there. Cycles are harmless. A parent found in the store
// is recorded under the stored entity's key, a string already built and hashed.
function closure(start: Entity, src: ClosureSource): ReadonlySet<string> {
  // An entity without parents (a resource, most often) has no ancestors: no set per request (#22)
  if (start.parents.length === 0) return NO_ANCESTORS;
  const out = new Set<string>();
  const queue: EntityUid[] = [];
  for (let i = 0; i < start.parents.length; i++) queue.push(start.parents[i]);
  while (queue.length > 0) {
    const p = queue.pop()!;
    const e = src.get(p);
    const key = e === undefined ? p.key : e.uid.key;
    if (out.has(key)) continue;
    out.add(key);
    if (e === undefined) continue;
    const done = src.known(e);
    if (done !== undefined) {
      for (const k of done) out.add(k);
      continue;
    }
    for (let i = 0; i < e.parents.length; i++) queue.push(e.parents[i]);
  }
  return out;
}

/**
 * The static entities embedded in a compiled policy set (e.g. the role hierarchy). Their
 * ancestor closure is computed once, when the module loads.
 */
export class StaticEntities implements EntityView {
  // type → id → entity: a request's uid is looked up by its own strings, no key to build
  private readonly byType = new Map<string, Map<string, Entity>>();
  private count = 0;
  /** Keys that are an ancestor of some static entity. */
  readonly ancestorKeys = new Set<string>();
  constructor(json: readonly EntityJson[]) {
    const all: Entity[] = [];
    for (const j of json) {
      const e = new Entity(j);
      let ids = this.byType.get(e.uid.type);
      if (ids === undefined) this.byType.set(e.uid.type, (ids = new Map()));
      if (!ids.has(e.uid.id)) this.count++;
      ids.set(e.uid.id, e);
      all.push(e);
    }
    const src: ClosureSource = { get: (u) => this.get(u), known: (x) => x.ancestors };
    for (const e of all) {
      if (this.get(e.uid) !== e) continue; // replaced by a later entry with the same uid
      e.ancestors = closure(e, src);
      for (const k of e.ancestors) this.ancestorKeys.add(k);
    }
  }
  get(uid: EntityUid): Entity | undefined {
    return this.byType.get(uid.type)?.get(uid.id);
  }
  ancestorsOf(uid: EntityUid): ReadonlySet<string> {
    return this.get(uid)?.ancestors ?? NO_ANCESTORS;
  }
  /** Number of entities. */
  get size(): number {
    return this.count;
  }
}

/**
 * Per-request entities over the static ones. A request entity replaces a static entity with the
 * same uid. Ancestors run through both sets: `User::"alice"` with parent `Role::"editor"` is in
 * `Role::"viewer"` when the static hierarchy says editor is in viewer. A static entity keeps its
 * precomputed closure unless that closure meets a request entity, which is searched through.
 */
export class RequestEntities implements EntityView, ClosureSource {
  private readonly base: StaticEntities;
  // Request entities stay JSON until a policy looks one up: most requests read two or three.
  private readonly raw: readonly (EntityJson | Entity)[];
  private readonly conv: (Entity | undefined)[] = [];
  private byKey: Map<string, number> | undefined;
  private memo: (ReadonlySet<string> | undefined)[] | undefined;
  private touches: boolean | undefined;
  private cleanMemo: Map<string, boolean> | undefined;
  constructor(base: StaticEntities, json: readonly (EntityJson | Entity)[]) {
    this.base = base;
    this.raw = json;
  }
  // Index of the request entity `uid`, or -1; the last one wins when a uid repeats.
  private indexOf(uid: EntityUid): number {
    const raw = this.raw;
    if (raw.length > SMALL) {
      if (this.byKey === undefined) {
        this.byKey = new Map();
        for (let i = 0; i < raw.length; i++) this.byKey.set(uidAt(raw[i]).key, i);
      }
      return this.byKey.get(uid.key) ?? -1;
    }
    for (let i = raw.length - 1; i >= 0; i--) {
      const j = raw[i];
      if (j instanceof Entity) {
        if (j.uid.is(uid)) return i;
        continue;
      }
      const u = rawUid(j);
      if (u.id === uid.id && u.type === uid.type) return i;
    }
    return -1;
  }
  private at(i: number): Entity {
    let e = this.conv[i];
    if (e === undefined) {
      const j = this.raw[i];
      e = j instanceof Entity ? j : new Entity(j);
      this.conv[i] = e;
    }
    return e;
  }
  /** Whether the request entities can change the ancestors of `uid` from the static ones. */
  affects(uid: EntityUid): boolean {
    if (this.indexOf(uid) >= 0) return true;
    const e = this.base.get(uid);
    return e !== undefined && !this.clean(e);
  }
  get(uid: EntityUid): Entity | undefined {
    const i = this.indexOf(uid);
    return i >= 0 ? this.at(i) : this.base.get(uid);
  }
  ancestorsOf(uid: EntityUid): ReadonlySet<string> {
    const i = this.indexOf(uid);
    if (i < 0) {
      const e = this.base.get(uid);
      if (e === undefined) return NO_ANCESTORS;
      if (this.clean(e)) return e.ancestors!;
      return closure(e, this);
    }
    const memo = (this.memo ??= []);
    let found = memo[i];
    if (found === undefined) {
      found = closure(this.at(i), this);
      memo[i] = found;
    }
    return found;
  }
  /** The finished closure of a static entity that no request entity changes (for `closure`). */
  known(e: Entity): ReadonlySet<string> | undefined {
    return this.indexOf(e.uid) < 0 && this.clean(e) ? e.ancestors : undefined;
  }
  // A static entity whose closure touches no request entity.
  private clean(e: Entity): boolean {
    const anc = e.ancestors!;
    if (anc.size === 0) return true;
    // usually the request brings leaves (a user, a resource), which no static entity is under
    if (this.touches === undefined) {
      this.touches = false;
      const keys = this.base.ancestorKeys;
      if (keys.size > 0) for (const j of this.raw) if (keys.has(uidAt(j).key)) this.touches = true;
    }
    if (!this.touches) return true;
    let ok = this.cleanMemo?.get(e.uid.key);
    if (ok === undefined) {
      ok = true;
      for (const j of this.raw) if (anc.has(uidAt(j).key)) ok = false;
      (this.cleanMemo ??= new Map()).set(e.uid.key, ok);
    }
    return ok;
  }
}

const SMALL = 8;

// The `{type, id}` of a JSON entity's uid, with or without the `__entity` wrapper.
function rawUid(j: EntityJson): { type: string; id: string } {
  const u = j.uid as { type: string; id: string; __entity?: { type: string; id: string } };
  return u.__entity ?? u;
}

function uidAt(j: EntityJson | Entity): EntityUid {
  if (j instanceof Entity) return j.uid;
  const u = rawUid(j);
  return new EntityUid(u.type, u.id);
}
