import { decodeEntityUid, decodeValue } from "./decode.ts";
import { Entity, RequestEntities, StaticEntities, type EntityView } from "./entities.ts";
import { PolicyEvaluationError } from "./errors.ts";
import type { RequestView } from "./ops.ts";
import type { CedarRequest, CompiledPolicySet, EntityJson, OnForbidError, PolicyError, PolicyInfo, PolicyResult } from "./types.ts";
import { CedarRecord, EntityUid } from "./values.ts";
import type { EntityShapes } from "../entities/shapes.ts"; // #17

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
  /** #17: the schema's entity types (`entityShapes`), written by the compiler when it had a schema. */
  entityShapes?: EntityShapes | null;
}

type Scope = ScopeDef;

function scopeMatches(s: Scope, uid: EntityUid, view: EntityView): boolean {
  switch (s.op) {
    case "All":
      return true;
    case "==":
      return uid.is(s.entity);
    case "in":
      return uid.is(s.entity) || view.ancestorsOf(uid).has(s.entity.key);
    case "is":
      if (uid.type !== s.type) return false;
      return s.in === undefined || uid.is(s.in) || view.ancestorsOf(uid).has(s.in.key);
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

// Policies grouped by how one scope (principal or resource) pins its entity.
class ScopeIndex {
  readonly any: PolicyDef[] = [];
  readonly eq = new Map<string, PolicyDef[]>();
  readonly inn = new Map<string, PolicyDef[]>();
  readonly type = new Map<string, PolicyDef[]>();
  constructor(policies: readonly PolicyDef[], pick: (p: PolicyDef) => Scope) {
    for (const p of policies) {
      const s = pick(p);
      if (s.op === "All") this.any.push(p);
      else if (s.op === "==") push(this.eq, s.entity.key, p);
      else if (s.op === "in") push(this.inn, s.entity.key, p);
      else if (s.in !== undefined) push(this.inn, s.in.key, p);
      else push(this.type, s.type, p);
    }
  }
  // The lists holding every policy whose scope can match `uid`; each policy is in one list.
  // (No closures here: this runs on every decision, and bundlers may wrap each closure.)
  gather(uid: EntityUid, view: EntityView, out: PolicyDef[][]): number {
    let n = addList(out, this.any, 0);
    if (this.eq.size > 0) n = addList(out, this.eq.get(uid.key), n);
    if (this.type.size > 0) n = addList(out, this.type.get(uid.type), n);
    if (this.inn.size > 0) {
      n = addList(out, this.inn.get(uid.key), n);
      const anc = view.ancestorsOf(uid);
      if (anc.size <= this.inn.size) {
        for (const k of anc) n = addList(out, this.inn.get(k), n);
      } else {
        for (const [k, l] of this.inn) if (anc.has(k)) n = addList(out, l, n);
      }
    }
    return n;
  }
}

function addList(out: PolicyDef[][], l: PolicyDef[] | undefined, n: number): number {
  if (l === undefined || l.length === 0) return n;
  out.push(l);
  return n + l.length;
}

function push(m: Map<string, PolicyDef[]>, k: string, p: PolicyDef): void {
  const l = m.get(k);
  if (l === undefined) m.set(k, [p]);
  else l.push(p);
}

// The policies whose action scope matches one action, indexed by principal and resource.
class ActionBucket {
  readonly principal: ScopeIndex;
  readonly resource: ScopeIndex;
  constructor(policies: readonly PolicyDef[]) {
    this.principal = new ScopeIndex(policies, (p) => p.principal);
    this.resource = new ScopeIndex(policies, (p) => p.resource);
  }
  candidates(r: RequestView): PolicyDef[][] {
    const byPrincipal: PolicyDef[][] = [];
    const np = this.principal.gather(r.principal, r.entities, byPrincipal);
    // Few enough already: a second index walk would cost more than it could save (issue #22)
    if (np <= FEW_CANDIDATES) return byPrincipal;
    const byResource: PolicyDef[][] = [];
    const nr = this.resource.gather(r.resource, r.entities, byResource);
    return nr < np ? byResource : byPrincipal;
  }
}

const FEW_CANDIDATES = 4;

interface Prepared extends RequestView {
  readonly bucket: ActionBucket;
}

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
  const strict = (def.onForbidError ?? "skip") === "deny";
  // action type → action id → bucket; the request's own strings are the keys, no concatenation
  const buckets = new Map<string, Map<string, ActionBucket>>();
  let cached = 0;

  function bucketFor(action: EntityUid, view: EntityView, ownAction: boolean): ActionBucket {
    // a request that supplies the action entity itself may give it other parents: no caching
    const byId = buckets.get(action.type);
    if (!ownAction && byId !== undefined) {
      const hit = byId.get(action.id);
      if (hit !== undefined) return hit;
    }
    const b = new ActionBucket(policies.filter((p) => actionMatches(p.action, action, view)));
    if (!ownAction && cached < MAX_CACHED_ACTIONS) {
      if (byId === undefined) buckets.set(action.type, new Map([[action.id, b]]));
      else byId.set(action.id, b);
      cached++;
    }
    return b;
  }

  function prepare(request: CedarRequest, entities: readonly (EntityJson | Entity)[] | undefined): Prepared {
    let view: EntityView = statics;
    let ownAction = false;
    const action = decodeEntityUid(request.action);
    if (entities !== undefined && entities.length > 0) {
      const re = new RequestEntities(statics, entities);
      ownAction = re.affects(action);
      view = re;
    }
    const ctx = request.context;
    if (ctx !== undefined && (typeof ctx !== "object" || ctx === null || Array.isArray(ctx))) {
      throw new PolicyEvaluationError("context must be a record");
    }
    return {
      principal: decodeEntityUid(request.principal),
      action,
      resource: decodeEntityUid(request.resource),
      context: ctx === undefined ? EMPTY_CONTEXT : CedarRecord.fromJson(ctx as Record<string, unknown>, decodeValue),
      entities: view,
      bucket: bucketFor(action, view, ownAction),
    };
  }

  function evaluate(request: CedarRequest, entities?: readonly (EntityJson | Entity)[]): PolicyResult {
    let r: Prepared;
    try {
      r = prepare(request, entities);
    } catch (e) {
      // a malformed request is denied, not thrown: no policy could be evaluated
      return { decision: "deny", reasons: [], errors: [{ policy: "", message: `invalid request: ${messageOf(e)}` }] };
    }
    let permits: string[] | undefined;
    let forbids: string[] | undefined;
    let errors: PolicyError[] | undefined;
    let forbidErrored = false;
    const lists = r.bucket.candidates(r);
    for (let i = 0; i < lists.length; i++) {
      const list = lists[i];
      for (let j = 0; j < list.length; j++) {
        const p = list[j];
        let ok: boolean;
        try {
          ok =
            scopeMatches(p.principal, r.principal, r.entities) &&
            scopeMatches(p.resource, r.resource, r.entities) &&
            (p.condition === undefined || p.condition(r));
        } catch (e) {
          (errors ??= []).push({ policy: p.id, message: messageOf(e) });
          if (p.effect === "forbid") forbidErrored = true;
          continue;
        }
        if (!ok) continue;
        if (p.effect === "forbid") (forbids ??= []).push(p.id);
        else (permits ??= []).push(p.id);
      }
    }
    if (forbids !== undefined || (strict && forbidErrored)) {
      return { decision: "deny", reasons: forbids ?? [], errors: errors ?? [] };
    }
    if (permits !== undefined) return { decision: "allow", reasons: permits, errors: errors ?? [] };
    return { decision: "deny", reasons: [], errors: errors ?? [] };
  }

  function candidates(request: CedarRequest, entities?: readonly EntityJson[]): string[] {
    const r = prepare(request, entities);
    return r.bucket.candidates(r).flat().map((p) => p.id);
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
    // #17
    entityShapes: def.entityShapes ?? null,
    hasStaticEntity: (type, id) => statics.get(new EntityUid(type, id)) !== undefined,
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
