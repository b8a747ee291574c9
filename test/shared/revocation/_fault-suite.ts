import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { frozenClock } from "../../../shared/clock/index.ts";
import { claimOnce, createRevocationChecker, type RevocationChecker, type RevocationStore } from "../../../shared/revocation/index.ts";
import type { TcpProxy } from "../../harness/index.ts";

/** A store whose traffic goes through `proxy`, so faults can be injected on the wire. */
export interface StoreBehindProxy {
  readonly store: RevocationStore;
  readonly proxy: TcpProxy;
  stop(): Promise<void>;
}

const DEADLINE_MS = 50;
// Beyond a reference timer of the deadline's length (see `timed`): the callbacks that settle the check
const SLACK_MS = 20;

/**
 * Fault tests for one store against its real server behind a TCP proxy: down, slow, hung and
 * garbage replies. Each fail mode must behave as specified and every answer must arrive within
 * the deadline.
 */
export function describeStoreFaults(name: string, open: () => Promise<StoreBehindProxy>): void {
  describe(`${name}: faults on the wire`, () => {
    let target: StoreBehindProxy;
    let n = 0;
    beforeAll(async () => {
      target = await open();
    });
    afterAll(async () => {
      await target?.stop();
    });

    function fresh(options: { threshold?: number; deadlineMs?: number } = {}) {
      const clock = frozenClock(Date.now());
      const checker = createRevocationChecker(
        { store: { kind: "memory" }, deadlineMs: options.deadlineMs ?? DEADLINE_MS, ttlMs: 1000, maxStaleMs: 60_000, breaker: { failureThreshold: options.threshold ?? 1000, cooldownMs: 1000 } },
        { store: target.store, clock },
      );
      const claims = { iss: `https://faults.test`, sub: `user-${++n}`, jti: `jti-${n}`, iat: Math.floor(Date.now() / 1000) - 5 };
      return { clock, checker, claims };
    }

    // Measures the check against a plain timer of the same length started alongside it: on a loaded
    // box both fire late by the same lag, so "within the deadline" is asserted as "no later than
    // the reference timer, plus a little" instead of against the wall clock alone.
    async function timed(checker: RevocationChecker, claims: object, failMode: "closed" | "open" | "stale") {
      const started = performance.now();
      const reference = new Promise<number>((resolve) => setTimeout(() => resolve(performance.now() - started), DEADLINE_MS));
      const result = await checker.check(claims, failMode);
      const elapsed = performance.now() - started;
      return { result, elapsed, limit: Math.max(await reference, DEADLINE_MS) + SLACK_MS };
    }

    async function healthy() {
      target.proxy.setDelay(0);
      target.proxy.setMode("forward");
      // A client may need a moment to reconnect after a fault; wait until a lookup succeeds
      const { checker, claims } = fresh();
      for (let i = 0; i < 100; i++) {
        if ((await checker.check(claims)).outcome === "not_revoked") return;
        checker.clearCache();
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`${name} did not recover through the proxy`);
    }

    const faults: Array<[string, () => void]> = [
      ["slow (proxy delays every reply past the deadline)", () => target.proxy.setDelay(250)],
      ["hung (accepts, never answers)", () => target.proxy.setMode("hang")],
      ["answering garbage", () => target.proxy.setMode("garbage")],
      ["down (resets every connection)", () => target.proxy.setMode("reset")],
    ];

    for (const [label, inject] of faults) {
      describe(`when the store is ${label}`, () => {
        it("fails closed by default: denies with `revocation_unavailable` within the deadline", async () => {
          await healthy();
          const { checker, claims } = fresh();
          inject();
          const { result, elapsed, limit } = await timed(checker, claims, "closed");
          expect(result).toMatchObject({ allow: false, outcome: "store_error", reason: "revocation_unavailable", failModeUsed: "closed" });
          expect(["timeout", "connection", "bad_reply"]).toContain(result.storeError);
          expect(elapsed).toBeLessThan(limit);
        });

        it("with `open`, allows and says so, within the deadline", async () => {
          await healthy();
          const { checker, claims } = fresh();
          inject();
          const { result, elapsed, limit } = await timed(checker, claims, "open");
          expect(result).toMatchObject({ allow: true, outcome: "store_error", failModeUsed: "open" });
          expect(elapsed).toBeLessThan(limit);
        });

        it("with `stale`, serves the last answer, and closes without one", async () => {
          await healthy();
          const { checker, claims, clock } = fresh();
          expect((await checker.check(claims)).outcome).toBe("not_revoked");
          clock.advance(1500); // past ttlMs, within maxStaleMs
          inject();
          const stale = await timed(checker, claims, "stale");
          expect(stale.result).toMatchObject({ allow: true, outcome: "not_revoked", failModeUsed: "stale", cached: true });
          expect(stale.elapsed).toBeLessThan(stale.limit);
          const unknown = await timed(checker, { ...claims, jti: "never-seen" }, "stale");
          expect(unknown.result).toMatchObject({ allow: false, reason: "revocation_unavailable", failModeUsed: "closed" });
        });

        it("a conditional write (claimOnce, the DPoP replay check) answers `unavailable` within the deadline", async () => {
          await healthy();
          inject();
          const started = performance.now();
          const reference = new Promise<number>((resolve) => setTimeout(() => resolve(performance.now() - started), DEADLINE_MS));
          const outcome = await claimOnce(target.store, `gh:dpop:faults-${++n}`, "1", Math.floor(Date.now() / 1000) + 60, DEADLINE_MS, Date.now());
          const elapsed = performance.now() - started;
          expect(outcome).toBe("unavailable");
          expect(elapsed).toBeLessThan(Math.max(await reference, DEADLINE_MS) + SLACK_MS);
        });
      });
    }

    it("opens the breaker after repeated failures; while open, answers at once without the store", async () => {
      await healthy();
      const { checker, claims, clock } = fresh({ threshold: 3 });
      target.proxy.setMode("hang");
      for (let i = 0; i < 3; i++) await checker.check({ ...claims, jti: `b${i}` });
      expect(checker.breakerState()).toBe("open");
      const { result, elapsed } = await timed(checker, { ...claims, jti: "b-open" }, "closed");
      expect(result).toMatchObject({ allow: false, storeError: "breaker_open" });
      expect(elapsed).toBeLessThan(15);
      await healthy();
      clock.advance(1000);
      let probe = await checker.check({ ...claims, jti: "b-probe" });
      // a client still reconnecting may fail the first probe; the next cooldown lets another through
      for (let i = 0; i < 20 && probe.outcome !== "not_revoked"; i++) {
        await new Promise((r) => setTimeout(r, 50));
        clock.advance(1000);
        probe = await checker.check({ ...claims, jti: `b-probe-${i}` });
      }
      expect(probe.outcome).toBe("not_revoked");
      expect(checker.breakerState()).toBe("closed");
    });

    it("answers correctly again once the store recovers", async () => {
      target.proxy.setMode("garbage");
      // Garbage is answered at once, so the deadline plays no part here; a generous one keeps a
      // loaded machine's slow first read after recovery from reading as "not recovered"
      const { checker, claims } = fresh({ deadlineMs: 5000 });
      expect((await checker.check(claims)).outcome).not.toBe("not_revoked");
      await healthy();
      expect((await checker.check({ ...claims, jti: "after" })).outcome).toBe("not_revoked");
    });
  });
}
