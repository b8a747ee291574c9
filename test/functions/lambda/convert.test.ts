import { describe, expect, it } from "vitest";
import { fromHttpEvent, fromRequestEvent, fromTokenEvent, iamPolicyResponse, parseMethodArn, simpleResponse } from "../../../functions/lambda/index.ts";
import type { Decision } from "../../../shared/pipeline/types.ts";
import type { DecisionReason } from "../../../shared/pipeline/reasons.ts";
import { loadEvent } from "./events.ts";

const allow: Decision = {
  allow: true,
  status: 200,
  reason: "allowed",
  decisionId: "5f0c6a9e-3a57-4c1b-9d6e-0d3b0b6f4a11",
  principal: { type: "User", id: "vera", tenant: "acme" },
  context: { principal: "vera", tenant: "acme" },
};
const deny = (status: 401 | 403 | 503, reason: DecisionReason): Decision => ({ allow: false, status, reason, decisionId: "d-1" });

describe("methodArn", () => {
  it("splits region, account, api, stage, method and path", () => {
    expect(parseMethodArn("arn:aws:execute-api:eu-west-1:123456789012:abc/prod/DELETE/tenants/a/orders/1")).toEqual({
      region: "eu-west-1", accountId: "123456789012", apiId: "abc", stage: "prod", method: "DELETE", path: "/tenants/a/orders/1",
    });
  });
  it("keeps a colon inside the path", () => {
    expect(parseMethodArn("arn:aws:execute-api:us-east-1:1:abc/test/GET/a:b/c")?.path).toBe("/a:b/c");
  });
  it("reads the root resource as `/`", () => {
    expect(parseMethodArn("arn:aws:execute-api:us-east-1:1:abc/test/GET/")?.path).toBe("/");
  });
  it.each([
    ["not a string", 42],
    ["another service", "arn:aws:lambda:us-east-1:1:abc/test/GET/x"],
    ["no method", "arn:aws:execute-api:us-east-1:1:abc/test"],
    ["no path", "arn:aws:execute-api:us-east-1:1:abc/test/GET"],
    ["empty stage", "arn:aws:execute-api:us-east-1:1:abc//GET/x"],
    ["too few fields", "arn:aws:execute-api:abc/test/GET/x"],
    ["overlong", `arn:aws:execute-api:us-east-1:1:abc/test/GET/${"a".repeat(5000)}`],
  ])("refuses %s", (_name, arn) => {
    expect(parseMethodArn(arn)).toBeUndefined();
  });
});

describe("REST TOKEN event", () => {
  it("takes method and path from the methodArn and the token as the Authorization header", () => {
    const converted = fromTokenEvent(loadEvent("rest-token", "abc.def.ghi"))!;
    expect(converted.methodArn).toBe("arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/tenants/acme/orders/o-17");
    expect(converted.input).toMatchObject({ platform: "lambda", method: "GET", path: "/tenants/acme/orders/o-17", headerCounts: { authorization: 1 } });
    expect(converted.input.headers.get("Authorization")).toBe("Bearer abc.def.ghi");
    expect(converted.input.headers.get("x-other")).toBeNull();
  });
  it("presents a missing token as no Authorization header", () => {
    const event = loadEvent("rest-token");
    delete event.authorizationToken;
    const converted = fromTokenEvent(event)!;
    expect(converted.input.headers.get("authorization")).toBeNull();
    expect(converted.input.headerCounts).toEqual({ authorization: 0 });
  });
  it("is unusable without a methodArn", () => {
    const event = loadEvent("rest-token");
    event.methodArn = null;
    expect(fromTokenEvent(event)).toBeUndefined();
  });
});

describe("REST REQUEST event", () => {
  it("translates the documented event", () => {
    const { input, methodArn } = fromRequestEvent(loadEvent("rest-request", "abc.def.ghi"))!;
    expect(methodArn).toMatch(/\/test\/GET\/tenants\/acme\/orders\/o-17$/);
    expect(input).toMatchObject({
      platform: "lambda", method: "GET", path: "/tenants/acme/orders/o-17", query: "expand=items",
      clientIp: "203.0.113.7", requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", headerCounts: { authorization: 1 },
    });
    expect(input.headers.get("authorization")).toBe("Bearer abc.def.ghi");
    expect(input.headers.get("cloudfront-viewer-country")).toBe("US");
  });
  it("decides on the methodArn's method and path, not on `httpMethod` and `path`", () => {
    const event = loadEvent("rest-request");
    event.path = "/v1/tenants/acme/orders/o-17";
    event.httpMethod = "POST";
    expect(fromRequestEvent(event)!.input).toMatchObject({ method: "GET", path: "/tenants/acme/orders/o-17" });
  });
  it("re-encodes repeated query parameters", () => {
    const event = loadEvent("rest-request");
    event.multiValueQueryStringParameters = { access_token: ["a b", "c&d"] };
    expect(fromRequestEvent(event)!.input.query).toBe("access_token=a%20b&access_token=c%26d");
  });
  it("falls back to the single-value maps when the multi-value ones are absent", () => {
    const event = loadEvent("rest-request", "t");
    delete event.multiValueHeaders;
    delete event.multiValueQueryStringParameters;
    const { input } = fromRequestEvent(event)!;
    expect(input.headers.get("AUTHORIZATION")).toBe("Bearer t");
    expect(input.query).toBe("expand=items");
  });
  it.each([
    ["headers null", { headers: null, multiValueHeaders: null }],
    ["headers an array", { headers: ["Authorization"], multiValueHeaders: [] }],
    ["header values of the wrong type", { headers: { Authorization: 42 }, multiValueHeaders: { Authorization: "Bearer x" } }],
  ])("survives %s, as no credential", (_name, patch) => {
    const converted = fromRequestEvent({ ...loadEvent("rest-request"), ...patch })!;
    expect(converted.input.method).toBe("GET");
    expect(converted.input.headers.get("authorization")).toBeNull();
  });
  it.each([
    ["requestContext null", { requestContext: null }],
    ["identity a string", { requestContext: { identity: "x", requestId: 7 } }],
  ])("survives %s, without client ip or request id", (_name, patch) => {
    const converted = fromRequestEvent({ ...loadEvent("rest-request"), ...patch })!;
    expect(converted.input.clientIp).toBeUndefined();
    expect(converted.input.requestId).toBeUndefined();
  });
  it("counts a second Authorization line, whatever its case", () => {
    const event = loadEvent("rest-request", "t");
    event.multiValueHeaders = { Authorization: ["Bearer t"], authorization: ["Bearer u"] };
    expect(fromRequestEvent(event)!.input.headerCounts).toEqual({ authorization: 2 });
  });
});

describe("HTTP API payload 2.0 event", () => {
  it("translates the documented event", () => {
    const { input, identitySource, contextPath } = fromHttpEvent(loadEvent("http-v2", "abc.def.ghi"));
    expect(input).toMatchObject({
      platform: "lambda", method: "GET", path: "/tenants/acme/orders/o-17", query: "expand=items&expand=customer",
      clientIp: "203.0.113.7", requestId: "JKJaXmPLvHcESHA=", headerCounts: { authorization: 1 },
    });
    expect(input.headers.get("Authorization")).toBe("Bearer abc.def.ghi");
    expect(input.headers.get("cookie")).toBe("session=abc123; theme=dark");
    expect(identitySource).toEqual(["Bearer abc.def.ghi", "GET", "/tenants/acme/orders/o-17"]);
    expect(contextPath).toBe("/tenants/acme/orders/o-17");
  });
  it("keeps percent-encoding in the path for the pipeline to normalise", () => {
    const event = loadEvent("http-v2");
    event.rawPath = "/tenants/a/orders/%2e%2e%2Fadmin";
    expect(fromHttpEvent(event).input.path).toBe("/tenants/a/orders/%2e%2e%2Fadmin");
  });
  it("drops a named stage's prefix from the path", () => {
    const event = loadEvent("http-v2");
    event.requestContext.stage = "prod";
    event.rawPath = "/prod/tenants/acme/orders";
    expect(fromHttpEvent(event).input.path).toBe("/tenants/acme/orders");
  });
  it("survives an event with every part missing", () => {
    const { input, identitySource } = fromHttpEvent({ version: "2.0" });
    expect(input).toMatchObject({ method: "", path: "", query: "" });
    expect(input.headers.get("authorization")).toBeNull();
    expect(identitySource).toEqual([]);
  });
});

describe("answers", () => {
  const arn = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/tenants/acme/orders/o-17";
  it("allows exactly the methodArn, with principal and flat context", () => {
    expect(iamPolicyResponse(allow, arn)).toEqual({
      principalId: "vera",
      policyDocument: { Version: "2012-10-17", Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: [arn] }] },
      context: { decisionId: allow.decisionId, reason: "allowed", principal: "vera", tenant: "acme" },
    });
  });
  it("throws `Unauthorized` for an authentication failure (API Gateway's 401)", () => {
    expect(() => iamPolicyResponse(deny(401, "expired"), arn)).toThrow(new Error("Unauthorized"));
  });
  it.each([[403, "policy_denied"], [503, "revocation_unavailable"]] as const)("answers an explicit Deny on the methodArn for %i", (status, reason) => {
    const answer = iamPolicyResponse(deny(status, reason), arn);
    expect(answer.policyDocument.Statement).toEqual([{ Action: "execute-api:Invoke", Effect: "Deny", Resource: [arn] }]);
    expect(answer.principalId).toBe("anonymous");
    expect(answer.context.reason).toBe(reason);
  });
  it("drops context values API Gateway would refuse", () => {
    const odd = { ...allow, context: { ok: "yes", nested: { a: 1 }, list: [1], nan: Number.NaN, n: 3, b: false } as never };
    expect(simpleResponse(odd)).toEqual({ isAuthorized: true, context: { decisionId: allow.decisionId, reason: "allowed", ok: "yes", n: 3, b: false } });
  });
  it("answers a simple deny for every denial status", () => {
    for (const status of [401, 403, 503] as const) expect(simpleResponse(deny(status, "policy_denied")).isAuthorized).toBe(false);
  });
});
