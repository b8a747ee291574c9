// Regression for #21 (defect 3): every way out of every adapter, refusals before the pipeline and
// malformed platform events included, writes exactly one audit line with a decision id.
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { createLambdaHandler } from "../../functions/lambda/index.ts";
import { createForwardAuthApp } from "../../functions/node/index.ts";
import { memorySink } from "../../shared/audit/index.ts";
import { gatehouse } from "../../shared/middleware/index.ts";
import { createTestPipeline } from "../harness/gatehouse-pipeline.ts";
import { loadEvent, retarget } from "./lambda/events.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/tenants/acme/orders/o-17";

function expectOneLineEach(lines: ReadonlyArray<{ decision_id: string }>, invocations: number): void {
  expect(lines).toHaveLength(invocations);
  for (const line of lines) expect(line.decision_id).toMatch(UUID);
  expect(new Set(lines.map((l) => l.decision_id)).size).toBe(invocations);
}

describe("exactly one audit line per invocation, refusals included (#21)", () => {
  it("Lambda: a corpus of malformed and refused events", async () => {
    const pipeline = await createTestPipeline();
    const handler = createLambdaHandler(pipeline.authorize, { flush: () => pipeline.authorize.flush(), warn: () => {} });
    const token = await pipeline.mint();
    const unbound = loadEvent("http-v2", token);
    unbound.identitySource = [`Bearer ${token}`];
    const noArnToken = loadEvent("rest-token", token);
    delete noArnToken.methodArn;
    const noArnRequest = loadEvent("rest-request", token);
    delete noArnRequest.methodArn;
    const corpus: unknown[] = [
      null, undefined, "GET /", 42, true, [], [loadEvent("rest-token", token)], {},
      { type: "COGNITO", methodArn: ARN },
      { type: "TOKEN" },
      { type: "REQUEST", methodArn: "arn:aws:s3:::bucket" },
      { type: "TOKEN", methodArn: 7, authorizationToken: `Bearer ${token}` },
      noArnToken, noArnRequest,
      { ...loadEvent("rest-token", token), methodArn: `${ARN}/*` },
      { ...loadEvent("rest-request", token), methodArn: `${ARN}?` },
      unbound,
      { version: "2.0" },
      { ...loadEvent("http-v2", token), headers: null, requestContext: null, identitySource: null, cookies: null },
      { routeArn: ARN },
      // Ordinary decisions, for contrast: allow, policy deny, no token
      loadEvent("rest-token", token),
      retarget(loadEvent("rest-request", token), "DELETE", "/tenants/acme/orders/o-17"),
      loadEvent("http-v2", "nothing"),
    ];
    const reasons: string[] = [];
    for (const event of corpus) {
      await handler(event).catch((error: unknown) => expect(error).toEqual(new Error("Unauthorized")));
    }
    for (const line of pipeline.audit.records) reasons.push(line.decision_reason);
    expectOneLineEach(pipeline.audit.records, corpus.length);
    expect(reasons.filter((r) => r === "malformed_event")).toHaveLength(14);
    expect(reasons).toContain("cache_key_unbound");
    expect(reasons.filter((r) => r === "wildcard_in_arn")).toHaveLength(2);
  });

  it("forward-auth server: auth requests that name no original request", async () => {
    const pipeline = await createTestPipeline();
    const app = createForwardAuthApp(pipeline.authorize, { proxy: "nginx" });
    const token = await pipeline.mint();
    const requests: Array<Record<string, string>> = [
      {},
      { "x-original-method": "GET" },
      { "x-original-uri": "/tenants/acme/orders" },
      { "x-original-method": "GET", "x-original-uri": "tenants/acme/orders" },
      { "x-forwarded-method": "GET", "x-forwarded-uri": "/tenants/acme/orders", authorization: `Bearer ${token}` },
      { "x-original-method": "GET", "x-original-uri": "/tenants/acme/orders", authorization: `Bearer ${token}` },
      { "x-original-method": "GET", "x-original-uri": "/tenants/acme/orders" },
    ];
    const ids: string[] = [];
    for (const headers of requests) {
      const response = await app.request("/auth", { headers });
      ids.push(response.headers.get("x-gatehouse-decision-id") ?? "");
    }
    expectOneLineEach(pipeline.audit.records, requests.length);
    expect(pipeline.audit.records.map((l) => l.decision_id)).toEqual(ids);
    expect(pipeline.audit.records.map((l) => l.decision_reason)).toEqual([
      "proxy_misconfigured", "proxy_misconfigured", "proxy_misconfigured", "proxy_misconfigured", "proxy_misconfigured", "allowed", "missing_token",
    ]);
  });

  it("Worker middleware: every request of an isolate whose configuration was refused", async () => {
    const sink = memorySink();
    const original = console.error;
    console.error = () => {};
    try {
      const app = new Hono();
      app.use("*", gatehouse({ token: { issuers: [] }, routes: { routes: [] }, revocation: null } as never, { policies: { evaluate: () => ({ decision: "deny", reasons: [], errors: [] }) } as never, auditSink: sink }));
      app.all("*", (c) => c.text("origin"));
      for (let i = 0; i < 3; i++) {
        const response = await app.request("/tenants/acme/orders");
        expect(response.status).toBe(503);
        expect(((await response.json()) as { decision_id: string }).decision_id).toBe(sink.records[i]?.decision_id);
      }
    } finally {
      console.error = original;
    }
    expectOneLineEach(sink.records, 3);
    expect(sink.records.map((l) => [l.decision_reason, l.platform, l.path])).toEqual(Array(3).fill(["config_refused", "worker", "/tenants/acme/orders"]));
  });
});
