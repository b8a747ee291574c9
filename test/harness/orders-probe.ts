// Watches one decision of the example project through a forward-auth server: vera (a viewer of
// acme) listing acme's orders. The policy bundle tests move that decision by publishing a set.
import { request as httpRequest } from "node:http";
import { expect } from "vitest";
import { EXAMPLE_AUDIENCE, EXAMPLE_ISSUER } from "./gatehouse-pipeline.ts";
import { mintToken, type TestKey } from "./tokens.ts";

interface ServerUrl {
  readonly url: string;
}

/** The probe's three questions, signed with the key `key()` answers (read per call: tests set it in `beforeAll`). */
export function ordersProbe(key: () => TestKey, pollSeconds: number) {
  /** The HTTP status `/auth` answers for the listing. */
  async function listOrders(server: ServerUrl): Promise<number> {
    const token = await mintToken(key(), { tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] }, { issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, subject: "vera" });
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${server.url}/auth`, { headers: { "x-original-method": "GET", "x-original-uri": "/tenants/acme/orders", authorization: `Bearer ${token}` } }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("error", reject);
      req.end();
    });
  }

  /** Seconds until the listing answers `want`; throws past `limitSeconds`. */
  async function secondsUntil(server: ServerUrl, want: number, limitSeconds: number): Promise<number> {
    const started = performance.now();
    for (;;) {
      if ((await listOrders(server)) === want) return (performance.now() - started) / 1000;
      if (performance.now() - started > limitSeconds * 1000) throw new Error(`status ${want} not seen within ${limitSeconds} s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Asserts the listing keeps answering `status` for two and a half poll intervals. */
  async function staysAt(server: ServerUrl, status: number): Promise<void> {
    const until = performance.now() + 2.5 * pollSeconds * 1000;
    while (performance.now() < until) {
      expect(await listOrders(server)).toBe(status);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  return { listOrders, secondsUntil, staysAt };
}
