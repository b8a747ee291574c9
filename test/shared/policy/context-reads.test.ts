import { describe, expect, it } from "vitest";
import type { ExprIr } from "../../../shared/policy/bundle/index.ts";
import { contextAttributesOf } from "../../../shared/policy/context-reads.ts";
import { compilePolicies } from "../../../tools/compiler/index.ts";

// The IR of Cedar policy text, as the compiler emits it
function irOf(text: string) {
  return compilePolicies({ policies: text }).ir.policies;
}

function readsOf(text: string): string[] | null {
  const names = contextAttributesOf(irOf(text));
  return names === null ? null : [...names].sort();
}

const CONTEXT: ExprIr = ["var", "context"];

describe("contextAttributesOf: attributes read", () => {
  it("finds `context.name` and `context has name`", () => {
    expect(readsOf('permit (principal, action, resource) when { context.geo.country == "NZ" };')).toEqual(["geo"]);
    expect(readsOf("permit (principal, action, resource) when { context has acr };")).toEqual(["acr"]);
    // `context has geo.country` tests `context has geo`, then `context.geo has country`
    expect(readsOf("permit (principal, action, resource) when { context has geo.country };")).toEqual(["geo"]);
    expect(readsOf('permit (principal, action, resource) unless { context.amr.contains("mfa") };')).toEqual(["amr"]);
  });

  it("finds them nested in every operand form", () => {
    const text = [
      "permit (principal, action, resource) when { (context.a || !context.b) && (if context.c then context.d else [context.e].contains(context.f)) };",
      "permit (principal, action, resource) when { { x: context.g } == { x: 1 } && context.ip.isInRange(ip(\"10.0.0.0/8\")) };",
      'permit (principal, action, resource) when { context.h like "a*" && context.k is User && principal in context.l };',
      "permit (principal, action, resource) when { principal.hasTag(context.m) && principal.getTag(context.n) == -context.o };",
      "forbid (principal, action, resource) unless { context.p.isEmpty() && context.q.containsAll(context.r) && context.s < 3 + context.t };",
    ].join("\n");
    expect(readsOf(text)).toEqual(["a", "b", "c", "d", "e", "f", "g", "h", "ip", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t"]);
  });

  it("walks calls, failing calls and constants in hand-written IR", () => {
    const policy = (condition: ExprIr) => [{ conditions: [condition] }];
    expect(contextAttributesOf(policy(["call", "isIpv4", [["attr", CONTEXT, "ip"]]]))).toEqual(new Set(["ip"]));
    expect(contextAttributesOf(policy(["fail", "wrong number of arguments", [["attr", CONTEXT, "x"], ["lit", 1]]]))).toEqual(new Set(["x"]));
    expect(contextAttributesOf(policy(["const", ["set", [["lit", 1]]]]))).toEqual(new Set());
    expect(contextAttributesOf(policy(["record", [["a", ["has", CONTEXT, "y"]]]]))).toEqual(new Set(["y"]));
  });
});

describe("contextAttributesOf: context used whole", () => {
  it("answers null when `context` is compared, put in a set or record, or read through", () => {
    expect(readsOf("permit (principal, action, resource) when { context == {} };")).toBeNull();
    expect(readsOf("permit (principal, action, resource) when { [context].isEmpty() };")).toBeNull();
    expect(readsOf("permit (principal, action, resource) when { { c: context }.c has geo };")).toBeNull();
    expect(readsOf("permit (principal, action, resource) when { (if true then context else context).geo == 1 };")).toBeNull();
    // one such use anywhere in the set decides for the whole set
    expect(readsOf("permit (principal, action, resource) when { context.a };\nforbid (principal, action, resource) when { context == {} };")).toBeNull();
  });

  it("answers null when `context` is passed to a function, or for an operation it does not know", () => {
    expect(contextAttributesOf([{ conditions: [["call", "isIpv4", [CONTEXT]]] }])).toBeNull();
    expect(contextAttributesOf([{ conditions: [["and", ["lit", true], CONTEXT]] }])).toBeNull();
    expect(contextAttributesOf([{ conditions: [["someday", ["attr", CONTEXT, "geo"]] as unknown as ExprIr] }])).toBeNull();
  });
});

describe("contextAttributesOf: no context", () => {
  it("answers an empty set for policies that never mention context", () => {
    expect(readsOf("permit (principal, action, resource) when { principal.tenant == resource.tenant };")).toEqual([]);
    expect(readsOf('permit (principal == User::"a", action, resource);')).toEqual([]);
    expect(contextAttributesOf([])).toEqual(new Set());
  });
});
