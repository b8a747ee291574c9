import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import { frozenClock } from "../../../shared/clock/index.ts";
import {
  createAuditLogger,
  httpBatchSink,
  memorySink,
  stdoutSink,
  type AuditConfig,
  type AuditSink,
  type DecisionFacts,
} from "../../../shared/audit/index.ts";
import { auditLineErrors, createTestKey, mintToken, startAuditCollector, type AuditCollector } from "../../harness/index.ts";
import { NOW_MS, NOW_S, decisionPaths } from "./fixtures.ts";

// Claim values that must never appear in a line unless their claim is allowlisted.
const SECRET_CLAIMS = {
  email: "alice.private@example.test",
  phone_number: "+44 20 7946 0958",
  national_id: "QQ123456C",
  tenant: "acme-secret-tenant",
};

let token: string;
let claims: Record<string, unknown>;
let collector: AuditCollector;

beforeAll(async () => {
  const key = await createTestKey("ES256");
  token = await mintToken(key, SECRET_CLAIMS, {
    issuer: "https://idp.example.test",
    audience: "orders-api",
    subject: "user-7f3a",
    now: NOW_S,
  });
  claims = decodeJwt(token) as Record<string, unknown>;
  collector = await startAuditCollector();
});
afterAll(() => collector.stop());

/** Every decision path, with the raw token in the request the way an adapter would see it. */
function pathsWithToken(): Array<[string, DecisionFacts]> {
  return Object.entries(decisionPaths(claims)).map(([name, facts]) => [
    name,
    {
      ...facts,
      request: {
        ...facts.request,
        headers: new Headers({ authorization: `Bearer ${token}`, traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }),
        query: `access_token=${token}`,
      },
    },
  ]);
}

function tokenPieces(): string[] {
  const [header, payload, signature] = token.split(".");
  return [token, header, payload, signature];
}

async function allOutput(config: AuditConfig): Promise<string> {
  const memory = memorySink();
  const stdoutLines: string[] = [];
  const stdout = stdoutSink({ writeLine: (l) => void stdoutLines.push(l) });
  const http = httpBatchSink({ url: collector.url, flushIntervalMs: 0 });
  const before = collector.batches.length;
  const sinks: AuditSink[] = [memory, stdout, http];
  for (const sink of sinks) {
    const logger = createAuditLogger(config, { platform: "node", sink, clock: frozenClock(NOW_MS) });
    for (const [, facts] of pathsWithToken()) logger.log(facts);
    await logger.flush();
  }
  const httpBodies = collector.batches.slice(before).map((b) => b.body);
  expect(httpBodies.length).toBeGreaterThan(0);
  return [...memory.lines, ...stdoutLines, ...httpBodies].join("\n");
}

describe("security: no line ever carries the token", () => {
  for (const config of [{}, { includeQuery: true }, { claims: ["email"] }, { policyErrorDetail: "message" as const }]) {
    it(`neither the token nor any of its segments appear with config ${JSON.stringify(config)}`, async () => {
      const output = await allOutput(config);
      for (const piece of tokenPieces()) expect(output).not.toContain(piece);
    });
  }

  it("redacts a token passed in the query string when includeQuery is on", () => {
    const sink = memorySink();
    const logger = createAuditLogger({ includeQuery: true }, { platform: "node", sink, clock: frozenClock(NOW_MS) });
    const facts = decisionPaths(claims).deny_no_route;
    for (const query of [`access_token=${token}`, `t=${token}`, `${token}`, `x=1&AUTH=${encodeURIComponent(token)}`]) {
      logger.log({ ...facts, request: { ...facts.request, path: "/cb", query } });
    }
    expect(sink.records.map((r) => r.path)).toEqual(["/cb?access_token=redacted", "/cb?t=redacted", "/cb?redacted", "/cb?x=1&AUTH=redacted"]);
  });
});

describe("security: claims appear only when allowlisted", () => {
  it("writes no non-allowlisted claim value on any path or sink", async () => {
    const output = await allOutput({});
    for (const value of Object.values(SECRET_CLAIMS)) expect(output).not.toContain(value);
    expect(output).not.toContain('"aud"');
  });

  it("writes exactly the allowlisted claim and no other", async () => {
    const output = await allOutput({ claims: ["email"] });
    expect(output).toContain(SECRET_CLAIMS.email);
    for (const [name, value] of Object.entries(SECRET_CLAIMS)) if (name !== "email") expect(output).not.toContain(value);
  });

  it("keeps every line valid against the schema while allowlisting claims", async () => {
    const sink = memorySink();
    const logger = createAuditLogger({ claims: ["email", "tenant"] }, { platform: "node", sink, clock: frozenClock(NOW_MS) });
    for (const [, facts] of pathsWithToken()) logger.log(facts);
    for (const line of sink.lines) expect(auditLineErrors(line)).toEqual([]);
  });
});

describe("security: client addresses", () => {
  it("never writes the full address in truncate (default) or hash mode", async () => {
    for (const config of [{}, { clientIp: "hash" as const, clientIpSalt: "0123456789abcdef-salt" }]) {
      const output = await allOutput(config);
      expect(output).not.toContain("203.0.113.77");
    }
  });
});
