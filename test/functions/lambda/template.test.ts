// infra/template.yaml: valid YAML with CloudFormation's short-form tags, and wired to what the
// function and the DynamoDB store actually read.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument, type ScalarTag, type CollectionTag } from "yaml";
import { repoRoot } from "../../harness/corpus.ts";

interface Intrinsic { fn: string; value: unknown }
const intrinsic = (fn: string): ScalarTag => ({ tag: `!${fn}`, resolve: (value: string) => ({ fn, value }) as unknown as string });
const intrinsicSeq = (fn: string): CollectionTag => ({ tag: `!${fn}`, collection: "seq", resolve: (seq) => ({ fn, value: seq.toJSON() }) as never });

const text = readFileSync(join(repoRoot, "infra", "template.yaml"), "utf8");
const document = parseDocument(text, { customTags: [intrinsic("Ref"), intrinsic("GetAtt"), intrinsic("Sub"), intrinsicSeq("Sub"), intrinsicSeq("If"), intrinsicSeq("Join")] });
const template = document.toJS() as { Parameters: Record<string, any>; Resources: Record<string, { Type: string; Properties: any; DependsOn?: string }>; Outputs: Record<string, any>; Transform: string };

function intrinsics(node: unknown, found: Intrinsic[] = []): Intrinsic[] {
  if (node && typeof node === "object") {
    if ("fn" in node && "value" in node) found.push(node as Intrinsic);
    else for (const child of Object.values(node)) intrinsics(child, found);
  }
  return found;
}

describe("infra/template.yaml", () => {
  it("parses without errors or warnings, as a SAM template", () => {
    expect(document.errors).toEqual([]);
    expect(document.warnings).toEqual([]);
    expect(template.Transform).toBe("AWS::Serverless-2016-10-31");
  });
  it("refers only to parameters, resources and pseudo parameters it defines", () => {
    const known = new Set([...Object.keys(template.Parameters), ...Object.keys(template.Resources), "AWS::Region", "AWS::StackName", "AWS::AccountId", "AWS::Partition"]);
    const all = intrinsics(template);
    expect(all.length).toBeGreaterThan(5);
    for (const { fn, value } of all) {
      if (fn === "Ref") expect(known, `!Ref ${value}`).toContain(value);
      if (fn === "GetAtt") expect(known, `!GetAtt ${value}`).toContain(String(value).split(".")[0]);
      if (fn === "Sub") for (const [, name] of String(value).matchAll(/\$\{([^}.]+)(?:\.[^}]+)?\}/g)) expect(known, `!Sub \${${name}}`).toContain(name);
    }
  });
  it("creates the revocation table the DynamoDB store reads: key `pk`, TTL attribute `exp`", () => {
    const table = template.Resources.RevocationTable;
    expect(table.Type).toBe("AWS::DynamoDB::Table");
    expect(table.Properties.KeySchema).toEqual([{ AttributeName: "pk", KeyType: "HASH" }]);
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: "exp", Enabled: true });
    const store = readFileSync(join(repoRoot, "functions", "stores", "dynamodb.ts"), "utf8");
    expect(store).toMatch(/partition key `pk`/);
    expect(store).toMatch(/TTL attribute `exp`/);
  });
  it("deploys the built function with its table and log retention", () => {
    const fn = template.Resources.AuthorizerFunction;
    expect(fn.Properties).toMatchObject({ CodeUri: "../dist/lambda/function.zip", Handler: "index.handler" });
    expect(fn.Properties.Environment.Variables).toMatchObject({ GATEHOUSE_REVOCATION_TABLE: { fn: "Ref", value: "RevocationTable" }, GATEHOUSE_HTTP_API_CACHE: "require_route" });
    const logGroup = template.Resources.AuthorizerLogGroup;
    expect(logGroup.Type).toBe("AWS::Logs::LogGroup");
    expect(logGroup.Properties.RetentionInDays).toEqual({ fn: "Ref", value: "LogRetentionDays" });
    expect(logGroup.Properties.LogGroupName.value).toBe("/aws/lambda/${AWS::StackName}-authorizer");
    expect(fn.Properties.FunctionName.value).toBe("${AWS::StackName}-authorizer");
  });
  it("keys both authorizer caches on the token, the method and the path", () => {
    const rest = template.Resources.RestApi.Properties.Auth.Authorizers.GatehouseRequestAuthorizer;
    expect(rest).toMatchObject({ FunctionPayloadType: "REQUEST", Identity: { Headers: ["Authorization"], Context: ["httpMethod", "path"] } });
    const http = template.Resources.HttpApi.Properties.Auth.Authorizers.GatehouseHttpAuthorizer;
    expect(http).toMatchObject({ AuthorizerPayloadFormatVersion: "2.0", EnableSimpleResponses: true, Identity: { Headers: ["Authorization"], Context: ["httpMethod", "path"] } });
    expect(template.Parameters.AuthorizerCacheTtl).toMatchObject({ MinValue: 0, MaxValue: 3600 });
  });
});
