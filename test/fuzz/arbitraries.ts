// fast-check generators for differential testing: random Cedar policies (as JSON ESTs),
// entities and requests over a small universe, so that scopes, `in` and attributes often hit.
import fc from "fast-check";

export type Json = unknown;

const TYPES = ["User", "Group", "Doc"] as const;
const IDS = ["a", "b", "", "a\"b\u0000😀"] as const;
const ACTIONS = ["read", "write", "all"] as const;
const ATTRS = ["n", "s", "b", "set", "rec", "ref", "ip", "when", "__proto__", "", "to String"] as const;
const STRINGS = ["", "a", "ab", "abc", "*", "a*b", "\u0000", "é", "😀"];
// near the limits of what cedar-wasm's JS API can take exactly, to reach overflow via `*` and `+`
const LONGS = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 31, 3037000499, 4294967296),
);
const IPS = ["10.0.0.1", "10.0.0.0/8", "127.0.0.1", "::1", "ff02::1", "224.0.0.1/4", "192.168.1.0/24", "10.0.0.1/33", "1::2::3", "::ffff:1.2.3.4"];
const DECIMALS = ["0.0", "1.5", "-1.5", "1.2345", "922337203685477.5807", "1.23456", "abc"];
const DATETIMES = ["1970-01-01", "2024-02-29T12:00:00Z", "2024-01-01T00:00:00.123+0130", "2023-02-29", "2024-01-01T00:00:00"];
const DURATIONS = ["1d", "-90m", "1h30m", "1s500ms", "0ms", "1h1d", "9223372036854775807ms"];

// Near-valid strings for the extension parsers, where hand-written parsers can drift from Cedar's.
export const IP_TEXT = fc.oneof(
  fc.stringMatching(/^[0-9]{1,4}\.[0-9]{1,4}\.[0-9]{1,4}\.[0-9]{1,4}(\/[0-9]{1,3})?$/),
  fc.stringMatching(/^[0-9a-fA-F:]{0,24}(\/[0-9]{1,4})?$/),
  fc.stringMatching(/^[0-9a-f:.\/]{0,16}$/),
);
export const DECIMAL_TEXT = fc.stringMatching(/^-?[0-9]{0,17}\.?[0-9]{0,6}$/);
export const DATETIME_TEXT = fc.oneof(
  fc.stringMatching(/^[0-9]{4}-[0-1][0-9]-[0-3][0-9](T[0-2][0-9]:[0-6][0-9]:[0-6][0-9](\.[0-9]{3})?(Z|[+-][0-2][0-9][0-6][0-9]))?$/),
  fc.stringMatching(/^[0-9T:.Z+-]{0,24}$/),
);
export const DURATION_TEXT = fc.stringMatching(/^-?([0-9]{1,15}d)?([0-9]{1,17}h)?([0-9]{1,19}m)?([0-9]{1,19}s)?([0-9]{1,20}ms)?$/);

export const uidArb = fc.record({ type: fc.constantFrom(...TYPES), id: fc.constantFrom(...IDS) });
export const actionArb = fc.record({ type: fc.constant("Action"), id: fc.constantFrom(...ACTIONS) });

const extnValue = fc.oneof(
  fc.constantFrom(...IPS.slice(0, 7)).map((arg) => ({ __extn: { fn: "ip", arg } })),
  fc.constantFrom(...DECIMALS.slice(0, 5)).map((arg) => ({ __extn: { fn: "decimal", arg } })),
  fc.constantFrom(...DATETIMES.slice(0, 3)).map((arg) => ({ __extn: { fn: "datetime", arg } })),
  fc.constantFrom(...DURATIONS.slice(0, 5)).map((arg) => ({ __extn: { fn: "duration", arg } })),
);

/** A value in Cedar JSON (entity attributes, tags, context). */
export const jsonValueArb: fc.Arbitrary<Json> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    LONGS,
    fc.constantFrom(...STRINGS),
    fc.boolean(),
    uidArb.map((u) => ({ __entity: u })),
    extnValue,
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...ATTRS), tie("value"), { maxKeys: 3 }),
  ),
})).value;

// Every uid of the universe in a fixed order; an entity's parents come later in this order, so the
// hierarchy is acyclic (Cedar rejects entity data with cycles).
const UNIVERSE = [
  ...TYPES.flatMap((type) => IDS.map((id) => ({ type, id }))),
  ...ACTIONS.map((id) => ({ type: "Action", id })),
];
const rank = (u: { type: string; id: string }): number => UNIVERSE.findIndex((x) => x.type === u.type && x.id === u.id);

/** A list of entities with distinct uids, acyclic parents and random attributes. */
export const entitiesArb = fc
  .uniqueArray(fc.constantFrom(...UNIVERSE), { maxLength: 8, selector: (u) => `${u.type}::${u.id}` })
  .chain((uids) =>
    fc.tuple(
      ...uids.map((uid) => {
        const later = UNIVERSE.slice(rank(uid) + 1).filter((p) => (uid.type === "Action") === (p.type === "Action"));
        return fc.record({
          uid: fc.constant(uid),
          attrs: fc.dictionary(fc.constantFrom(...ATTRS), jsonValueArb, { maxKeys: 4 }),
          parents: later.length === 0 ? fc.constant([]) : fc.uniqueArray(fc.constantFrom(...later), { maxLength: 2, selector: (u) => `${u.type}::${u.id}` }),
          tags: fc.option(fc.dictionary(fc.constantFrom(...ATTRS), jsonValueArb, { maxKeys: 2 }), { nil: undefined }),
        });
      }),
    ),
  )
  .map((es) => es.map((e) => (e.tags === undefined ? { uid: e.uid, attrs: e.attrs, parents: e.parents } : e)));

const lit = (v: Json): Json => ({ Value: v });
const bin = (op: string) => (l: Json, r: Json): Json => ({ [op]: { left: l, right: r } });

/** A random expression EST, mostly well-typed enough to evaluate, sometimes not. */
export const exprArb: fc.Arbitrary<Json> = fc.letrec((tie) => {
  const e = tie("expr");
  const leaf = fc.oneof(
    LONGS.map(lit),
    fc.constantFrom(...STRINGS).map(lit),
    fc.boolean().map(lit),
    uidArb.map((u) => lit({ __entity: u })),
    actionArb.map((u) => lit({ __entity: u })),
    fc.constantFrom("principal", "action", "resource", "context").map((v) => ({ Var: v })),
  );
  const pair = fc.tuple(e, e);
  return {
    expr: fc.oneof(
      { depthSize: "small", withCrossShrink: true, maxDepth: 4 },
      leaf,
      fc.tuple(e, fc.constantFrom(...ATTRS)).map(([left, attr]) => ({ ".": { left, attr } })),
      fc.tuple(e, fc.constantFrom(...ATTRS)).map(([left, attr]) => ({ has: { left, attr } })),
      fc.tuple(e, fc.array(fc.oneof(fc.constant("Wildcard"), fc.constantFrom("a", "b", "*", "😀").map((c) => ({ Literal: c }))), { maxLength: 4 })).map(([left, pattern]) => ({ like: { left, pattern } })),
      fc.tuple(e, fc.constantFrom(...TYPES), fc.option(e, { nil: undefined })).map(([left, entity_type, inn]) => ({ is: inn === undefined ? { left, entity_type } : { left, entity_type, in: inn } })),
      fc.tuple(fc.constantFrom("==", "!=", "in", "<", "<=", ">", ">=", "&&", "||", "+", "-", "*", "contains", "containsAll", "containsAny", "getTag", "hasTag"), pair).map(([op, [l, r]]) => bin(op)(l, r)),
      fc.tuple(fc.constantFrom("!", "neg", "isEmpty"), e).map(([op, arg]) => ({ [op]: { arg } })),
      fc.tuple(e, e, e).map(([c, t, f]) => ({ "if-then-else": { if: c, then: t, else: f } })),
      fc.array(e, { maxLength: 3 }).map((items) => ({ Set: items })),
      fc.dictionary(fc.constantFrom(...ATTRS), e, { maxKeys: 2 }).map((r) => ({ Record: r })),
      fc.oneof(
        fc.oneof(fc.constantFrom(...IPS), IP_TEXT).map((s) => ({ ip: [lit(s)] })),
        fc.oneof(fc.constantFrom(...DECIMALS), DECIMAL_TEXT).map((s) => ({ decimal: [lit(s)] })),
        fc.oneof(fc.constantFrom(...DATETIMES), DATETIME_TEXT).map((s) => ({ datetime: [lit(s)] })),
        fc.oneof(fc.constantFrom(...DURATIONS), DURATION_TEXT).map((s) => ({ duration: [lit(s)] })),
      ),
      fc.tuple(fc.constantFrom("isIpv4", "isIpv6", "isLoopback", "isMulticast", "toDate", "toTime", "toMilliseconds", "toSeconds", "toMinutes", "toHours", "toDays"), e).map(([f, a]) => ({ [f]: [a] })),
      fc.tuple(fc.constantFrom("isInRange", "lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual", "offset", "durationSince"), pair).map(([f, [a, b]]) => ({ [f]: [a, b] })),
    ),
  };
}).expr;

// Conditions that usually evaluate to a boolean: tests on attributes and the hierarchy.
const operandArb = fc.oneof(
  { arbitrary: fc.tuple(fc.constantFrom("principal", "resource", "context"), fc.constantFrom(...ATTRS)).map(([v, attr]) => ({ ".": { left: { Var: v }, attr } })), weight: 3 },
  { arbitrary: exprArb, weight: 1 },
);
const boolishArb: fc.Arbitrary<Json> = fc.oneof(
  fc.tuple(fc.constantFrom("principal", "resource", "context"), fc.constantFrom(...ATTRS)).map(([v, attr]) => ({ has: { left: { Var: v }, attr } })),
  fc.tuple(fc.constantFrom("==", "!=", "<", "<=", "contains", "in", "containsAny"), operandArb, operandArb).map(([op, l, r]) => bin(op)(l, r)),
  fc.tuple(fc.constantFrom("principal", "resource"), uidArb).map(([v, u]) => bin("in")({ Var: v }, lit({ __entity: u }))),
  fc.tuple(fc.constantFrom("&&", "||"), exprArb, exprArb).map(([op, l, r]) => bin(op)(l, r)),
  fc.constant(lit(true)),
);

const scopeArb = fc.oneof(
  { arbitrary: fc.constant({ op: "All" }), weight: 4 },
  uidArb.map((entity) => ({ op: "==", entity })),
  uidArb.map((entity) => ({ op: "in", entity })),
  fc.constantFrom(...TYPES).map((entity_type) => ({ op: "is", entity_type })),
  fc.tuple(fc.constantFrom(...TYPES), uidArb).map(([entity_type, entity]) => ({ op: "is", entity_type, in: { entity } })),
);

const actionScopeArb = fc.oneof(
  { arbitrary: fc.constant({ op: "All" }), weight: 3 },
  actionArb.map((entity) => ({ op: "==", entity })),
  actionArb.map((entity) => ({ op: "in", entity })),
  fc.uniqueArray(actionArb, { minLength: 1, maxLength: 2, selector: (u) => u.id }).map((entities) => ({ op: "in", entities })),
);

/** One policy EST. */
export const policyArb = fc.record({
  effect: fc.constantFrom("permit", "forbid"),
  principal: scopeArb,
  action: actionScopeArb,
  resource: scopeArb,
  conditions: fc.array(fc.record({ kind: fc.constantFrom("when", "unless"), body: fc.oneof({ arbitrary: boolishArb, weight: 3 }, { arbitrary: exprArb, weight: 1 }) }), { maxLength: 2 }),
});

/** A whole differential case: policies, entities and a few requests. */
export const caseArb = fc.record({
  policies: fc.array(policyArb, { minLength: 1, maxLength: 4 }),
  entities: entitiesArb,
  requests: fc.array(
    fc.record({
      principal: uidArb,
      action: actionArb,
      resource: uidArb,
      context: fc.dictionary(fc.constantFrom(...ATTRS), jsonValueArb, { maxKeys: 3 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

export type DifferentialCase = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;
