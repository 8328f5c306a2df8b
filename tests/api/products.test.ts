/**
 * GET /api/v1/products and /api/v1/products/{onecId}, driven in-process against a real
 * database seeded directly.
 */
// node:assert, not @std/assert: JSR is out of reach where this runs, npm and Deno's node: are not.
import assert from "node:assert/strict";
import { type InsertObject, sql } from "kysely";
import type { Database } from "../../db/schema.ts";
import { createHarness, type Harness } from "../helpers/harness.ts";

const TOKENS = {
  admin: "dev-admin-token",
  platform: "dev-platform-token",
  reader: "dev-reader-token",
} as const;

/**
 * A timestamp for inserts. db/schema.ts declares these columns Generated<Timestamp>, which
 * Kysely's types do not unwrap, so a plain string does not type-check there.
 */
const at = (iso: string) => sql<never>`${iso}::timestamptz`;

/** A product row with the columns the schema types require but the table defaults. */
function product(
  p: Partial<InsertObject<Database, "products">> & { onec_id: string },
): InsertObject<Database, "products"> {
  return {
    name: p.onec_id,
    hash: "h",
    group_ids: [],
    images: [],
    property_values: "[]",
    requisites: "{}",
    characteristics: "{}",
    ...p,
  };
}

function offer(
  o: Partial<InsertObject<Database, "offers">> & { onec_id: string; product_id: string },
): InsertObject<Database, "offers"> {
  return { hash: "h", characteristics: "{}", ...o };
}

function get(h: Harness, path: string, token: string | null = TOKENS.reader) {
  return h.app.request(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
}

interface PageBody {
  items: { onecId: string; updatedAt: string; isActive: boolean }[];
  nextCursor: string | null;
  total: number;
}

async function page(h: Harness, path: string): Promise<PageBody> {
  const res = await get(h, path);
  assert.deepEqual(res.status, 200, await res.clone().text());
  return await res.json();
}

async function walk(h: Harness, base: string): Promise<{ ids: string[]; pages: PageBody[] }> {
  const ids: string[] = [];
  const pages: PageBody[] = [];
  let cursor: string | null = null;
  do {
    const sep = base.includes("?") ? "&" : "?";
    const body: PageBody = await page(
      h,
      cursor ? `${base}${sep}cursor=${encodeURIComponent(cursor)}` : base,
    );
    pages.push(body);
    ids.push(...body.items.map((i) => i.onecId));
    cursor = body.nextCursor;
    assert.ok(pages.length < 100, "pagination does not end");
  } while (cursor);
  return { ids, pages };
}

async function assertProblem(res: Response, status: number) {
  assert.deepEqual(res.status, status);
  assert.deepEqual(res.headers.get("content-type"), "application/problem+json");
  const body = await res.json();
  assert.deepEqual(body.status, status);
  assert.deepEqual(typeof body.title, "string");
  assert.deepEqual(typeof body.type, "string");
  return body;
}

async function clearCatalog(h: Harness) {
  const db = h.ctx.db;
  for (const t of ["stocks", "prices", "offers", "products", "groups"] as const) {
    await db.deleteFrom(t).execute();
  }
}

/** `n` bare products p-0001…, set-based. */
async function seedMany(h: Harness, n: number, updatedAt = sql`now()`) {
  await sql`
    INSERT INTO products (onec_id, name, hash, updated_at)
    SELECT 'p-' || lpad(i::text, 5, '0'), 'Product ' || i, 'h', ${updatedAt}
    FROM generate_series(1, ${n}) AS i
  `.execute(h.ctx.db);
}

async function seedShowcase(h: Harness) {
  const db = h.ctx.db;
  await db.insertInto("properties").values([
    { onec_id: "p-color", name: "Цвет", value_type: "Справочник" },
    { onec_id: "p-weight", name: "Вес", value_type: "Число" },
    { onec_id: "p-empty", name: "Пусто", value_type: "Строка" },
  ]).execute();
  await db.insertInto("property_values").values([
    { property_id: "p-color", value_id: "v-red", value: "Красный" },
    { property_id: "p-color", value_id: "v-blue", value: "Синий" },
    // Same value Ид under another property must not leak into Цвет.
    { property_id: "p-other", value_id: "v-missing", value: "Чужое" },
  ]).execute();
  await db.insertInto("price_types").values([
    { onec_id: "pt-retail", name: "Розничная", currency: "RUB" },
    { onec_id: "pt-opt", name: "Оптовая", currency: "USD" },
  ]).execute();
  await db.insertInto("warehouses").values({ onec_id: "w-main", name: "Основной" }).execute();

  await db.insertInto("products").values([
    product({
      onec_id: "prod-1",
      sku: "A-1",
      barcode: "4600000000001",
      name: "Чайник",
      description: "Стеклянный",
      group_ids: ["g-child", "g-other"],
      manufacturer: "ACME",
      images: ["import_files/ab/x.jpg", "import_files/cd/Фото 1.png"],
      property_values: JSON.stringify([
        { id: "p-color", values: ["v-red", "v-missing", ""] },
        { id: "p-weight", values: ["1.5"] },
        { id: "p-empty", values: [] },
        { id: "p-unknown", values: ["raw", "00000000-0000-0000-0000-000000000000"] },
        { id: "p-blank", values: ["  "] },
      ]),
      hash: "h1",
      updated_at: at("2024-01-01T00:00:00Z"),
    }),
    product({ onec_id: "prod-2", sku: null, name: "Без артикула", hash: "h2", is_active: false }),
    product({ onec_id: "prod-3", sku: "", name: "Пустой артикул", hash: "h3" }),
  ]).execute();
  await db.insertInto("offers").values([
    offer({
      onec_id: "prod-1",
      product_id: "prod-1",
      quantity: "5.000",
      hash: "o1",
      updated_at: at("2024-01-02T00:00:00Z"),
    }),
    offer({
      onec_id: "prod-1#c1",
      product_id: "prod-1",
      characteristics: JSON.stringify({ "Размер": "XL" }),
      quantity: null,
      is_active: false,
      hash: "o2",
      updated_at: at("2024-01-02T00:00:00Z"),
    }),
  ]).execute();
  await db.insertInto("prices").values([
    {
      offer_id: "prod-1",
      price_type_id: "pt-retail",
      value: "1490.50",
      currency: "RUB",
      updated_at: at("2024-01-03T00:00:00Z"),
    },
    // No currency on the price: the price type's applies.
    {
      offer_id: "prod-1",
      price_type_id: "pt-opt",
      value: "1200",
      currency: null,
      updated_at: at("2024-01-02T00:00:00Z"),
    },
    // A price type 1C never described.
    {
      offer_id: "prod-1#c1",
      price_type_id: "pt-x",
      value: "99.99",
      currency: null,
      updated_at: at("2024-01-02T00:00:00Z"),
    },
  ]).execute();
  await db.insertInto("stocks").values([
    {
      offer_id: "prod-1",
      warehouse_id: "w-main",
      quantity: "2.000",
      updated_at: at("2024-01-02T00:00:00Z"),
    },
    {
      offer_id: "prod-1",
      warehouse_id: "w-x",
      quantity: "3",
      updated_at: at("2024-01-02T00:00:00Z"),
    },
  ]).execute();
}

Deno.test({
  name: "products API",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const h = await createHarness("api-products", { workers: false });
    try {
      await seedShowcase(h);

      await t.step("401 problem without a token or with a wrong one", async () => {
        const none = await get(h, "/api/v1/products", null);
        const body = await assertProblem(none, 401);
        assert.ok(body.detail);
        assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer /);
        await assertProblem(await get(h, "/api/v1/products", "not-a-real-token"), 401);
        await assertProblem(await get(h, "/api/v1/products/prod-1", "Basic abc"), 401);
        await assertProblem(
          await h.app.request("/api/v1/products", { headers: { Authorization: "Basic abc" } }),
          401,
        );
      });

      await t.step("every role may read", async () => {
        for (const token of Object.values(TOKENS)) {
          const list = await get(h, "/api/v1/products", token);
          assert.deepEqual(list.status, 200);
          await list.body?.cancel();
          const one = await get(h, "/api/v1/products/prod-1", token);
          assert.deepEqual(one.status, 200);
          await one.body?.cancel();
        }
      });

      await t.step("a product has exactly the documented shape", async () => {
        const res = await get(h, "/api/v1/products/prod-1");
        assert.deepEqual(res.status, 200);
        assert.deepEqual(res.headers.get("content-type"), "application/json");
        assert.deepEqual(await res.json(), {
          onecId: "prod-1",
          sku: "A-1",
          barcode: "4600000000001",
          name: "Чайник",
          description: "Стеклянный",
          categoryIds: ["g-child", "g-other"],
          manufacturer: "ACME",
          isActive: true,
          properties: {
            // Справочник values resolved; an unknown value Ид falls back to itself.
            "Цвет": "Красный, v-missing",
            "Вес": "1.5",
            // Unknown property: its Ид stands in for the name; 1C's empty reference dropped.
            "p-unknown": "raw",
          },
          images: [
            "/images/import_files/ab/x.jpg",
            "/images/import_files/cd/%D0%A4%D0%BE%D1%82%D0%BE%201.png",
          ],
          // The newest of the product, its offers, prices and stocks.
          updatedAt: "2024-01-03T00:00:00.000Z",
          offers: [
            {
              onecId: "prod-1",
              isActive: true,
              characteristics: {},
              prices: [
                { priceTypeId: "pt-opt", priceType: "Оптовая", value: 1200, currency: "USD" },
                {
                  priceTypeId: "pt-retail",
                  priceType: "Розничная",
                  value: 1490.5,
                  currency: "RUB",
                },
              ],
              stocks: [
                { warehouseId: "w-main", warehouse: "Основной", quantity: 2 },
                { warehouseId: "w-x", warehouse: null, quantity: 3 },
              ],
              quantity: 5,
              inStock: true,
              canBeOrdered: true,
            },
            {
              onecId: "prod-1#c1",
              isActive: false,
              characteristics: { "Размер": "XL" },
              prices: [{ priceTypeId: "pt-x", priceType: null, value: 99.99, currency: null }],
              stocks: [],
              quantity: null,
              inStock: false,
              canBeOrdered: false,
            },
          ],
        });
      });

      await t.step(
        'sku stays null or "" as 1C sent it; a bare product has empty lists',
        async () => {
          const p2 = await (await get(h, "/api/v1/products/prod-2")).json();
          assert.deepEqual(p2.sku, null);
          assert.deepEqual(p2.isActive, false);
          assert.deepEqual(p2.offers, []);
          assert.deepEqual(p2.images, []);
          assert.deepEqual(p2.properties, {});
          assert.deepEqual(p2.categoryIds, []);
          assert.match(p2.updatedAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
          const p3 = await (await get(h, "/api/v1/products/prod-3")).json();
          assert.deepEqual(p3.sku, "");
        },
      );

      await t.step("list items have the same shape as the single product", async () => {
        const list = await page(h, "/api/v1/products");
        assert.deepEqual(list.total, 3);
        assert.deepEqual(list.nextCursor, null);
        assert.deepEqual(list.items.map((i) => i.onecId), ["prod-1", "prod-2", "prod-3"]);
        const one = await (await get(h, "/api/v1/products/prod-1")).json();
        assert.deepEqual(list.items[0], one);
      });

      await t.step("unknown product: 404 problem+json", async () => {
        const body = await assertProblem(await get(h, "/api/v1/products/nope"), 404);
        assert.match(body.detail, /nope/);
      });

      await t.step("unknown API path: 404 problem+json", async () => {
        await assertProblem(await get(h, "/api/v1/nothing-here"), 404);
      });

      await t.step("active filter, and a bad value is a 400 problem with issues", async () => {
        const active = await page(h, "/api/v1/products?active=true");
        assert.deepEqual(active.items.map((i) => i.onecId), ["prod-1", "prod-3"]);
        assert.deepEqual(active.total, 2);
        const inactive = await page(h, "/api/v1/products?active=false");
        assert.deepEqual(inactive.items.map((i) => i.onecId), ["prod-2"]);
        const bad = await assertProblem(await get(h, "/api/v1/products?active=maybe"), 400);
        assert.ok(Array.isArray(bad.issues) && bad.issues.length === 1, JSON.stringify(bad));
        assert.deepEqual(bad.issues[0].path, "active");
        assert.deepEqual(typeof bad.issues[0].message, "string");
      });

      await t.step("bad limit and updatedSince are 400 problems", async () => {
        for (
          const q of ["limit=abc", "limit=0", "limit=-5", "limit=1.5", "updatedSince=yesterday"]
        ) {
          const body = await assertProblem(await get(h, `/api/v1/products?${q}`), 400);
          assert.deepEqual(body.issues[0].path, q.split("=")[0]);
        }
      });

      await t.step("bad cursors are 400 problems", async () => {
        const foreign = btoa(JSON.stringify({ x: 1 })).replace(/=+$/, "");
        for (const c of ["!!!", "bm90IGpzb24", foreign]) {
          const body = await assertProblem(
            await get(h, `/api/v1/products?cursor=${encodeURIComponent(c)}`),
            400,
          );
          assert.deepEqual(body.issues[0].path, "cursor");
        }
        // An Ид-ordered cursor does not fit the change-time ordering.
        await clearCatalog(h);
        await seedMany(h, 3);
        const first = await page(h, "/api/v1/products?limit=1");
        assert.ok(first.nextCursor);
        await assertProblem(
          await get(
            h,
            `/api/v1/products?updatedSince=2000-01-01T00:00:00Z&cursor=${first.nextCursor}`,
          ),
          400,
        );
      });

      await t.step("walking 250 products by 100 returns each exactly once", async () => {
        await clearCatalog(h);
        await seedMany(h, 250);
        const { ids, pages } = await walk(h, "/api/v1/products?limit=100");
        assert.deepEqual(pages.map((p) => p.items.length), [100, 100, 50]);
        assert.deepEqual(pages.map((p) => p.total), [250, 250, 250]);
        assert.deepEqual(ids.length, 250);
        assert.deepEqual(new Set(ids).size, 250);
        assert.deepEqual(ids, [...ids].sort());
        // Default page size.
        assert.deepEqual((await page(h, "/api/v1/products")).items.length, 100);
      });

      await t.step("walking by change time survives rows sharing a millisecond", async () => {
        await clearCatalog(h);
        // 250 products over 10 distinct microsecond timestamps within one millisecond.
        await sql`
          INSERT INTO products (onec_id, name, hash, updated_at)
          SELECT 'p-' || lpad(i::text, 5, '0'), 'P', 'h',
            '2024-06-01T00:00:00Z'::timestamptz + (i % 10) * interval '1 microsecond'
          FROM generate_series(1, 250) AS i
        `.execute(h.ctx.db);
        const { ids, pages } = await walk(
          h,
          "/api/v1/products?limit=40&updatedSince=2024-01-01T00:00:00Z",
        );
        assert.deepEqual(ids.length, 250);
        assert.deepEqual(new Set(ids).size, 250);
        assert.deepEqual(pages[0].total, 250);
      });

      await t.step("limit above 1000 is clamped to 1000", async () => {
        await clearCatalog(h);
        await seedMany(h, 1100);
        const body = await page(h, "/api/v1/products?limit=5000");
        assert.deepEqual(body.items.length, 1000);
        assert.deepEqual(body.total, 1100);
        assert.ok(body.nextCursor);
        const rest = await page(h, `/api/v1/products?limit=5000&cursor=${body.nextCursor}`);
        assert.deepEqual(rest.items.length, 100);
        assert.deepEqual(rest.nextCursor, null);
      });

      await t.step("category includes descendant groups", async () => {
        await clearCatalog(h);
        await h.ctx.db.insertInto("groups").values([
          { onec_id: "g-root", parent_id: null, name: "Root" },
          { onec_id: "g-child", parent_id: "g-root", name: "Child" },
          { onec_id: "g-grand", parent_id: "g-child", name: "Grandchild" },
          { onec_id: "g-other", parent_id: null, name: "Other" },
          // A cycle must not hang the recursive query.
          { onec_id: "g-loop-a", parent_id: "g-loop-b", name: "Loop A" },
          { onec_id: "g-loop-b", parent_id: "g-loop-a", name: "Loop B" },
        ]).execute();
        await h.ctx.db.insertInto("products").values([
          product({ onec_id: "in-root", name: "r", group_ids: ["g-root"], hash: "h" }),
          product({ onec_id: "in-child", name: "c", group_ids: ["g-child"], hash: "h" }),
          product({ onec_id: "in-grand", name: "g", group_ids: ["g-grand", "g-child"], hash: "h" }),
          product({ onec_id: "in-other", name: "o", group_ids: ["g-other"], hash: "h" }),
          product({ onec_id: "in-loop", name: "l", group_ids: ["g-loop-b"], hash: "h" }),
          product({ onec_id: "in-none", name: "n", hash: "h" }),
        ]).execute();
        const ids = async (q: string) =>
          (await page(h, `/api/v1/products?${q}`)).items.map((i) => i.onecId);
        assert.deepEqual(await ids("category=g-root"), ["in-child", "in-grand", "in-root"]);
        assert.deepEqual((await page(h, "/api/v1/products?category=g-root")).total, 3);
        assert.deepEqual(await ids("category=g-child"), ["in-child", "in-grand"]);
        assert.deepEqual(await ids("category=g-grand"), ["in-grand"]);
        assert.deepEqual(await ids("category=g-loop-a"), ["in-loop"]);
        assert.deepEqual(await ids("category=unknown"), []);
        assert.deepEqual(await ids("category=g-root&active=false"), []);
      });

      await t.step("updatedSince sees product, offer, price and stock changes", async () => {
        await clearCatalog(h);
        const db = h.ctx.db;
        await db.insertInto("products").values([
          product({ onec_id: "old", name: "o", hash: "h", updated_at: at("2024-01-01T00:00:00Z") }),
          product({
            onec_id: "renamed",
            name: "r",
            hash: "h",
            updated_at: at("2024-03-01T00:00:00Z"),
          }),
          product({
            onec_id: "repriced",
            name: "p",
            hash: "h",
            updated_at: at("2024-01-01T00:00:00Z"),
          }),
          product({
            onec_id: "restocked",
            name: "s",
            hash: "h",
            updated_at: at("2024-01-01T00:00:00Z"),
          }),
          product({
            onec_id: "reoffered",
            name: "f",
            hash: "h",
            updated_at: at("2024-01-01T00:00:00Z"),
          }),
        ]).execute();
        await db.insertInto("offers").values([
          offer({
            onec_id: "old",
            product_id: "old",
            hash: "h",
            updated_at: at("2024-01-01T00:00:00Z"),
          }),
          offer({
            onec_id: "repriced",
            product_id: "repriced",
            hash: "h",
            updated_at: at("2024-01-01T00:00:00Z"),
          }),
          offer({
            onec_id: "restocked",
            product_id: "restocked",
            hash: "h",
            updated_at: at("2024-01-01T00:00:00Z"),
          }),
          offer({
            onec_id: "reoffered",
            product_id: "reoffered",
            hash: "h",
            updated_at: at("2024-02-15T00:00:00Z"),
          }),
        ]).execute();
        await db.insertInto("prices").values([
          {
            offer_id: "old",
            price_type_id: "pt-retail",
            value: "1",
            updated_at: at("2024-01-01T00:00:00Z"),
          },
          {
            offer_id: "repriced",
            price_type_id: "pt-retail",
            value: "2",
            updated_at: at("2024-03-05T00:00:00Z"),
          },
        ]).execute();
        await db.insertInto("stocks").values([
          {
            offer_id: "restocked",
            warehouse_id: "w-main",
            quantity: "1",
            updated_at: at("2024-02-10T00:00:00Z"),
          },
        ]).execute();

        const body = await page(h, "/api/v1/products?updatedSince=2024-02-01T00:00:00Z");
        // Ordered by change time.
        assert.deepEqual(body.items.map((i) => [i.onecId, i.updatedAt]), [
          ["restocked", "2024-02-10T00:00:00.000Z"],
          ["reoffered", "2024-02-15T00:00:00.000Z"],
          ["renamed", "2024-03-01T00:00:00.000Z"],
          ["repriced", "2024-03-05T00:00:00.000Z"],
        ]);
        assert.deepEqual(body.total, 4);
        // Inclusive, and an offset other than Z is understood (the + URL-encoded).
        const since = encodeURIComponent("2024-03-05T03:00:00+03:00");
        assert.deepEqual(
          (await page(h, `/api/v1/products?updatedSince=${since}`)).items.map((i) => i.onecId),
          ["repriced"],
        );
        assert.deepEqual(
          (await page(h, "/api/v1/products?updatedSince=2024-04-01T00:00:00Z")).total,
          0,
        );
        const paged = await walk(h, "/api/v1/products?updatedSince=2024-02-01T00:00:00Z&limit=1");
        assert.deepEqual(paged.ids, ["restocked", "reoffered", "renamed", "repriced"]);
      });
    } finally {
      await h.close();
    }
  },
});
