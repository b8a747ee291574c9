import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createLambdaHandler, type Authorize } from "../../../functions/lambda/index.ts";
import type { RefusalReason, RefusedRequest } from "../../../shared/pipeline/refuse.ts";
import type { AuthorizeInput, Decision, DecisionStatus } from "../../../shared/pipeline/types.ts";
import { loadEvent, retarget } from "./events.ts";

// A stand-in for the pipeline that decides from the input alone, so these tests pin the adapter:
// which input it builds and which answer it gives for each kind of decision. The real pipeline
// runs in lambda.e2e.test.ts.
function scripted(): Authorize & { seen: AuthorizeInput[]; refused: string[] } {
  const seen: AuthorizeInput[] = [];
  const authorize = async (input: AuthorizeInput): Promise<Decision> => {
    seen.push(input);
    const base = { decisionId: `d-${seen.length}` };
    if (input.headers.get("authorization") !== "Bearer good") return { ...base, allow: false, status: 401, reason: "missing_token" };
    if (input.path.startsWith("/admin")) return { ...base, allow: false, status: 403, reason: "policy_denied" };
    if (input.path.startsWith("/down")) return { ...base, allow: false, status: 503, reason: "revocation_unavailable" };
    return { ...base, allow: true, status: 200, reason: "allowed", principal: { type: "User", id: "vera" }, context: { tenant: "acme" } };
  };
  return withRefuse(authorize, seen);
}

// The Authorizer's `refuse`, recorded: each refusal is one decision the adapter made before the pipeline
function withRefuse(decide: (input: AuthorizeInput) => Promise<Decision>, seen: AuthorizeInput[] = []) {
  const refused: string[] = [];
  const refuse = (_request: RefusedRequest, reason: RefusalReason, status: DecisionStatus = 403): Decision => {
    refused.push(reason);
    return { allow: false, status, reason, decisionId: `r-${refused.length}`, context: { decisionId: `r-${refused.length}` } };
  };
  return Object.assign(decide, { refuse, refused, seen });
}

const arnOf = (event: Record<string, any>) => event.methodArn as string;

describe("REST authorizers", () => {
  for (const name of ["rest-token", "rest-request"] as const) {
    describe(name, () => {
      it("allows exactly the methodArn", async () => {
        const event = loadEvent(name, "good");
        const answer = await createLambdaHandler(scripted())(event);
        expect(answer).toMatchObject({ principalId: "vera", context: { decisionId: "d-1", reason: "allowed", tenant: "acme" } });
        expect("policyDocument" in answer && answer.policyDocument.Statement).toEqual([{ Action: "execute-api:Invoke", Effect: "Allow", Resource: [arnOf(event)] }]);
      });
      it("throws `Unauthorized` when authentication fails", async () => {
        await expect(createLambdaHandler(scripted())(loadEvent(name, "bad"))).rejects.toThrow(new Error("Unauthorized"));
      });
      it("answers an explicit Deny for a policy denial", async () => {
        const event = retarget(loadEvent(name, "good"), "GET", "/admin/audit");
        const answer = await createLambdaHandler(scripted())(event);
        expect("policyDocument" in answer && answer.policyDocument.Statement[0]).toEqual({ Action: "execute-api:Invoke", Effect: "Deny", Resource: [arnOf(event)] });
      });
      it("answers an explicit Deny when a dependency is down", async () => {
        const answer = await createLambdaHandler(scripted())(retarget(loadEvent(name, "good"), "GET", "/down"));
        expect("policyDocument" in answer && answer.policyDocument.Statement[0].Effect).toBe("Deny");
        expect(answer.context.reason).toBe("revocation_unavailable");
      });
    });
  }
});

describe("HTTP API authorizer", () => {
  it("answers isAuthorized with flat context", async () => {
    expect(await createLambdaHandler(scripted())(loadEvent("http-v2", "good"))).toEqual({
      isAuthorized: true, context: { decisionId: "d-1", reason: "allowed", tenant: "acme" },
    });
  });
  it.each([["bad", "/tenants/acme/orders"], ["good", "/admin/audit"], ["good", "/down"]])("denies (token %s, %s) with isAuthorized false", async (token, path) => {
    const answer = await createLambdaHandler(scripted())(retarget(loadEvent("http-v2", token), "GET", path));
    expect(answer).toMatchObject({ isAuthorized: false });
  });
});

describe("security", () => {
  it("denies an HTTP API request whose identity sources leave out the route, without deciding", async () => {
    const authorize = scripted();
    const warnings: string[] = [];
    const handler = createLambdaHandler(authorize, { warn: (m) => warnings.push(m) });
    const event = loadEvent("http-v2", "good");
    event.identitySource = ["Bearer good"];
    expect(await handler(event)).toEqual({ isAuthorized: false, context: { decisionId: "r-1", reason: "cache_key_unbound" } });
    expect(await handler(event)).toMatchObject({ isAuthorized: false });
    expect(authorize.seen).toHaveLength(0);
    expect(authorize.refused).toEqual(["cache_key_unbound", "cache_key_unbound"]);
    expect(warnings).toHaveLength(1);
  });
  it("denies when the identity sources name another path than the request's", async () => {
    const event = loadEvent("http-v2", "good");
    event.identitySource = ["Bearer good", "GET", "/tenants/acme/orders"];
    expect(await createLambdaHandler(scripted(), { warn: () => {} })(event)).toMatchObject({ isAuthorized: false, context: { reason: "cache_key_unbound" } });
  });
  it("skips the identity-source check when told caching is off", async () => {
    const event = loadEvent("http-v2", "good");
    event.identitySource = ["Bearer good"];
    expect(await createLambdaHandler(scripted(), { httpApiCache: "off" })(event)).toMatchObject({ isAuthorized: true });
  });
  it("counts a repeated Authorization header for the pipeline to refuse", async () => {
    const authorize = scripted();
    const event = loadEvent("rest-request", "good");
    event.multiValueHeaders.Authorization = ["Bearer good", "Bearer other"];
    await createLambdaHandler(authorize)(event).catch(() => undefined);
    expect(authorize.seen[0].headerCounts).toEqual({ authorization: 2 });
  });
  it("fails closed when the pipeline itself throws", async () => {
    const handler = createLambdaHandler(withRefuse(async () => { throw new Error("boom"); }));
    const rest = await handler(loadEvent("rest-request", "good"));
    expect("policyDocument" in rest && rest.policyDocument.Statement[0].Effect).toBe("Deny");
    expect(rest.context.reason).toBe("internal_error");
    expect(await handler(loadEvent("http-v2", "good"))).toMatchObject({ isAuthorized: false, context: { reason: "internal_error" } });
  });
  it("flushes after every decision, before answering", async () => {
    const order: string[] = [];
    const handler = createLambdaHandler(withRefuse(async (input) => { order.push("decide"); return scripted()(input); }), { flush: async () => { order.push("flush"); } });
    await handler(loadEvent("http-v2", "good"));
    await handler(loadEvent("rest-token", "bad")).catch(() => order.push("answer"));
    expect(order).toEqual(["decide", "flush", "decide", "flush", "answer"]);
  });
  it("answers even when the flush fails", async () => {
    const handler = createLambdaHandler(scripted(), { flush: async () => { throw new Error("sink down"); } });
    expect(await handler(loadEvent("http-v2", "good"))).toMatchObject({ isAuthorized: true });
  });
});

describe("malformed events", () => {
  it.each([
    ["null", null], ["a string", "GET /"], ["a number", 42], ["an array", [loadEvent("rest-token")]], ["an empty object", {}],
    ["an unknown type", { type: "COGNITO", methodArn: arnOf(loadEvent("rest-token")) }],
  ])("throws only `Unauthorized` for %s", async (_name, event) => {
    await expect(createLambdaHandler(scripted())(event)).rejects.toThrow(new Error("Unauthorized"));
  });
  it.each(["rest-token", "rest-request"] as const)("throws `Unauthorized` for %s without a methodArn", async (name) => {
    const event = loadEvent(name, "good");
    delete event.methodArn;
    await expect(createLambdaHandler(scripted())(event)).rejects.toThrow(new Error("Unauthorized"));
  });
  it("denies an HTTP API event with null parts", async () => {
    const event = { ...loadEvent("http-v2", "good"), headers: null, requestContext: null, identitySource: null, cookies: null };
    expect(await createLambdaHandler(scripted(), { warn: () => {} })(event)).toMatchObject({ isAuthorized: false });
  });
  it("never throws anything but `Unauthorized`, never allows without the token, for arbitrary JSON", async () => {
    const handler = createLambdaHandler(scripted(), { warn: () => {} });
    const shapes = fc.oneof(
      fc.jsonValue(),
      fc.record({ type: fc.constantFrom("TOKEN", "REQUEST"), methodArn: fc.oneof(fc.string(), fc.constant(arnOf(loadEvent("rest-token")))), headers: fc.jsonValue(), multiValueHeaders: fc.jsonValue(), authorizationToken: fc.jsonValue() }),
      fc.record({ version: fc.constant("2.0"), identitySource: fc.jsonValue(), headers: fc.jsonValue(), requestContext: fc.jsonValue(), rawPath: fc.jsonValue(), cookies: fc.jsonValue() }),
    );
    await fc.assert(fc.asyncProperty(shapes, async (event) => {
      try {
        const answer = await handler(event);
        if ("isAuthorized" in answer) expect(answer.isAuthorized).toBe(false);
        else expect(answer.policyDocument.Statement.every((s) => s.Effect === "Deny")).toBe(true);
      } catch (error) {
        expect(error).toEqual(new Error("Unauthorized"));
      }
    }), { numRuns: 300 });
  });
});
