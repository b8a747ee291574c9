// Regression for #21 (defect 2): `*` and `?` in a methodArn are IAM wildcards, so an Allow naming such
// an ARN would cover other methods and paths (and API Gateway caches it under the token). The REST
// responder must never emit one, whatever the pipeline decided.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createLambdaHandler, type Authorize, type IamPolicyResponse } from "../../../functions/lambda/index.ts";
import type { Decision } from "../../../shared/pipeline/types.ts";
import { createTestPipeline } from "../../harness/gatehouse-pipeline.ts";
import { loadEvent } from "./events.ts";

// A pipeline that allows everything: the worst case for the responder, which alone must keep the Allow exact
function allowEverything(): Authorize & { refusals: string[] } {
  const refusals: string[] = [];
  const decide = async (): Promise<Decision> => ({ allow: true, status: 200, reason: "allowed", decisionId: "d", principal: { type: "User", id: "vera" } });
  const refuse: Authorize["refuse"] = (_request, reason, status = 403) => {
    refusals.push(reason);
    return { allow: false, status, reason, decisionId: "r" };
  };
  return Object.assign(decide, { refuse, refusals });
}

// IAM's Resource matching: `*` any run of characters, `?` any one character, everything else literal
function iamMatches(pattern: string, arn: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[\\s\\S]*").replace(/\?/g, "[\\s\\S]");
  return new RegExp(`^${source}$`).test(arn);
}

const part = (chars: string) => fc.string({ unit: fc.constantFrom(...chars.split("")), minLength: 1, maxLength: 8 });
const plain = "abcdefXYZ0123-_.";
const hostile = `${plain}*?/:%`;
const methodArn = fc.oneof(
  fc.tuple(part(plain), part("0123456789"), part(hostile), part(hostile), fc.constantFrom("GET", "POST", "*", "G?T", "DELETE"), fc.array(part(hostile), { maxLength: 4 }))
    .map(([region, account, api, stage, method, path]) => `arn:aws:execute-api:${region}:${account}:${api}/${stage}/${method}/${path.join("/")}`),
  fc.string({ unit: fc.constantFrom(...`arn:aws:execute-api:us-east-1:1234/GET*?`.split("")), maxLength: 80 }),
  fc.string(),
);

async function answerFor(type: "TOKEN" | "REQUEST", arn: string, authorize: Authorize): Promise<IamPolicyResponse | undefined> {
  const event = { ...loadEvent(type === "TOKEN" ? "rest-token" : "rest-request", "anything"), methodArn: arn };
  try {
    return (await createLambdaHandler(authorize)(event)) as IamPolicyResponse;
  } catch (error) {
    expect(error).toEqual(new Error("Unauthorized"));
    return undefined;
  }
}

describe("security: no IAM Allow covers more than the ARN asked about (#21)", () => {
  it("property: every Allow names exactly the methodArn, which holds no wildcard, and matches no other ARN", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("TOKEN" as const, "REQUEST" as const), methodArn, methodArn, async (type, arn, other) => {
        const answer = await answerFor(type, arn, allowEverything());
        if (answer === undefined) return;
        for (const statement of answer.policyDocument.Statement) {
          for (const resource of statement.Resource) expect(resource).not.toMatch(/[*?]/);
          if (statement.Effect !== "Allow") continue;
          expect(statement.Resource).toEqual([arn]);
          if (other !== arn) expect(iamMatches(statement.Resource[0], other)).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ["a path segment `*`", "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/tenants/acme/orders/*"],
    ["a `?` in the path", "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/tenants/acme/orders/o-1?"],
    ["a wildcard method", "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/*/tenants/acme/orders/o-1"],
  ])("denies %s with reason wildcard_in_arn, before deciding", async (_name, arn) => {
    const authorize = allowEverything();
    const answer = await answerFor("TOKEN", arn, authorize);
    expect(answer?.policyDocument.Statement).toEqual([{ Action: "execute-api:Invoke", Effect: "Deny", Resource: [arn.replace(/\*/g, "%2A").replace(/\?/g, "%3F")] }]);
    expect(answer?.context.reason).toBe("wildcard_in_arn");
    expect(authorize.refusals).toEqual(["wildcard_in_arn"]);
  });

  it("with the real pipeline, a viewer's token on `/tenants/acme/orders/*` is denied and audited once", async () => {
    const pipeline = await createTestPipeline();
    const handler = createLambdaHandler(pipeline.authorize, { flush: () => pipeline.authorize.flush() });
    const event = { ...loadEvent("rest-token", await pipeline.mint()), methodArn: "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/tenants/acme/orders/*" };
    const answer = (await handler(event)) as IamPolicyResponse;
    expect(answer.policyDocument.Statement[0].Effect).toBe("Deny");
    expect(pipeline.audit.records).toHaveLength(1);
    expect(pipeline.audit.records[0]).toMatchObject({ decision: "deny", decision_reason: "wildcard_in_arn", platform: "lambda", decision_id: answer.context.decisionId });
  });
});
