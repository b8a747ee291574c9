import { decodeEntityUid, decodeValue, uidParts } from "./decode.ts";
import type { EntityJson } from "./types.ts";
import { CedarRecord, EntityUid, NO_ATTRS, type JsonAttrs } from "./values.ts";

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
  /** `ancestors` as an array, for a static entity (walked on every decision by the policy index). */
  ancestorList: readonly string[] | undefined;
  constructor(json: EntityJson) {
    this.uid = decodeEntityUid(json.uid);
    const parents: EntityUid[] = [];
    if (json.parents !== undefined) for (const p of json.parents) parents.push(decodeEntityUid(p));
    this.parents = parents;
    this.attrs = json.attrs === undefined ? NO_FIELDS : CedarRecord.fromJson(json.attrs as Record<string, unknown>, decodeValue);
    this.tags = json.tags === undefined ? NO_FIELDS : CedarRecord.fromJson(json.tags as Record<string, unknown>, decodeValue);
  }
}

/**
 * The static entities `in` one target: the target itself and every static entity with it among
 * its ancestors. `uid in target` for a static `uid` is `has(uid)`; for a request entity whose
 * ancestors are its parents and their static closures, it is `has` of one of those parents.
 */
export class Members {
  private readonly byType = new Map<string, Set<string>>();
  // when all are of one type (a role hierarchy, say): a string comparison before one lookup
  private readonly onlyType: string | undefined;
  private readonly onlyIds: Set<string> | undefined;
  constructor(statics: StaticEntities, target: EntityUid) {
    const add = (type: string, id: string) => {
      let ids = this.byType.get(type);
      if (ids === undefined) this.byType.set(type, (ids = new Set()));
      ids.add(id);
    };
    add(target.type, target.id);
    statics.forEachIn(target, (e) => add(e.uid.type, e.uid.id));
    if (this.byType.size === 1) {
      this.onlyType = target.type;
      this.onlyIds = this.byType.get(target.type);
    }
  }
  has(type: string, id: string): boolean {
    if (this.onlyIds !== undefined) return type === this.onlyType && this.onlyIds.has(id);
    const ids = this.byType.get(type);
    return ids !== undefined && ids.has(id);
  }
}

/** What evaluation needs from an entity store. */
export interface EntityView {
  /** The entity, or undefined when it is not in the store. */
  get(uid: EntityUid): Entity | undefined;
  /** Keys of the ancestors of `uid` (empty when it is not in the store). */
  ancestorsOf(uid: EntityUid): ReadonlySet<string>;
  /** The attributes of `uid`, or undefined when it is not in the store (`get(uid)?.attrs`, maybe without building the entity). */
  attrsOf(uid: EntityUid): CedarRecord | undefined;
  /** Cedar's `uid in target` on two entities: `uid` is `target` or has it among its ancestors. */
  isIn(uid: EntityUid, target: EntityUid): boolean;
  /** `isIn(uid, target)` given the target's static `members` (built for it over this view's static entities). */
  isInMembers(uid: EntityUid, target: EntityUid, members: Members): boolean;
  /**
   * The parents of `uid` when its ancestors are exactly those parents and their static closures
   * (no request entity lies between), so they can be walked without building a set; else undefined.
   */
  directParents(uid: EntityUid): readonly UidParts[] | undefined;
}

/** An entity's uid as its two strings: an `EntityUid`, or the `{type, id}` of Cedar JSON. */
export interface UidParts {
  readonly type: string;
  readonly id: string;
}

const NO_ANCESTORS: ReadonlySet<string> = new Set();
const NO_PARENTS: readonly UidParts[] = [];

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
  // the same, type → ids, so a request entity's own strings can be checked without building a key
  private readonly ancestorIds = new Map<string, Set<string>>();
  private readonly ancestorTypes: string[];
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
      e.ancestorList = [...e.ancestors];
      for (const k of e.ancestors) this.ancestorKeys.add(k);
    }
    for (const e of all) {
      for (const p of e.parents) {
        // every key in `ancestorKeys` is the key of a parent of some entity (the closure adds parents)
        if (!this.ancestorKeys.has(p.key)) continue;
        let ids = this.ancestorIds.get(p.type);
        if (ids === undefined) this.ancestorIds.set(p.type, (ids = new Set()));
        ids.add(p.id);
      }
    }
    this.ancestorTypes = [...this.ancestorIds.keys()];
  }
  /** Whether `type::id` is an ancestor of some static entity (`ancestorKeys`, without building the key). */
  isAncestor(type: string, id: string): boolean {
    // usually few types hold ancestors (`Role`, say): comparing with each is cheaper than a lookup
    const types = this.ancestorTypes;
    if (types.length > 4) return this.ancestorIds.get(type)?.has(id) === true;
    for (let i = 0; i < types.length; i++) if (types[i] === type) return this.ancestorIds.get(type)!.has(id);
    return false;
  }
  get(uid: EntityUid): Entity | undefined {
    return this.byType.get(uid.type)?.get(uid.id);
  }
  /** `get` by the uid's strings. */
  byIds(type: string, id: string): Entity | undefined {
    return this.byType.get(type)?.get(id);
  }
  ancestorsOf(uid: EntityUid): ReadonlySet<string> {
    return this.get(uid)?.ancestors ?? NO_ANCESTORS;
  }
  attrsOf(uid: EntityUid): CedarRecord | undefined {
    return this.get(uid)?.attrs;
  }
  isIn(uid: EntityUid, target: EntityUid): boolean {
    return uid.is(target) || this.ancestorsOf(uid).has(target.key);
  }
  isInMembers(uid: EntityUid, _target: EntityUid, members: Members): boolean {
    return members.has(uid.type, uid.id);
  }
  /** The `Members` of `target`, shared by every scope that names it (built at load, for the policies' own targets). */
  membersOf(target: EntityUid): Members {
    let m = this.members.get(target.key);
    if (m === undefined) this.members.set(target.key, (m = new Members(this, target)));
    return m;
  }
  private readonly members = new Map<string, Members>();
  // ancestor key → the entities below it, built on the first `forEachIn`
  private below: Map<string, Entity[]> | undefined;
  /** Calls `f` with each entity that has `target` among its ancestors. */
  forEachIn(target: EntityUid, f: (e: Entity) => void): void {
    if (this.below === undefined) {
      this.below = new Map();
      for (const ids of this.byType.values()) {
        for (const e of ids.values()) {
          for (const k of e.ancestors!) {
            const l = this.below.get(k);
            if (l === undefined) this.below.set(k, [e]);
            else l.push(e);
          }
        }
      }
    }
    const l = this.below.get(target.key);
    if (l !== undefined) for (const e of l) f(e);
  }
  directParents(): undefined {
    // a static entity's closure is already a set, built at load
    return undefined;
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
 *
 * The common request brings leaves (a user with roles and a tenant, a resource) that no static
 * entity is under: then a request entity's ancestors are its parents and their static closures,
 * and `in` walks those parents instead of building a set per request (`directParents`).
 */
export class RequestEntities implements EntityView, ClosureSource {
  private readonly base: StaticEntities;
  // Request entities stay JSON until a policy looks one up: most requests read two or three.
  private raw: readonly (EntityJson | Entity)[];
  private conv: (Entity | undefined)[] | undefined;
  private byKey: Map<string, number> | undefined;
  private memo: (ReadonlySet<string> | undefined)[] | undefined;
  private touches: boolean | undefined;
  private cleanMemo: Map<string, boolean> | undefined;
  // bit i of `directKnown`: whether request entity i is direct (see `directParents`) was worked out;
  // bit i of `direct`: the answer (entities past the 30th are always searched)
  private directKnown = 0;
  private direct = 0;
  // JSON entity i (i < 30) read where it lies rather than converted to an `Entity` (see `parentsAt`):
  // bit i of `checked`, its uid and parents were checked as `new Entity` would; of `plain`, its
  // parents are all plain `{type, id}`
  private checked = 0;
  private plain = 0;
  // the parents of request entity i once `checked` (or converted) for it: its JSON's when plain
  private readonly parentLists: (readonly UidParts[] | undefined)[] = [];
  // `records[i]` holds the attributes of request entity i (i < 30) when bit i of `recorded` is set;
  // `own[i]` is the record this object reads JSON attributes through, rebound by each decision
  private recorded = 0;
  private readonly records: CedarRecord[] = [];
  private readonly own: CedarRecord[] = [];
  // the uid of each request entity, read once (up to SMALL of them; `byKey` beyond)
  private readonly uids: UidParts[] = [];
  private uidsRead = false;
  private lastUid: EntityUid | undefined = undefined;
  private lastIndex = -1;
  private otherUid: EntityUid | undefined = undefined;
  private otherIndex = -1;
  constructor(base: StaticEntities, json: readonly (EntityJson | Entity)[]) {
    this.base = base;
    this.raw = json;
  }
  /**
   * Starts over with other request entities: a policy set keeps one of these and resets it for each
   * decision (no decision runs inside another), so a decision allocates no view. Until the next
   * reset it keeps the last decision's JSON reachable.
   */
  reset(json: readonly (EntityJson | Entity)[]): this {
    this.raw = json;
    this.conv = undefined;
    this.byKey = undefined;
    this.memo = undefined;
    this.touches = undefined;
    this.cleanMemo = undefined;
    this.directKnown = 0;
    this.direct = 0;
    this.checked = 0;
    this.plain = 0;
    this.recorded = 0;
    this.uidsRead = false;
    this.lastUid = undefined;
    this.lastIndex = -1;
    this.otherUid = undefined;
    this.otherIndex = -1;
    return this;
  }
  // Index of the request entity `type::id`, or -1; the last one wins when a uid repeats.
  private find(type: string, id: string): number {
    if (this.raw.length > SMALL) return this.keyIndex().get(type + "\u0000" + id) ?? -1;
    const uids = this.uids;
    if (!this.uidsRead) this.readUids();
    for (let i = this.raw.length - 1; i >= 0; i--) {
      const u = uids[i];
      if (u.id === id && u.type === type) return i;
    }
    return -1;
  }
  // `find` for an `EntityUid`. Policies ask about the same two or three uid objects over and over
  // (the request's principal and resource), so the last two answers are kept by object identity.
  private indexOf(uid: EntityUid): number {
    if (uid === this.lastUid) return this.lastIndex;
    if (uid === this.otherUid) return this.otherIndex;
    const i = this.raw.length > SMALL ? (this.keyIndex().get(uid.key) ?? -1) : this.find(uid.type, uid.id);
    this.otherUid = this.lastUid;
    this.otherIndex = this.lastIndex;
    this.lastUid = uid;
    this.lastIndex = i;
    return i;
  }
  private keyIndex(): Map<string, number> {
    if (this.byKey === undefined) {
      const raw = this.raw;
      this.byKey = new Map();
      for (let i = 0; i < raw.length; i++) this.byKey.set(uidAt(raw[i]).key, i);
    }
    return this.byKey;
  }
  private at(i: number): Entity {
    const conv = (this.conv ??= []);
    let e = conv[i];
    if (e === undefined) {
      const j = this.raw[i];
      e = j instanceof Entity ? j : new Entity(j);
      conv[i] = e;
    }
    return e;
  }
  // The parents of request entity i, from its JSON when they are plain `{type, id}`, without
  // building the entity. The first read checks the uid and parents, throwing what `new Entity` would.
  private parentsAt(i: number): readonly UidParts[] {
    if (i < 30 && (this.checked & (1 << i)) !== 0) {
      const known = this.parentLists[i];
      if (known !== undefined) return known;
    }
    const j = this.raw[i];
    if (j instanceof Entity) return j.parents;
    if (i >= 30 || this.conv?.[i] !== undefined) return this.at(i).parents;
    const bit = 1 << i;
    if ((this.checked & bit) === 0) this.check(j, bit, i);
    if ((this.plain & bit) === 0) return (this.parentLists[i] = this.at(i).parents);
    return this.parentLists[i]!;
  }
  private check(j: EntityJson, bit: number, i: number): void {
    uidParts(j.uid);
    const parents = j.parents;
    let plain = true;
    if (parents !== undefined) {
      // anything but an array goes through `new Entity`, whatever it makes of it
      if (!Array.isArray(parents)) plain = false;
      else for (let k = 0; k < parents.length; k++) if (uidParts(parents[k]) !== parents[k]) plain = false;
    }
    this.checked |= bit;
    if (plain) this.plain |= bit;
    this.parentLists[i] = plain ? ((parents as readonly UidParts[] | undefined) ?? NO_PARENTS) : undefined;
  }
  // Reads the uids, and on the way whether any is a static entity's ancestor (`touchesStatics`).
  private readUids(): void {
    const raw = this.raw;
    let touches = false;
    for (let i = 0; i < raw.length; i++) {
      const j = raw[i];
      const u = j instanceof Entity ? j.uid : rawUid(j);
      this.uids[i] = u;
      if (this.base.isAncestor(u.type, u.id)) touches = true;
    }
    this.touches = touches;
    this.uidsRead = true;
  }
  attrsOf(uid: EntityUid): CedarRecord | undefined {
    const i = this.indexOf(uid);
    if (i < 0) return this.base.get(uid)?.attrs;
    if (i >= 30) return this.at(i).attrs;
    const bit = 1 << i;
    if ((this.recorded & bit) !== 0) return this.records[i];
    const record = this.attrsAt(i, bit);
    this.records[i] = record;
    this.recorded |= bit;
    return record;
  }
  private attrsAt(i: number, bit: number): CedarRecord {
    const j = this.raw[i];
    if (j instanceof Entity) return j.attrs;
    if (this.conv?.[i] !== undefined) return this.at(i).attrs;
    if ((this.checked & bit) === 0) this.check(j, bit, i);
    if (j.attrs === undefined) return NO_FIELDS;
    const own = this.own[i];
    if (own === undefined) return (this.own[i] = CedarRecord.fromJson(j.attrs as Record<string, unknown>, decodeValue));
    return own.rebind(j.attrs as Record<string, unknown>);
  }
  /**
   * The JSON attributes of request entity `uid` for direct reads (`RequestView.pa`): its `attrs`
   * when it is JSON whose uid and parents check out and they are a plain object; else `NO_ATTRS`
   * (not a request entity, an `Entity`, anything odd), so its reads take the checked path.
   */
  jsonAttrs(uid: EntityUid): JsonAttrs {
    const i = this.indexOf(uid);
    if (i < 0 || i >= 30) return NO_ATTRS;
    const j = this.raw[i];
    if (j instanceof Entity || this.conv?.[i] !== undefined) return NO_ATTRS;
    const bit = 1 << i;
    if ((this.checked & bit) === 0) {
      try {
        this.check(j, bit, i);
      } catch {
        // the checked path meets the same error, at the policy that reads the entity
        return NO_ATTRS;
      }
    }
    return plainRecord(j.attrs) ? (j.attrs as JsonAttrs) : NO_ATTRS;
  }
  /** Whether the request entities can change the ancestors of `uid` from the static ones. */
  affects(uid: EntityUid): boolean {
    return this.affectsUid(uid.type, uid.id);
  }
  /** `affects` for `type::id`, without an `EntityUid`. */
  affectsUid(type: string, id: string): boolean {
    if (this.find(type, id) >= 0) return true;
    const e = this.base.byIds(type, id);
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
  isIn(uid: EntityUid, target: EntityUid): boolean {
    if (uid.is(target)) return true;
    const i = this.indexOf(uid);
    if (i < 0) {
      const e = this.base.get(uid);
      if (e === undefined) return false;
      if (this.clean(e)) return e.ancestors!.has(target.key);
      return closure(e, this).has(target.key);
    }
    if (!this.isDirect(i)) return this.ancestorsOf(uid).has(target.key);
    const parents = this.parentsAt(i);
    for (let k = 0; k < parents.length; k++) {
      const p = parents[k];
      if (p.id === target.id && p.type === target.type) return true;
      const s = this.base.byIds(p.type, p.id);
      if (s !== undefined && s.ancestors!.has(target.key)) return true;
    }
    return false;
  }
  isInMembers(uid: EntityUid, target: EntityUid, members: Members): boolean {
    const i = this.indexOf(uid);
    if (i < 0 || !this.isDirect(i)) return this.isIn(uid, target);
    if (uid.is(target)) return true;
    const parents = this.parentsAt(i);
    for (let k = 0; k < parents.length; k++) if (members.has(parents[k].type, parents[k].id)) return true;
    return false;
  }
  directParents(uid: EntityUid): readonly UidParts[] | undefined {
    const i = this.indexOf(uid);
    return i >= 0 && this.isDirect(i) ? this.parentsAt(i) : undefined;
  }
  // Request entity i is direct when no request entity is among the static entities' ancestors (so
  // every static closure stands) and none of its parents is a request entity: then its closure is
  // its parents and their static closures, as `closure` would find them.
  private isDirect(i: number): boolean {
    if (i >= 30) return false;
    const bit = 1 << i;
    if ((this.directKnown & bit) !== 0) return (this.direct & bit) !== 0;
    let direct = !this.touchesStatics();
    if (direct) {
      const parents = this.parentsAt(i);
      for (let k = 0; k < parents.length; k++) {
        if (this.find(parents[k].type, parents[k].id) >= 0) {
          direct = false;
          break;
        }
      }
    }
    this.directKnown |= bit;
    if (direct) this.direct |= bit;
    return direct;
  }
  /** The finished closure of a static entity that no request entity changes (for `closure`). */
  known(e: Entity): ReadonlySet<string> | undefined {
    return this.indexOf(e.uid) < 0 && this.clean(e) ? e.ancestors : undefined;
  }
  // Whether some request entity is an ancestor of some static entity (usually not: the request
  // brings leaves, a user and a resource, which no static entity is under).
  private touchesStatics(): boolean {
    if (this.touches === undefined) {
      this.touches = false;
      const raw = this.raw;
      for (let i = 0; i < raw.length; i++) {
        const j = raw[i];
        const u = j instanceof Entity ? j.uid : rawUid(j);
        if (this.base.isAncestor(u.type, u.id)) this.touches = true;
      }
    }
    return this.touches;
  }
  // A static entity whose closure touches no request entity.
  private clean(e: Entity): boolean {
    const anc = e.ancestors!;
    if (anc.size === 0) return true;
    if (!this.touchesStatics()) return true;
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

/** Whether `x` can be read by property as a record: not an array, with `Object.prototype` (or none, given an own `constructor`). */
export function plainRecord(x: unknown): boolean {
  if (typeof x !== "object" || x === null) return false;
  // A property read first shows the optimiser the object's shapes, so `getPrototypeOf` folds to a
  // constant instead of a call. A record with no prototype (and so no `constructor`) is left to
  // the checked path, which reads it all the same.
  if ((x as { constructor?: unknown }).constructor === undefined) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

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
