// One differential check: the compiled module against cedar-wasm's `isAuthorized` on the same
// policies (as text, through the build's parse path), entities and requests.
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import type { PolicyJson } from "@cedar-policy/cedar-wasm/nodejs";
import fc from "fast-check";
import type { CedarRequest, EntityJson, PolicyResult } from "../../shared/policy/index.ts";
import { compilePolicies, loadPolicyModule, parseJsonLossless, PolicyCompileError } from "../../tools/compiler/index.ts";
import { textFeatures } from "./text-features.ts";
import { textCaseArb, type TextCase } from "./text-arbitraries.ts";
import { caseArb, DATETIME_TEXT, DECIMAL_TEXT, DURATION_TEXT, IP_TEXT, type DifferentialCase } from "./arbitraries.ts";

/** How the case's entities reach the compiled set. */
export type EntityPlacement = "static" | "request" | "split";

const sorted = (xs: string[]): string[] => [...new Set(xs)].sort();

/**
 * Checks one case; returns a description of the first difference, or undefined when the
 * compiled module agrees with Cedar on every request (or Cedar cannot take the case).
 */
export async function checkCase(c: DifferentialCase, placement: EntityPlacement): Promise<string | undefined> {
  const texts: string[] = [];
  for (const est of c.policies) {
    const t = cedar.policyToText(est as unknown as PolicyJson);
    if (t.type === "failure") return undefined;
    texts.push(t.text);
  }
  const text = texts.join("\n");
  const entities = c.entities as EntityJson[];
  const half = Math.ceil(entities.length / 2);
  const staticEntities = placement === "static" ? entities : placement === "split" ? entities.slice(0, half) : [];
  const requestEntities = placement === "static" ? [] : placement === "split" ? entities.slice(half) : entities;
  let set;
  try {
    set = await loadPolicyModule(compilePolicies({ policies: [{ file: "fuzz.cedar", text }], entities: staticEntities, idMode: "cedar" }).source);
  } catch (e) {
    const parsed = cedar.checkParsePolicySet({ staticPolicies: text });
    if (parsed.type === "failure" && e instanceof PolicyCompileError) return undefined;
    return `compile failed: ${(e as Error).message}\n${text}`;
  }
  for (const r of c.requests) {
    const want = cedar.isAuthorized({ ...(r as unknown as cedar.AuthorizationCall), policies: { staticPolicies: text }, entities: c.entities as cedar.Entities });
    if (want.type === "failure") continue; // e.g. entity data Cedar rejects as a whole
    const diff = compareOutcome(want.response, set.evaluate(r as CedarRequest, requestEntities));
    if (diff !== undefined) return [`placement: ${placement}`, `policies:\n${text}`, `entities: ${JSON.stringify(c.entities)}`, `request: ${JSON.stringify(r)}`, diff].join("\n");
  }
  return undefined;
}

// Decision, determining policies and errored policies of both sides, or undefined when equal.
// `idOf` maps a compiled policy id back to Cedar's generated one.
function compareOutcome(want: cedar.Response, got: PolicyResult, idOf = (id: string): string => id): string | undefined {
  const wantErrors = sorted(want.diagnostics.errors.map((e) => e.policyId));
  const gotErrors = sorted(got.errors.map((e) => idOf(e.policy)));
  const wantReasons = sorted(want.diagnostics.reason);
  const gotReasons = sorted(got.reasons.map(idOf));
  if (want.decision === got.decision && JSON.stringify(wantReasons) === JSON.stringify(gotReasons) && JSON.stringify(wantErrors) === JSON.stringify(gotErrors)) return undefined;
  return [
    `cedar:    ${want.decision} reasons=${JSON.stringify(wantReasons)} errors=${JSON.stringify(wantErrors)} ${want.diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`).join(" | ")}`,
    `compiled: ${got.decision} reasons=${JSON.stringify(gotReasons)} errors=${JSON.stringify(gotErrors)} ${got.errors.map((e) => `${e.policy}: ${e.message}`).join(" | ")}`,
  ].join("\n");
}

/** What the text runs covered: cases, requests compared, and cases per feature group. */
export interface TextStats {
  cases: number;
  /** Cases whose policy text Cedar refused, and the compiler too. */
  refusedByBoth: number;
  /** Requests decided by both sides and compared. */
  requests: number;
  /** Requests Cedar refused as a whole (entity or context data it rejects): not comparable. */
  requestsRefused: number;
  decisions: Record<string, number>;
  /** Compared requests where Cedar reported at least one erroring policy. */
  withErrors: number;
  features: Record<string, number>;
}

export const textStats: TextStats = { cases: 0, refusedByBoth: 0, requests: 0, requestsRefused: 0, decisions: {}, withErrors: 0, features: {} };

/**
 * Checks one text case (policy text; entities and contexts as JSON text) in annotation id mode,
 * so `@id` strings reach the generated module. Both sides must refuse the same policy texts.
 */
export async function checkTextCase(c: TextCase, placement: EntityPlacement): Promise<string | undefined> {
  textStats.cases++;
  for (const f of textFeatures(c)) textStats.features[f] = (textStats.features[f] ?? 0) + 1;
  const cedarRefuses = cedar.checkParsePolicySet({ staticPolicies: c.policies }).type === "failure";
  // Cedar's side reads JSON with JSON.parse (cedar-wasm takes no bigint), the compiled side losslessly
  const entities = JSON.parse(c.entities) as EntityJson[];
  const lossless = parseJsonLossless(c.entities) as EntityJson[];
  const half = Math.ceil(lossless.length / 2);
  const staticEntities = placement === "static" ? lossless : placement === "split" ? lossless.slice(0, half) : [];
  const requestEntities = placement === "static" ? [] : placement === "split" ? lossless.slice(half) : lossless;
  let set;
  try {
    set = await loadPolicyModule(compilePolicies({ policies: [{ file: "fuzz.cedar", text: c.policies }], entities: staticEntities }).source);
  } catch (e) {
    if (cedarRefuses && e instanceof PolicyCompileError) {
      textStats.refusedByBoth++;
      return undefined;
    }
    return `compile failed (${cedarRefuses ? "Cedar refuses too" : "Cedar accepts"}): ${(e as Error).message}\n${c.policies}`;
  }
  if (cedarRefuses) return `compiled policy text Cedar refuses:\n${c.policies}`;
  const cedarIdOf = new Map(set.policies.map((p) => [p.id, p.cedarId]));
  for (const r of c.requests) {
    const context = JSON.parse(r.context) as cedar.Context;
    const want = cedar.isAuthorized({ principal: r.principal, action: r.action, resource: r.resource, context, policies: { staticPolicies: c.policies }, entities: entities as cedar.Entities });
    if (want.type === "failure") {
      textStats.requestsRefused++;
      continue;
    }
    textStats.requests++;
    textStats.decisions[want.response.decision] = (textStats.decisions[want.response.decision] ?? 0) + 1;
    if (want.response.diagnostics.errors.length > 0) textStats.withErrors++;
    const request = { ...r, context: parseJsonLossless(r.context) } as CedarRequest;
    const diff = compareOutcome(want.response, set.evaluate(request, requestEntities), (id) => cedarIdOf.get(id) ?? id);
    if (diff !== undefined) return [`placement: ${placement}`, `policies:\n${c.policies}`, `entities: ${c.entities}`, `request: ${JSON.stringify(r)}`, diff].join("\n");
  }
  return undefined;
}

/** The fast-check property over text cases. */
export function textProperty(): fc.IAsyncProperty<[TextCase, EntityPlacement]> {
  return fc.asyncProperty(textCaseArb, fc.constantFrom<EntityPlacement>("static", "request", "split"), async (c, placement) => {
    const diff = await checkTextCase(c, placement);
    if (diff !== undefined) throw new Error(`compiled module differs from cedar-wasm:\n${diff}`);
  });
}

/** The fast-check property: compiled and Cedar agree on every generated case. */
export function differentialProperty(): fc.IAsyncProperty<[DifferentialCase, EntityPlacement]> {
  return fc.asyncProperty(caseArb, fc.constantFrom<EntityPlacement>("static", "request", "split"), async (c, placement) => {
    const diff = await checkCase(c, placement);
    if (diff !== undefined) throw new Error(`compiled module differs from cedar-wasm:\n${diff}`);
  });
}

// Policies probing one extension-constructor string: whether it parses, and how its value
// compares with a few references.
const PROBES: Record<string, (s: string) => string[]> = {
  ip: (s) => [
    `ip(${s}) == ip(${s})`,
    `ip(${s}).isIpv4()`,
    `ip(${s}).isLoopback()`,
    `ip(${s}).isMulticast()`,
    ...["0.0.0.0/0", "10.0.0.0/8", "::/0", "ff00::/8", "1.2.3.4"].map((r) => `ip(${s}).isInRange(ip("${r}"))`),
    `ip("10.0.0.0/8").isInRange(ip(${s}))`,
    `ip(${s}) == ip("10.0.0.1")`,
  ],
  decimal: (s) => ["0.0", "-1.5", "922337203685477.5807", "1.0001"].flatMap((r) => [`decimal(${s}).lessThan(decimal("${r}"))`, `decimal(${s}) == decimal("${r}")`]),
  datetime: (s) => [
    ...["1970-01-01", "2024-02-29T12:00:00Z", "0000-01-01", "9999-12-31T23:59:59.999Z"].flatMap((r) => [`datetime(${s}) < datetime("${r}")`, `datetime(${s}) == datetime("${r}")`]),
    `datetime(${s}).toTime() < duration("12h")`,
    `datetime(${s}).toDate() == datetime("2024-02-29")`,
  ],
  duration: (s) => [
    ...["0ms", "-1ms", "1d", "-9223372036854775808ms", "9223372036854775807ms"].flatMap((r) => [`duration(${s}) < duration("${r}")`, `duration(${s}) == duration("${r}")`]),
    `duration(${s}).toDays() == 0`,
    `duration(${s}).toHours() < 0`,
  ],
};

/** Differential check of the extension parsers on near-valid strings. */
export function parserProperty(): fc.IAsyncProperty<[[string, string]]> {
  const arb = fc.oneof(
    IP_TEXT.map((s) => ["ip", s] as [string, string]),
    DECIMAL_TEXT.map((s) => ["decimal", s] as [string, string]),
    DATETIME_TEXT.map((s) => ["datetime", s] as [string, string]),
    DURATION_TEXT.map((s) => ["duration", s] as [string, string]),
  );
  return fc.asyncProperty(arb, async ([fn, str]) => {
    const text = PROBES[fn](JSON.stringify(str))
      .map((cond) => `permit (principal, action, resource) when { ${cond} };`)
      .join("\n");
    const set = await loadPolicyModule(compilePolicies({ policies: text, idMode: "cedar" }).source);
    const r = { principal: { type: "U", id: "a" }, action: { type: "A", id: "a" }, resource: { type: "R", id: "a" }, context: {} };
    const want = cedar.isAuthorized({ ...r, policies: { staticPolicies: text }, entities: [] });
    if (want.type === "failure") throw new Error(`cedar-wasm failed on ${fn}(${JSON.stringify(str)})`);
    const got = set.evaluate(r);
    const a = JSON.stringify([want.response.decision, sorted(want.response.diagnostics.reason), sorted(want.response.diagnostics.errors.map((e) => e.policyId))]);
    const b = JSON.stringify([got.decision, sorted(got.reasons), sorted(got.errors.map((e) => e.policy))]);
    if (a !== b) throw new Error(`${fn}(${JSON.stringify(str)}): cedar ${a}, compiled ${b}\n${got.errors.map((e) => e.message).join(" | ")}`);
  });
}
