// fast-check generators of Cedar policy *text* and of entities and contexts as raw JSON text, for
// the differential fuzz (issue #23). The EST generator in arbitraries.ts cannot write what only
// text has: comments and odd whitespace between any tokens, literals beyond 2^53 and a minus
// folded into them, record literals whose keys Cedar sorts, dotted `has` paths, annotations with
// any string. Entities and contexts carry escape objects mixed with other keys and near misses.
import fc from "fast-check";
import { DATETIME_TEXT, DECIMAL_TEXT, DURATION_TEXT, IP_TEXT } from "./arbitraries.ts";

type Text = fc.Arbitrary<string>;

// Parts joined into one string: literal text or generated text.
const seq = (...parts: (string | Text)[]): Text => fc.tuple(...parts.map((p) => (typeof p === "string" ? fc.constant(p) : p))).map((xs) => xs.join(""));

const COMMENT_TEXT = ["", "note", " 9223372036854775808", '"', "-", "permit(principal, action, resource);", "é😀", "// again", "\u2028x", "1 }", "\t"];
/** A `//` comment with its end of line (Cedar ends comments at LF or CR). */
const comment: Text = fc.tuple(fc.constantFrom(...COMMENT_TEXT), fc.constantFrom("\n", "\r\n", "\r")).map(([t, nl]) => `//${t}${nl}`);
/** Non-empty trivia between tokens: spaces, line breaks, Unicode white space, comments. */
const ws: Text = fc.oneof(
  { weight: 10, arbitrary: fc.constant(" ") },
  { weight: 2, arbitrary: fc.constantFrom("\n", "\t", "  ", "\r\n", "\u00a0", "\u2028", "\u2029", "\u3000", "\u000b") },
  { weight: 2, arbitrary: seq(fc.constantFrom(" ", ""), comment) },
);
/** Trivia that may be empty (beside punctuation). */
const tr: Text = fc.oneof({ weight: 3, arbitrary: fc.constant("") }, { weight: 2, arbitrary: ws });

const TYPES = ["User", "Group", "Doc"] as const;
const IDS = ["a", "b", "", 'a"b\u0000😀'] as const;
const ACTIONS = ["read", "write", "all"] as const;
const ATTRS = ["n", "s", "b", "set", "rec", "ref", "ip", "when", "__proto__", "", "to String", "__entity", "__extn", "__expr", "x", "y"] as const;
const isIdent = (s: string): boolean => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);

// A Cedar string literal for `s`, characters written raw or as escapes at random.
const cedarString = (s: string): Text =>
  fc.array(fc.boolean(), { minLength: [...s].length, maxLength: [...s].length }).map((escape) => {
    const chars = [...s].map((c, i) => {
      if (c === '"' || c === "\\") return `\\${c}`;
      if (c === "\u0000") return "\\0";
      if (c === "\n") return "\\n";
      if (c === "\r") return "\\r";
      if (c === "\t") return "\\t";
      return escape[i] || c.charCodeAt(0) < 0x20 ? `\\u{${c.codePointAt(0)!.toString(16)}}` : c;
    });
    return `"${chars.join("")}"`;
  });

const STRINGS = ["", "a", "ab", "*", "a*b", "é", "😀", "//", "9007199254740993", "\u2028", "\u2029", '"', "\\", "\u0000", "line\nbreak"];
const stringLit: Text = fc.constantFrom(...STRINGS).chain(cedarString);

// Integer literals at the edges Cedar and JavaScript disagree about, some with leading zeros.
const DIGITS = ["0", "1", "7", "42", "007", "2147483648", "9007199254740991", "9007199254740992", "9007199254740993", "9007199254740995", "18014398509481985", "9223372036854775806", "9223372036854775807", "9223372036854775808", "99999999999999999999"];
/** An integer literal, maybe with a unary minus (and trivia or a comment after the minus). */
const intLit: Text = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...DIGITS) },
  { weight: 2, arbitrary: seq("-", tr, fc.constantFrom(...DIGITS)) },
  { weight: 1, arbitrary: seq("-", tr, "-", tr, fc.constantFrom(...DIGITS)) },
);

const uidLit = (types: readonly string[], ids: readonly string[]): Text => fc.tuple(fc.constantFrom(...types), fc.constantFrom(...ids).chain(cedarString), tr, tr).map(([t, id, a, b]) => `${t}${a}::${b}${id}`);
const entityLit = uidLit(TYPES, IDS);
const actionLit = uidLit(["Action"], ACTIONS);

// An attribute after `.` or `has`: an identifier, or else a string (`["x y"]`, `has "x y"`).
const attrName = fc.constantFrom(...ATTRS);
const access: Text = attrName.chain((a) => (isIdent(a) ? fc.oneof(seq(tr, ".", tr, a), seq(tr, "[", tr, cedarString(a), tr, "]")) : seq(tr, "[", tr, cedarString(a), tr, "]")));
const hasTarget: Text = fc.oneof(
  { weight: 2, arbitrary: attrName.chain((a) => (isIdent(a) ? fc.constant(a) : cedarString(a))) },
  { weight: 2, arbitrary: fc.array(fc.constantFrom(...ATTRS.filter(isIdent)), { minLength: 2, maxLength: 3 }).chain((path) => fc.array(tr, { minLength: path.length * 2, maxLength: path.length * 2 }).map((t) => path.map((p, i) => (i === 0 ? p : `${t[2 * i]}.${t[2 * i + 1]}${p}`)).join(""))) },
);

const variable: Text = fc.oneof(
  fc.constantFrom("principal", "action", "resource", "context"),
  fc.tuple(fc.constantFrom("principal", "resource", "context"), access).map(([v, a]) => v + a),
);

const EXT_STRINGS: Record<string, Text> = {
  ip: fc.oneof(fc.constantFrom("10.0.0.1", "10.0.0.0/8", "127.0.0.1", "::1", "224.0.0.1/4"), IP_TEXT),
  decimal: fc.oneof(fc.constantFrom("0.0", "1.5", "-1.5", "922337203685477.5807", "1.23456"), DECIMAL_TEXT),
  datetime: fc.oneof(fc.constantFrom("1970-01-01", "2024-02-29T12:00:00Z", "2024-01-01T00:00:00.123+0130"), DATETIME_TEXT),
  duration: fc.oneof(fc.constantFrom("1d", "-90m", "1h30m", "9223372036854775807ms"), DURATION_TEXT),
};
// Exactness probes: a record of integer literals read back by key and compared with a literal of
// the same digits written again (other trivia, maybe another minus), and a literal against itself.
const literalProbe: Text = fc.oneof(
  fc.uniqueArray(fc.constantFrom("a", "b", "c", "z", "n"), { minLength: 1, maxLength: 4 }).chain((keys) =>
    fc.tuple(fc.array(intLit, { minLength: keys.length, maxLength: keys.length }), fc.nat({ max: keys.length - 1 }), tr, fc.constantFrom("==", "!=", "<", ">=")).map(([lits, j, t, op]) => {
      const record = `{${keys.map((k, i) => `${k}: ${lits[i]}`).join(", ")}}`;
      return `${record}.${keys[j]}${t}${op} ${lits[j]}`;
    }),
  ),
  fc.tuple(intLit, tr, fc.constantFrom("==", "<=", "+", "*")).map(([lit, t, op]) => `${lit}${t}${op} ${lit}`),
);

const extCall: Text = fc.constantFrom(...Object.keys(EXT_STRINGS)).chain((fn) => seq(fn, tr, "(", tr, EXT_STRINGS[fn].chain(cedarString), tr, ")"));

const leaf: Text = fc.oneof(
  { weight: 4, arbitrary: intLit },
  { weight: 2, arbitrary: stringLit },
  { weight: 1, arbitrary: fc.constantFrom("true", "false") },
  { weight: 2, arbitrary: entityLit },
  { weight: 1, arbitrary: actionLit },
  { weight: 4, arbitrary: variable },
  { weight: 1, arbitrary: extCall },
);

// Probes of the JSON data at `v` and `w` (where contexts, attributes and tags put escape objects,
// mixed and near misses): tests whose answer depends on whether Cedar read an escape or a record.
const DATA_KEYS = ["v", "w"] as const;
const EXT_VALUES = ['decimal("1.5")', 'decimal("-1.5")', 'ip("10.0.0.1")', 'ip("::1")', 'datetime("2024-01-01")', 'duration("1d")', 'duration("-1h")'];
const dataRef: Text = fc.oneof(
  fc.tuple(fc.constantFrom("context", "principal", "resource"), fc.constantFrom(...DATA_KEYS)).map(([v, k]) => `${v}.${k}`),
  fc.tuple(fc.constantFrom("principal", "resource"), fc.constantFrom(...DATA_KEYS)).map(([v, k]) => `${v}.getTag("${k}")`),
);
const dataProbe: Text = fc.oneof(
  seq(dataRef, ws, "is", ws, fc.constantFrom(...TYPES)),
  seq(dataRef, ws, "has", ws, fc.constantFrom("x", "y", "__entity", "__extn", "__expr", "fn", "arg", "type", "id", "extra")),
  seq(dataRef, tr, fc.constantFrom("==", "!="), tr, fc.oneof(entityLit, fc.constantFrom(...EXT_VALUES), dataRef)),
  seq(dataRef, ws, "in", ws, entityLit),
  seq(dataRef, fc.constantFrom(".__entity.id", '["__extn"].fn', ".__entity", ".x", ".y", ".isIpv4()", ".lessThan(decimal(\"2.0\"))", " < datetime(\"2025-01-01\")", '.contains(1)')),
);

const BINARY = ["==", "!=", "<", "<=", ">", ">=", "&&", "||", "+", "-", "*"];
const METHODS0 = ["isEmpty", "isIpv4", "isIpv6", "isLoopback", "isMulticast", "toDate", "toTime", "toMilliseconds", "toDays"];
const METHODS1 = ["contains", "containsAll", "containsAny", "getTag", "hasTag", "isInRange", "lessThan", "greaterThanOrEqual", "offset", "durationSince"];
const PATTERNS = ['"*"', '"a*"', '"*b"', '"\\*"', '"é*😀"', '""', '"a**b"'];

/** A Cedar expression as text. Compound operands are parenthesized, so any nesting parses. */
export const exprText: Text = fc.letrec<{ expr: string }>((tie) => {
  const e = tie("expr");
  const operand = fc.oneof({ weight: 3, arbitrary: leaf }, { weight: 2, arbitrary: seq("(", tr, e, tr, ")") });
  const record = fc.uniqueArray(attrName, { maxLength: 3 }).chain((keys) =>
    fc.tuple(...keys.map((k) => seq(isIdent(k) ? fc.oneof(fc.constant(k), cedarString(k)) : cedarString(k), tr, ":", tr, e))).map((inits) => `{${inits.join(", ")}}`),
  );
  const set = fc.array(e, { maxLength: 3 }).map((xs) => `[${xs.join(", ")}]`);
  return {
    expr: fc.oneof(
      { depthSize: "small", maxDepth: 4, withCrossShrink: true },
      { weight: 4, arbitrary: leaf },
      { weight: 3, arbitrary: seq(operand, tr, fc.constantFrom(...BINARY), tr, operand) },
      { weight: 1, arbitrary: seq(operand, ws, "in", ws, operand) },
      { weight: 3, arbitrary: seq(operand, ws, "has", ws, hasTarget) },
      { weight: 1, arbitrary: seq(operand, ws, "like", ws, fc.constantFrom(...PATTERNS)) },
      { weight: 1, arbitrary: seq(operand, ws, "is", ws, fc.constantFrom(...TYPES), fc.option(seq(ws, "in", ws, operand), { nil: "" })) },
      { weight: 1, arbitrary: seq("if", ws, operand, ws, "then", ws, operand, ws, "else", ws, operand) },
      { weight: 1, arbitrary: seq(fc.constantFrom("!", "-"), tr, operand) },
      { weight: 2, arbitrary: seq(operand, access) },
      { weight: 1, arbitrary: seq(operand, tr, ".", tr, fc.constantFrom(...METHODS0), tr, "(", tr, ")") },
      { weight: 1, arbitrary: seq(operand, tr, ".", tr, fc.constantFrom(...METHODS1), tr, "(", tr, e, tr, ")") },
      { weight: 3, arbitrary: record },
      { weight: 2, arbitrary: literalProbe },
      { weight: 3, arbitrary: dataProbe },
      { weight: 1, arbitrary: seq("(", tr, record, tr, ")", access) },
      { weight: 2, arbitrary: set },
    ),
  };
}).expr;

const ANNOTATION_VALUES = ["", "a", "a\u2028b", "x\u2029", 'q"uote', "back\\slash", "😀", "*/ //", "line\nbreak", "\r", "\u0000"];
/** Annotations: `@id` (made unique per policy later via `@ID`) and others with any string or none. */
const annotations: Text = fc
  .tuple(
    fc.option(fc.constantFrom(...ANNOTATION_VALUES).chain((v) => seq("@id", tr, "(", tr, cedarString(v).map((lit) => lit.slice(0, -1) + '@ID"'), tr, ")", ws)), { nil: "" }),
    fc.uniqueArray(fc.constantFrom("note", "advice", "flag"), { maxLength: 2 }).chain((names) =>
      fc.tuple(...names.map((n) => fc.oneof(seq("@", n, ws), seq("@", n, "(", fc.constantFrom(...ANNOTATION_VALUES).chain(cedarString), ")", ws))))),
  )
  .map(([id, rest]) => id + rest.join(""));

const principalScope: Text = fc.oneof(
  { weight: 4, arbitrary: fc.constant("principal") },
  { weight: 1, arbitrary: seq("principal", tr, "==", tr, entityLit) },
  { weight: 1, arbitrary: seq("principal", ws, "in", ws, entityLit) },
  { weight: 1, arbitrary: seq("principal", ws, "is", ws, fc.constantFrom(...TYPES), fc.option(seq(ws, "in", ws, entityLit), { nil: "" })) },
);
const actionScope: Text = fc.oneof(
  { weight: 3, arbitrary: fc.constant("action") },
  { weight: 1, arbitrary: seq("action", tr, "==", tr, actionLit) },
  { weight: 1, arbitrary: seq("action", ws, "in", ws, actionLit) },
  { weight: 1, arbitrary: fc.array(actionLit, { minLength: 1, maxLength: 2 }).chain((xs) => seq("action", ws, "in", tr, `[${xs.join(", ")}]`)) },
);

/** One policy as text, annotations and conditions included. */
export const policyText: Text = seq(
  annotations,
  fc.constantFrom("permit", "forbid"),
  tr, "(", tr, principalScope, tr, ",", tr, actionScope, tr, ",", tr, principalScope.map((s) => s.replace(/^principal/, "resource")), tr, ")",
  fc.array(seq(ws, fc.constantFrom("when", "unless"), tr, "{", tr, fc.oneof({ weight: 3, arbitrary: exprText }, { weight: 1, arbitrary: dataProbe }), tr, "}"), { maxLength: 2 }).map((cs) => cs.join("")),
  tr, ";",
);

/** A policy set: policies separated by trivia, each `@ID` replaced by the policy's index. */
export const policySetText: Text = fc.tuple(tr, fc.array(fc.tuple(policyText, ws), { minLength: 1, maxLength: 4 })).map(([lead, ps]) => lead + ps.map(([p, sep], i) => p.replace("@ID", `#${i}`) + sep).join(""));

// ---- entities and contexts as raw JSON ----

const uidJson = fc.record({ type: fc.constantFrom(...TYPES), id: fc.constantFrom(...IDS) });
const SAFE_INTS = [0, 1, -1, 7, 2 ** 31, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 3037000499];

/** Escape objects: well formed, mixed with other keys, and near misses (Cedar reads those as records). */
const escapeJson = (inner: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => {
  const VALID: Record<string, string[]> = { ip: ["10.0.0.1", "::1", "10.0.0.0/8"], decimal: ["1.5", "-1.5"], datetime: ["2024-01-01"], duration: ["1d", "-1h"] };
  // valid arguments only: one bad constructor call anywhere makes Cedar refuse the whole request
  const extn = fc.constantFrom(...Object.keys(VALID)).chain((fn) => fc.constantFrom(...VALID[fn]).map((arg) => ({ fn, arg })));
  return fc.oneof(
    uidJson.map((u) => ({ __entity: u })),
    extn.map((e) => ({ __extn: e })),
    fc.tuple(uidJson, fc.constantFrom(...ATTRS), inner).map(([u, k, v]) => ({ __entity: u, [k]: v })),
    fc.tuple(extn, fc.constantFrom(...ATTRS), inner).map(([e, k, v]) => ({ [k]: v, __extn: e })),
    fc.tuple(uidJson, extn).map(([u, e]) => ({ __entity: u, __extn: e })),
    uidJson.map((u) => ({ __entity: { ...u, extra: 1 } })),
    uidJson.map((u) => ({ __entity: { type: u.type } })),
    uidJson.map((u) => ({ __entity: { type: u.type, id: 5 } })),
    uidJson.map((u) => ({ __entity: [u.type, u.id] })),
    extn.map((e) => ({ __extn: { fn: e.fn } })),
    extn.map((e) => ({ __extn: { fn: e.fn, args: [e.arg] } })),
    extn.map((e) => ({ __extn: { fn: e.fn, arg: e.arg, args: ["x", "y"] } })),
    extn.map((e) => ({ __extn: { fn: e.fn, arg: e.arg, note: true } })),
    extn.map((e) => ({ __extn: { fn: e.fn, args: e.arg } })),
    fc.constant({ __expr: "1 + 1", x: 1 }),
    fc.constant({ __expr: 1 }),
    fc.constant({ __entity: "User::\"a\"" }),
  );
};

/** A JSON value for an attribute, tag or context field (integers within ±(2^53−1), see below). */
export const rawValueArb: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(...SAFE_INTS),
    fc.constantFrom(...STRINGS),
    fc.boolean(),
    escapeJson(tie("value")),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...ATTRS), tie("value"), { maxKeys: 3 }),
  ),
})).value;

const UNIVERSE = [...TYPES.flatMap((type) => IDS.map((id) => ({ type, id }))), ...ACTIONS.map((id) => ({ type: "Action", id }))];
const rank = (u: { type: string; id: string }): number => UNIVERSE.findIndex((x) => x.type === u.type && x.id === u.id);
// an entity uid in either of Cedar's JSON forms
const uidForm = (u: { type: string; id: string }): fc.Arbitrary<unknown> => fc.constantFrom<unknown>(u, { __entity: u });

// A record of JSON data: random fields, and at `v` and `w` mostly escape objects of every kind.
const dataRecord = (maxKeys: number): fc.Arbitrary<Record<string, unknown>> =>
  fc
    .tuple(fc.dictionary(fc.constantFrom(...ATTRS), rawValueArb, { maxKeys }), ...DATA_KEYS.map(() => fc.option(fc.oneof({ weight: 3, arbitrary: escapeJson(rawValueArb) }, { weight: 1, arbitrary: rawValueArb }), { nil: undefined })))
    .map(([rest, ...data]) => {
      const out = { ...rest };
      DATA_KEYS.forEach((k, i) => {
        if (data[i] !== undefined) out[k] = data[i];
      });
      return out;
    });

/** Entities as JSON text: distinct uids, acyclic parents, attributes and tags from `rawValueArb`. */
export const entitiesJsonText: Text = fc
  .uniqueArray(fc.constantFrom(...UNIVERSE), { maxLength: 6, selector: (u) => `${u.type}::${u.id}` })
  .chain((uids) =>
    fc.tuple(
      ...uids.map((uid) => {
        const later = UNIVERSE.slice(rank(uid) + 1).filter((p) => (uid.type === "Action") === (p.type === "Action"));
        return fc.record(
          {
            uid: uidForm(uid),
            attrs: dataRecord(3),
            parents: later.length === 0 ? fc.constant([]) : fc.uniqueArray(fc.constantFrom(...later), { maxLength: 2, selector: (u) => `${u.type}::${u.id}` }).chain((ps) => fc.tuple(...ps.map(uidForm))),
            tags: dataRecord(1),
          },
          { requiredKeys: ["uid", "attrs", "parents"] },
        );
      }),
    ),
  )
  .map((es) => JSON.stringify(es));

/** A whole text case: policy text, entities and requests with contexts as JSON text. */
export const textCaseArb = fc.record({
  policies: policySetText,
  entities: entitiesJsonText,
  requests: fc.array(
    fc.record({
      principal: uidJson,
      action: fc.record({ type: fc.constant("Action"), id: fc.constantFrom(...ACTIONS) }),
      resource: uidJson,
      context: dataRecord(2).map((c) => JSON.stringify(c)),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

export type TextCase = typeof textCaseArb extends fc.Arbitrary<infer T> ? T : never;
