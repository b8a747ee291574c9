import { decodeEntityUid, decodeValue, uidParts } from "./decode.ts";
import { Entity, plainRecord, RequestEntities, StaticEntities, type EntityView, type Members, type UidParts } from "./entities.ts";
import { PolicyEvaluationError } from "./errors.ts";
import type { RequestView } from "./ops.ts";
import type { CedarRequest, CompiledPolicySet, EntityJson, OnForbidError, PolicyError, PolicyInfo, PolicyResult } from "./types.ts";
import { CedarRecord, EntityUid, NO_ATTRS, type JsonAttrs } from "./values.ts";
import type { EntityShapes } from "../entities/shapes.ts";

/** A principal or resource scope, as the generated module declares it. */
export type ScopeDef =
  | { op: "All" }
  | { op: "=="; entity: EntityUid }
  | { op: "in"; entity: EntityUid }
  | { op: "is"; type: string; in?: EntityUid };

/** An action scope: `action`, `action == A`, `action in A` or `action in [A, B]`. */
export type ActionScopeDef = { op: "All" } | { op: "=="; entity: EntityUid } | { op: "in"; entities: EntityUid[] };

/** One compiled policy: metadata, scope, and its `when`/`unless` conditions as a function. */
export interface PolicyDef extends PolicyInfo {
  principal: ScopeDef;
  action: ActionScopeDef;
  resource: ScopeDef;
  /** The conditions; throws a PolicyEvaluationError when Cedar's evaluation would error. */
  condition?: (r: RequestView) => boolean;
}

/** What a generated module hands to `definePolicySet`. */
export interface PolicySetDef {
  version: string;
  onForbidError?: OnForbidError;
  /** Static entities (Cedar JSON), e.g. the role hierarchy. */
  entities: readonly EntityJson[];
  policies: readonly PolicyDef[];
  /** The schema's entity types (`entityShapes`), written by the compiler when it had a schema. */
  entityShapes?: EntityShapes | null;
  /** The `context` attributes the conditions can read (`contextAttributesOf`); absent or `null` when not known. */
  contextAttributes?: readonly string[] | null;
}

// Scope kinds as small integers, so the per-policy checks below see one object shape.
const ALL = 0;
const EQ = 1;
const IN = 2;
const IS = 3;
const IS_IN = 4;

// A principal or resource scope in one shape: `entity` for `==` and `in` (the `in` of `is T in E`), `type` for `is`.
class Scope {
  readonly kind: number;
  readonly entity: EntityUid | null;
  readonly type: string | null;
  // for `in`: the static entities in `entity`, so a check needs no ancestor set
  readonly members: Members | null;
  constructor(s: ScopeDef, statics: StaticEntities) {
    if (s.op === "All") this.kind = ALL;
    else if (s.op === "==") this.kind = EQ;
    else if (s.op === "in") this.kind = IN;
    else this.kind = s.in === undefined ? IS : IS_IN;
    this.entity = s.op === "==" || s.op === "in" ? s.entity : s.op === "is" && s.in !== undefined ? s.in : null;
    this.type = s.op === "is" ? s.type : null;
    this.members = this.kind === IN || this.kind === IS_IN ? statics.membersOf(this.entity!) : null;
  }
  matches(uid: EntityUid, view: EntityView): boolean {
    switch (this.kind) {
      case ALL:
        return true;
      case EQ:
        return uid.is(this.entity!);
      case IN:
        return view.isInMembers(uid, this.entity!, this.members!);
      case IS:
        return uid.type === this.type;
    }
    return uid.type === this.type && view.isInMembers(uid, this.entity!, this.members!);
  }
  // What is left to check of a policy the index found for `uid` through this scope: the index
  // files `is T in E` under E alone, so T is still to be checked; every other kind has matched.
  matchesAfterIndex(uid: EntityUid): boolean {
    return this.kind !== IS_IN || uid.type === this.type;
  }
}

function actionMatches(s: ActionScopeDef, uid: EntityUid, view: EntityView): boolean {
  switch (s.op) {
    case "All":
      return true;
    case "==":
      return uid.is(s.entity);
    case "in": {
      const anc = view.ancestorsOf(uid);
      for (const e of s.entities) if (uid.is(e) || anc.has(e.key)) return true;
      return false;
    }
  }
}

// A compiled policy as the evaluation loop reads it: one shape for every policy, whatever fields
// its definition has, and the answer it gives when it decides alone.
class Rule {
  readonly id: string;
  readonly forbid: boolean;
  readonly principal: Scope;
  readonly resource: Scope;
  /** Whether the principal or resource scope is other than `All`. */
  readonly scoped: boolean;
  readonly condition: ((r: RequestView) => boolean) | null;
  /** The result when this policy is the only one satisfied and nothing errored; shared, frozen. */
  readonly alone: PolicyResult;
  readonly def: PolicyDef;
  constructor(def: PolicyDef, statics: StaticEntities) {
    this.id = def.id;
    this.forbid = def.effect === "forbid";
    this.principal = new Scope(def.principal, statics);
    this.resource = new Scope(def.resource, statics);
    this.scoped = this.principal.kind !== ALL || this.resource.kind !== ALL;
    this.condition = def.condition ?? null;
    this.alone = frozenResult(this.forbid ? "deny" : "allow", [def.id]);
    this.def = def;
  }
}

function frozenResult(decision: "allow" | "deny", reasons: string[]): PolicyResult {
  return Object.freeze({ decision, reasons: Object.freeze(reasons) as string[], errors: NO_ERRORS });
}

const NO_ERRORS = Object.freeze([]) as unknown as PolicyError[];
const DENY_NONE = frozenResult("deny", []);

// Policies grouped by how one scope (principal or resource) pins its entity.
class ScopeIndex {
  readonly any: Rule[] = [];
  // `==` and `in` by the pinned uid's type, then id: a request's uid is looked up by its own strings
  private readonly eq = new Map<string, Map<string, Rule[]>>();
  private readonly type = new Map<string, Rule[]>();
  private readonly inByUid = new Map<string, Map<string, Rule[]>>();
  // the `in` lists again by key (static closures hold keys), and as parallel arrays to walk
  private readonly inByKey = new Map<string, Rule[]>();
  private readonly inTargets: EntityUid[] = [];
  private readonly inLists: Rule[][] = [];
  // the static entity of each parent in `gather`, kept from one decision to the next
  private readonly found: (Entity | undefined)[] = [];
  constructor(rules: readonly Rule[], principal: boolean) {
    for (const rule of rules) {
      const s = principal ? rule.principal : rule.resource;
      if (s.kind === ALL) this.any.push(rule);
      else if (s.kind === EQ) pushByUid(this.eq, s.entity!, rule);
      else if (s.kind === IS) push(this.type, s.type!, rule);
      else {
        const list = pushByUid(this.inByUid, s.entity!, rule);
        if (list.length === 1) {
          this.inByKey.set(s.entity!.key, list);
          this.inTargets.push(s.entity!);
          this.inLists.push(list);
        }
      }
    }
  }
  // Adds to `out` the lists holding every policy whose scope can match `uid`; each policy is in
  // one list, each list is added once.
  // (No closures here: this runs on every decision, and bundlers may wrap each closure.)
  gather(uid: EntityUid, view: EntityView, statics: StaticEntities, out: Gathered): void {
    addList(out, this.any);
    if (this.eq.size > 0) addList(out, byUid(this.eq, uid));
    if (this.type.size > 0) addList(out, this.type.get(uid.type));
    const targets = this.inTargets.length;
    if (targets === 0) return;
    const parents = targets <= FEW_TARGETS ? undefined : view.directParents(uid);
    if (parents !== undefined) {
      // walk the parents and their static closures when that is less work than testing every target
      let work = 0;
      const found = this.found;
      for (let k = 0; k < parents.length; k++) {
        const s = statics.byIds(parents[k].type, parents[k].id);
        found[k] = s;
        work += 1 + (s === undefined ? 0 : s.ancestorList!.length);
      }
      if (work <= targets) {
        const from = out.count;
        addList(out, byUid(this.inByUid, uid));
        for (let k = 0; k < parents.length; k++) {
          addOnce(out, from, byUid(this.inByUid, parents[k]));
          const s = found[k];
          if (s === undefined) continue;
          const keys = s.ancestorList!;
          for (let a = 0; a < keys.length; a++) addOnce(out, from, this.inByKey.get(keys[a]));
        }
        return;
      }
    } else if (targets > FEW_TARGETS) {
      const anc = view.ancestorsOf(uid);
      if (anc.size < targets) {
        const from = out.count;
        addList(out, byUid(this.inByUid, uid));
        for (const key of anc) addOnce(out, from, this.inByKey.get(key));
        return;
      }
    }
    for (let k = 0; k < targets; k++) if (view.isIn(uid, this.inTargets[k])) addList(out, this.inLists[k]);
  }
}

// Up to this many `in` targets, testing each beats walking the request entity's ancestors.
const FEW_TARGETS = 4;

// The candidate lists of one decision: `lists[0..count)`, holding `policies` policies in all. Each
// policy set keeps two and refills them for every decision (entries past `count` are stale).
class Gathered {
  readonly lists: Rule[][] = [];
  count = 0;
  policies = 0;
  clear(): void {
    this.count = 0;
    this.policies = 0;
  }
}

function addList(out: Gathered, l: Rule[] | undefined): void {
  if (l === undefined || l.length === 0) return;
  out.lists[out.count++] = l;
  out.policies += l.length;
}

// `addList` unless `l` is already among the lists from `from` on (an ancestor reached twice, or a cycle back to `uid`)
function addOnce(out: Gathered, from: number, l: Rule[] | undefined): void {
  if (l === undefined) return;
  for (let i = from; i < out.count; i++) if (out.lists[i] === l) return;
  addList(out, l);
}

function push(m: Map<string, Rule[]>, k: string, rule: Rule): void {
  const l = m.get(k);
  if (l === undefined) m.set(k, [rule]);
  else l.push(rule);
}

function pushByUid(m: Map<string, Map<string, Rule[]>>, uid: EntityUid, rule: Rule): Rule[] {
  let ids = m.get(uid.type);
  if (ids === undefined) m.set(uid.type, (ids = new Map()));
  let l = ids.get(uid.id);
  if (l === undefined) ids.set(uid.id, (l = []));
  l.push(rule);
  return l;
}

function byUid(m: Map<string, Map<string, Rule[]>>, uid: UidParts): Rule[] | undefined {
  const ids = m.get(uid.type);
  return ids === undefined ? undefined : ids.get(uid.id);
}

// The policies whose action scope matches one action, indexed by principal and resource.
class ActionBucket {
  readonly action: EntityUid;
  readonly principal: ScopeIndex;
  readonly resource: ScopeIndex;
  /**
   * Every policy of the action when they are few: a decision checks each one's scopes itself,
   * which costs less than walking an index to leave out one or two. Null when there are more.
   */
  readonly few: Rule[] | null;
  constructor(action: EntityUid, rules: readonly Rule[]) {
    this.action = action;
    this.principal = new ScopeIndex(rules, true);
    this.resource = new ScopeIndex(rules, false);
    this.few = rules.length <= FEW_CANDIDATES ? [...rules] : null;
    this.fewLists = this.few === null ? [] : [this.few];
  }
  /** `few` as the one list of a decision's candidate lists. */
  readonly fewLists: Rule[][];
  // Fills `byPrincipal`, then `byResource` unless the first left few (both empty on entry), with
  // the candidate lists; returns the one that holds fewer policies.
  candidates(r: RequestView, statics: StaticEntities, byPrincipal: Gathered, byResource: Gathered): Gathered {
    this.principal.gather(r.principal, r.entities, statics, byPrincipal);
    // Few enough already: a second index walk would cost more than it could save
    if (byPrincipal.policies <= FEW_CANDIDATES) return byPrincipal;
    this.resource.gather(r.resource, r.entities, statics, byResource);
    return byResource.policies < byPrincipal.policies ? byResource : byPrincipal;
  }
}

const FEW_CANDIDATES = 8;

// What the evaluation loop still checks of a candidate's scopes
const BOTH = 0;
const RESOURCE = 1;
const PRINCIPAL = 2;

// The request as a decision reads it. A policy set keeps one and refills it for each decision
// (no decision runs inside another), with the view and context record it keeps beside it.
class Prepared implements RequestView {
  principal: EntityUid;
  action: EntityUid;
  resource: EntityUid;
  context: CedarRecord;
  entities: EntityView;
  cx: JsonAttrs = NO_ATTRS;
  bucket: ActionBucket | undefined = undefined;
  // the request entities when there are any (else `pa` and `ra` are NO_ATTRS), and `pa`, `ra` once found
  requestEntities: RequestEntities | undefined = undefined;
  principalAttrs: JsonAttrs | undefined = undefined;
  resourceAttrs: JsonAttrs | undefined = undefined;
  constructor(statics: StaticEntities) {
    this.principal = this.action = this.resource = NOBODY;
    this.context = EMPTY_CONTEXT;
    this.entities = statics;
  }
  // Found on first read: a decision whose policies read no attribute looks for none
  get pa(): JsonAttrs {
    return (this.principalAttrs ??= this.requestEntities === undefined ? NO_ATTRS : this.requestEntities.jsonAttrs(this.principal));
  }
  get ra(): JsonAttrs {
    return (this.resourceAttrs ??= this.requestEntities === undefined ? NO_ATTRS : this.requestEntities.jsonAttrs(this.resource));
  }
}

const NOBODY = new EntityUid("", "");

// Bounds the per-action cache: action ids come from requests.
const MAX_CACHED_ACTIONS = 4096;
const EMPTY_CONTEXT = new CedarRecord(new Map());

/**
 * Builds a policy set from compiled policies. Generated modules call this once, at load time;
 * it decodes the static entities, computes their ancestor closure and prepares the indexes.
 * Each decision then looks only at the policies whose action scope matches the request's action,
 * narrowed by the principal or resource scope (whichever leaves fewer).
 */
export function definePolicySet(def: PolicySetDef): CompiledPolicySet {
  const statics = new StaticEntities(def.entities);
  const policies = def.policies;
  const rules = policies.map((p) => new Rule(p, statics));
  const strict = (def.onForbidError ?? "skip") === "deny";
  // action type → action id → bucket; the request's own strings are the keys, no concatenation
  const buckets = new Map<string, Map<string, ActionBucket>>();
  let cached = 0;
  let lastType: string | undefined;
  let lastById: Map<string, ActionBucket> | undefined;
  // The candidate lists of the decision in progress. `evaluate` never runs inside itself (a
  // condition calls operators only), so one pair serves every decision of this set.
  const byPrincipal = new Gathered();
  const byResource = new Gathered();

  function bucketFor(action: { type: string; id: string }, view: EntityView, ownAction: boolean): ActionBucket {
    // a request that supplies the action entity itself may give it other parents: no caching
    // (nearly every action is of type `Action`: the last type's map is kept at hand)
    let byId = action.type === lastType ? lastById : undefined;
    if (byId === undefined) {
      byId = buckets.get(action.type);
      if (byId !== undefined) {
        lastType = action.type;
        lastById = byId;
      }
    }
    if (!ownAction && byId !== undefined) {
      const hit = byId.get(action.id);
      if (hit !== undefined) return hit;
    }
    const uid = new EntityUid(action.type, action.id);
    const b = new ActionBucket(uid, rules.filter((rule) => actionMatches(rule.def.action, uid, view)));
    if (!ownAction && cached < MAX_CACHED_ACTIONS) {
      if (byId === undefined) buckets.set(action.type, new Map([[action.id, b]]));
      else byId.set(action.id, b);
      cached++;
    }
    return b;
  }

  // What each decision refills (see `Prepared`): the request, the view over the request's
  // entities and the context record
  const prepared = new Prepared(statics);
  const requestEntities = new RequestEntities(statics, []);
  const contextRecord = CedarRecord.fromJson({}, decodeValue);

  function prepare(request: CedarRequest, entities: readonly (EntityJson | Entity)[] | undefined): Prepared {
    let view: EntityView = statics;
    let re: RequestEntities | undefined;
    let ownAction = false;
    const action = uidParts(request.action);
    if (entities !== undefined && entities.length > 0) {
      re = requestEntities.reset(entities);
      ownAction = re.affectsUid(action.type, action.id);
      view = re;
    }
    const ctx = request.context;
    if (ctx !== undefined && (typeof ctx !== "object" || ctx === null || Array.isArray(ctx))) {
      throw new PolicyEvaluationError("context must be a record");
    }
    const bucket = bucketFor(action, view, ownAction);
    const r = prepared;
    r.principal = decodeEntityUid(request.principal);
    r.action = bucket.action;
    r.resource = decodeEntityUid(request.resource);
    r.context = ctx === undefined ? EMPTY_CONTEXT : contextRecord.rebind(ctx as Record<string, unknown>);
    r.cx = ctx !== undefined && plainRecord(ctx) ? (ctx as JsonAttrs) : NO_ATTRS;
    r.entities = view;
    r.bucket = bucket;
    r.requestEntities = re;
    r.principalAttrs = undefined;
    r.resourceAttrs = undefined;
    return r;
  }

  function evaluate(request: CedarRequest, entities?: readonly (EntityJson | Entity)[]): PolicyResult {
    let r: Prepared;
    try {
      r = prepare(request, entities);
    } catch (e) {
      // a malformed request is denied, not thrown: no policy could be evaluated
      return { decision: "deny", reasons: [], errors: [{ policy: "", message: `invalid request: ${messageOf(e)}` }] };
    }
    const bucket = r.bucket!;
    let lists: Rule[][];
    let count: number;
    // which scopes are left to check: both (no index walked), or the one the index did not check
    let left: number;
    if (bucket.few !== null) {
      lists = bucket.fewLists;
      count = 1;
      left = BOTH;
    } else {
      byPrincipal.clear();
      byResource.clear();
      const gathered = bucket.candidates(r, statics, byPrincipal, byResource);
      left = gathered === byPrincipal ? RESOURCE : PRINCIPAL;
      lists = gathered.lists;
      count = gathered.count;
    }
    const principal = r.principal;
    const resource = r.resource;
    const view = r.entities;
    // The first satisfied permit and forbid; lists only when a second one comes
    let permit: Rule | undefined;
    let forbid: Rule | undefined;
    let permits: string[] | undefined;
    let forbids: string[] | undefined;
    let errors: PolicyError[] | undefined;
    let forbidErrored = false;
    for (let i = 0; i < count; i++) {
      const list = lists[i];
      for (let j = 0; j < list.length; j++) {
        const rule = list[j];
        let ok: boolean;
        try {
          ok =
            (left === BOTH
              ? !rule.scoped || (rule.principal.matches(principal, view) && rule.resource.matches(resource, view))
              : left === RESOURCE
                ? rule.principal.matchesAfterIndex(principal) && rule.resource.matches(resource, view)
                : rule.resource.matchesAfterIndex(resource) && rule.principal.matches(principal, view)) &&
            (rule.condition === null || rule.condition(r));
        } catch (e) {
          (errors ??= []).push({ policy: rule.id, message: messageOf(e) });
          if (rule.forbid) forbidErrored = true;
          continue;
        }
        if (!ok) continue;
        if (rule.forbid) {
          if (forbid === undefined) forbid = rule;
          else (forbids ??= [forbid.id]).push(rule.id);
        } else if (permit === undefined) permit = rule;
        else (permits ??= [permit.id]).push(rule.id);
      }
    }
    if (forbid !== undefined || (strict && forbidErrored)) {
      if (errors === undefined && forbids === undefined) return forbid!.alone;
      return { decision: "deny", reasons: forbids ?? (forbid !== undefined ? [forbid.id] : []), errors: errors ?? [] };
    }
    if (permit !== undefined) {
      if (errors === undefined && permits === undefined) return permit.alone;
      return { decision: "allow", reasons: permits ?? [permit.id], errors: errors ?? [] };
    }
    if (errors === undefined) return DENY_NONE;
    return { decision: "deny", reasons: [], errors };
  }

  function candidates(request: CedarRequest, entities?: readonly EntityJson[]): string[] {
    const r = prepare(request, entities);
    const gathered = r.bucket!.candidates(r, statics, new Gathered(), new Gathered());
    return gathered.lists.slice(0, gathered.count).flat().map((rule) => rule.id);
  }

  const info: PolicyInfo[] = policies.map((p) => {
    const i: PolicyInfo = { id: p.id, cedarId: p.cedarId, effect: p.effect, annotations: p.annotations };
    if (p.file !== undefined) i.file = p.file;
    if (p.line !== undefined) i.line = p.line;
    return i;
  });

  const set: CompiledPolicySet = {
    evaluate,
    candidates,
    version: def.version,
    policies: info,
    onForbidError: strict ? "deny" : "skip",
    entityShapes: def.entityShapes ?? null,
    hasStaticEntity: (type, id) => statics.byIds(type, id) !== undefined,
    // anything but a list is not a statement about the policies: every attribute may be read
    contextAttributes: Array.isArray(def.contextAttributes) ? new Set(def.contextAttributes) : null,
  };
  ownSets.add(set);
  return set;
}

const ownSets = new WeakSet<object>();

/**
 * Whether `set` was built by this copy of the runtime, so its `evaluate` accepts extension values
 * this copy parsed (`Datetime`, `IpAddr`) in the context. A module bundled with another copy only
 * knows the JSON forms.
 */
export function ownsPolicySet(set: unknown): boolean {
  return typeof set === "object" && set !== null && ownSets.has(set);
}

function messageOf(e: unknown): string {
  if (e instanceof PolicyEvaluationError) return e.message;
  // a bug in the runtime must not become a 500: report it as this policy's error
  return `internal error: ${e instanceof Error ? e.message : String(e)}`;
}

/** Pre-converts request entities, e.g. ones reused across many requests. */
export function prepareEntities(entities: readonly EntityJson[]): Entity[] {
  return entities.map((e) => new Entity(e));
}
