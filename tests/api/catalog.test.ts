/**
 * GET /api/v1/categories, /api/v1/price-types, /api/v1/warehouses.
 */
// node:assert, not @std/assert: JSR is out of reach where this runs, npm and Deno's node: are not.
import assert from "node:assert/strict";
import { createHarness, type Harness } from "../helpers/harness.ts";

function get(h: Harness, path: string, token: string | null = "dev-reader-token") {
  return h.app.request(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
}

Deno.test({
  name: "catalog reference API",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const h = await createHarness("api-catalog", { workers: false });
    try {
      await t.step("401 problem without a token", async () => {
        for (const path of ["/api/v1/categories", "/api/v1/price-types", "/api/v1/warehouses"]) {
          const res = await get(h, path, null);
          assert.equal(res.status, 401);
          assert.equal(res.headers.get("content-type"), "application/problem+json");
          assert.equal((await res.json()).status, 401);
          const wrong = await get(h, path, "wrong-token-123");
          assert.equal(wrong.status, 401);
          await wrong.body?.cancel();
        }
      });

      await t.step("empty catalog: empty lists", async () => {
        for (const path of ["/api/v1/categories", "/api/v1/price-types", "/api/v1/warehouses"]) {
          const res = await get(h, path);
          assert.equal(res.status, 200);
          assert.deepEqual(await res.json(), { items: [] });
        }
      });

      await t.step("categories: a tree by position then name, orphans at the top", async () => {
        await h.ctx.db.insertInto("groups").values([
          { onec_id: "g-b", parent_id: null, name: "Б", position: 2 },
          { onec_id: "g-a", parent_id: null, name: "А", position: 1 },
          // Same position: by name.
          { onec_id: "g-a2", parent_id: "g-a", name: "Вторая", position: 0 },
          { onec_id: "g-a1", parent_id: "g-a", name: "Первая", position: 0, is_active: false },
          { onec_id: "g-a1x", parent_id: "g-a1", name: "Глубже", position: 5 },
          { onec_id: "g-orphan", parent_id: "g-gone", name: "Сирота", position: 0 },
          // A parent cycle still shows every group, once.
          { onec_id: "g-loop-1", parent_id: "g-loop-2", name: "Петля 1", position: 9 },
          { onec_id: "g-loop-2", parent_id: "g-loop-1", name: "Петля 2", position: 9 },
        ]).execute();
        const res = await get(h, "/api/v1/categories", "dev-platform-token");
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), {
          items: [
            { id: "g-orphan", name: "Сирота", isActive: true, children: [] },
            {
              id: "g-a",
              name: "А",
              isActive: true,
              children: [
                {
                  id: "g-a2",
                  name: "Вторая",
                  isActive: true,
                  children: [],
                },
                {
                  id: "g-a1",
                  name: "Первая",
                  isActive: false,
                  children: [{ id: "g-a1x", name: "Глубже", isActive: true, children: [] }],
                },
              ],
            },
            { id: "g-b", name: "Б", isActive: true, children: [] },
            {
              id: "g-loop-1",
              name: "Петля 1",
              isActive: true,
              children: [{ id: "g-loop-2", name: "Петля 2", isActive: true, children: [] }],
            },
          ],
        });
      });

      await t.step("price types and warehouses", async () => {
        await h.ctx.db.insertInto("price_types").values([
          { onec_id: "pt-2", name: "Розничная", currency: "RUB" },
          { onec_id: "pt-1", name: "Оптовая", currency: null },
        ]).execute();
        await h.ctx.db.insertInto("warehouses").values([
          { onec_id: "w-2", name: "Склад Б" },
          { onec_id: "w-1", name: "Склад А" },
        ]).execute();
        const pt = await get(h, "/api/v1/price-types", "dev-admin-token");
        assert.equal(pt.status, 200);
        assert.deepEqual(await pt.json(), {
          items: [
            { id: "pt-1", name: "Оптовая", currency: null, role: null },
            { id: "pt-2", name: "Розничная", currency: "RUB", role: null },
          ],
        });
        const wh = await get(h, "/api/v1/warehouses");
        assert.equal(wh.status, 200);
        assert.deepEqual(await wh.json(), {
          items: [
            { id: "w-1", name: "Склад А", servesOrders: true },
            { id: "w-2", name: "Склад Б", servesOrders: true },
          ],
        });
      });
    } finally {
      await h.close();
    }
  },
});
