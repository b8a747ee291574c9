// The Lambda adapter over the real pipeline: example policies compiled, real tokens, the AWS-shaped events.
import { describe, expect, it } from "vitest";
import { createLambdaHandler, type IamPolicyResponse } from "../../../functions/lambda/index.ts";
import { createTestPipeline } from "../../harness/gatehouse-pipeline.ts";
import { loadEvent, retarget } from "./events.ts";

async function setup() {
  const pipeline = await createTestPipeline();
  const handler = createLambdaHandler(pipeline.authorize, { flush: () => pipeline.authorize.flush() });
  return { ...pipeline, handler };
}
const statement = (answer: unknown) => (answer as IamPolicyResponse).policyDocument.Statement;

describe("REST TOKEN and REQUEST authorizers", () => {
  for (const name of ["rest-token", "rest-request"] as const) {
    describe(name, () => {
      it("allows a viewer to read an order of their tenant, on exactly the methodArn", async () => {
        const { handler, mint, audit } = await setup();
        const event = loadEvent(name, await mint());
        const answer = (await handler(event)) as IamPolicyResponse;
        expect(answer.principalId).toBe("vera");
        expect(statement(answer)).toEqual([{ Action: "execute-api:Invoke", Effect: "Allow", Resource: [event.methodArn] }]);
        expect(answer.context).toMatchObject({ reason: "allowed", decisionId: audit.records[0].decision_id });
        for (const value of Object.values(answer.context)) expect(["string", "number", "boolean"]).toContain(typeof value);
        expect(audit.records).toHaveLength(1);
        expect(audit.records[0]).toMatchObject({ platform: "lambda", method: "GET", decision: "allow" });
      });
      it("answers a Deny policy when the policies deny (viewer deletes)", async () => {
        const { handler, mint, audit } = await setup();
        const event = retarget(loadEvent(name, await mint()), "DELETE", "/tenants/acme/orders/o-17");
        expect(statement(await handler(event))).toEqual([{ Action: "execute-api:Invoke", Effect: "Deny", Resource: [event.methodArn] }]);
        expect(audit.records[0]).toMatchObject({ decision: "deny", decision_reason: "policy_denied" });
      });
      it("answers a Deny policy for another tenant's order", async () => {
        const { handler, mint } = await setup();
        const event = retarget(loadEvent(name, await mint()), "GET", "/tenants/globex/orders/o-1");
        expect(statement(await handler(event))[0].Effect).toBe("Deny");
      });
      it("throws `Unauthorized` without a token", async () => {
        const { handler, audit } = await setup();
        const event = loadEvent(name, "");
        event.authorizationToken = "";
        if (event.headers) { delete event.headers.Authorization; delete event.multiValueHeaders.Authorization; }
        await expect(handler(event)).rejects.toThrow(new Error("Unauthorized"));
        expect(audit.records[0]).toMatchObject({ decision: "deny", decision_reason: "missing_token" });
      });
      it("throws `Unauthorized` for an expired token", async () => {
        const { handler, mint, clock, audit } = await setup();
        const token = await mint({}, 60);
        clock.advance(10 * 60_000);
        await expect(handler(loadEvent(name, token))).rejects.toThrow(new Error("Unauthorized"));
        expect(audit.records[0].decision_reason).toBe("expired");
      });
      it("throws `Unauthorized` for a revoked subject", async () => {
        const { handler, mint, revokeSubject, clock } = await setup();
        const token = await mint();
        await revokeSubject("vera");
        clock.advance(2000);
        await expect(handler(loadEvent(name, token))).rejects.toThrow(new Error("Unauthorized"));
      });
    });
  }
  it("refuses a duplicate Authorization header (REQUEST)", async () => {
    const { handler, mint } = await setup();
    const token = await mint();
    const event = loadEvent("rest-request", token);
    event.multiValueHeaders.Authorization = [`Bearer ${token}`, `Bearer ${token}`];
    await expect(handler(event)).rejects.toThrow(new Error("Unauthorized"));
  });
});

describe("HTTP API authorizer", () => {
  it("allows with isAuthorized true and flat context", async () => {
    const { handler, mint } = await setup();
    const answer = await handler(loadEvent("http-v2", await mint()));
    expect(answer).toMatchObject({ isAuthorized: true, context: { reason: "allowed" } });
  });
  it("denies a policy denial, a missing token and a revoked token alike", async () => {
    const { handler, mint, revokeSubject, clock } = await setup();
    const token = await mint();
    expect(await handler(retarget(loadEvent("http-v2", token), "DELETE", "/tenants/acme/orders/o-17"))).toMatchObject({ isAuthorized: false, context: { reason: "policy_denied" } });
    const anonymous = loadEvent("http-v2", "");
    delete anonymous.headers.authorization;
    expect(await handler(anonymous)).toMatchObject({ isAuthorized: false, context: { reason: "missing_token" } });
    await revokeSubject("vera");
    clock.advance(6000);
    expect(await handler(loadEvent("http-v2", token))).toMatchObject({ isAuthorized: false, context: { reason: "revoked" } });
  });
  it("lets a public route through without a token", async () => {
    const { handler } = await setup();
    const event = retarget(loadEvent("http-v2", ""), "GET", "/health");
    delete event.headers.authorization;
    expect(await handler(event)).toMatchObject({ isAuthorized: true, context: { reason: "public_route" } });
  });
});

describe("security", () => {
  it.each([
    "/tenants/acme/orders/../../admin/audit",
    "/tenants/acme/orders/%2e%2e/%2e%2e/admin/audit",
    "/tenants/acme%2Forders/o-17",
    "/tenants/acme/orders//o-17",
    "/ADMIN/AUDIT",
  ])("a viewer cannot reach the audit log through %s", async (path) => {
    const { handler, mint } = await setup();
    const token = await mint();
    const rest = retarget(loadEvent("rest-request", token), "GET", path);
    expect(statement(await handler(rest))[0].Effect).toBe("Deny");
    expect(await handler(retarget(loadEvent("http-v2", token), "GET", path))).toMatchObject({ isAuthorized: false });
  });
  it("an admin's token allows the audit log only on the ARN it was decided for", async () => {
    const { handler, mint } = await setup();
    const event = retarget(loadEvent("rest-token", await mint({ sub: "ada", groups: ["admin"], scope: "orders:read audit:read", amr: ["pwd", "mfa"] })), "GET", "/admin/audit");
    const answer = statement(await handler(event));
    expect(answer).toHaveLength(1);
    expect(answer[0].Resource).toEqual([event.methodArn]);
    expect(answer[0].Resource[0]).not.toContain("*");
  });
  it("writes one audit line per decision, flushed before answering, never holding the token", async () => {
    const { handler, mint, audit } = await setup();
    const token = await mint();
    await handler(loadEvent("rest-request", token));
    await handler(loadEvent("http-v2", token));
    await handler(loadEvent("rest-token", "garbage")).catch(() => undefined);
    expect(audit.records).toHaveLength(3);
    for (const line of audit.lines) expect(line).not.toContain(token.split(".")[2]);
  });
});
