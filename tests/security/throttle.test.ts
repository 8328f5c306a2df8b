/** Brute force on checkauth and on API tokens is throttled per client address; sessions expire. */
import { assertEquals, assertMatch } from "@std/assert";
import { createHarness } from "../helpers/harness.ts";
import { inProcess, OneCClient } from "../../src/onec/exchange-client.ts";

const from = (ip: string) => (input: string, init: RequestInit = {}) => {
  const headers = new Headers(init.headers);
  headers.set("X-Forwarded-For", ip);
  return Promise.resolve({ input, init: { ...init, headers } });
};

Deno.test("credential brute force is throttled per address", async (t) => {
  const h = await createHarness("throttle", { workers: false });
  const via = (ip: string) => async (input: string, init?: RequestInit) => {
    const r = await from(ip)(input, init);
    return await h.app.request(r.input, r.init);
  };
  try {
    await t.step(
      "checkauth: ten failures lock the address out, even with the right password",
      async () => {
        const attacker = new OneCClient(via("203.0.113.7"));
        for (let i = 0; i < 10; i++) {
          assertEquals((await attacker.checkauth("1c", `guess-${i}`)).lines[0], "failure");
        }
        const locked = await attacker.checkauth();
        assertEquals(locked.lines[0], "failure");
        assertMatch(locked.lines[1], /too many failed logins/);
        // Another address is not affected.
        assertEquals((await new OneCClient(via("198.51.100.2")).checkauth()).lines[0], "success");
        const logged = h.logLines.some((l) => l.includes("exchange checkauth throttled"));
        assertEquals(logged, true);
      },
    );

    await t.step("API tokens: ten wrong tokens give 429 with Retry-After", async () => {
      const call = (ip: string, token: string) =>
        via(ip)("/api/v1/products", { headers: { Authorization: `Bearer ${token}` } });
      for (let i = 0; i < 10; i++) assertEquals((await call("192.0.2.9", `nope-${i}`)).status, 401);
      const r = await call("192.0.2.9", "dev-reader-token");
      assertEquals(r.status, 429);
      assertMatch(r.headers.get("retry-after")!, /^\d+$/);
      assertEquals(r.headers.get("content-type"), "application/problem+json");
      assertEquals((await call("192.0.2.10", "dev-reader-token")).status, 200);
    });

    await t.step("an expired session's cookie stops working", async () => {
      const c = new OneCClient(inProcess(h.app));
      await c.checkauth();
      assertEquals((await c.call({ mode: "init" })).lines[0], "zip=yes");
      await h.ctx.pool.query(
        "UPDATE exchange_sessions SET expires_at = now() - interval '1 second'",
      );
      assertEquals((await c.call({ mode: "init" })).lines[0], "failure");
    });
  } finally {
    await h.close();
  }
});

Deno.test("API bodies are limited", async () => {
  const h = await createHarness("body_limit", { workers: false });
  try {
    const big = JSON.stringify({ items: [{ offerId: "x".repeat(2 * 1024 * 1024), quantity: 1 }] });
    const r = await h.app.request("/api/v1/orders", {
      method: "POST",
      headers: { Authorization: "Bearer dev-platform-token", "Content-Type": "application/json" },
      body: big,
    });
    assertEquals(r.status, 413);
    assertEquals(r.headers.get("content-type"), "application/problem+json");
    // A normal-sized invalid body still reaches validation.
    const small = await h.app.request("/api/v1/orders", {
      method: "POST",
      headers: { Authorization: "Bearer dev-platform-token", "Content-Type": "application/json" },
      body: JSON.stringify({ items: [] }),
    });
    assertEquals([400, 422].includes(small.status), true);
  } finally {
    await h.close();
  }
});
