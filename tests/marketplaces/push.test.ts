/**
 * Pushing 1C's stock to the marketplaces' seller warehouses, against the fakes over real
 * HTTP: mappings managed through the API, batches within the documented sizes, only changed
 * pairs sent, per-item errors read from Ozon's 200 and WB's 409 arrays.
 */
import assert from "node:assert/strict";
import { sql } from "kysely";
import { createHarness, type Harness } from "../helpers/harness.ts";
import { OzonFake } from "./fakes/ozon-fake.ts";
import { WildberriesFake } from "./fakes/wildberries-fake.ts";
import { api, marketplaceEnv, READER, seedCatalog, setOnecStock, syncNow } from "./helpers.ts";

const WH1 = 1020000111222000;
const WH2 = 1020000333444000;
const N = 150;

async function put(h: Harness, path: string, body: unknown, token?: string) {
  const res = await api(h, "PUT", path, body, token);
  return { status: res.status, body: await res.json() };
}

/** Pretend the 30 s per pair have passed, on both sides. */
async function letThirtySecondsPass(h: Harness, fake: OzonFake) {
  fake.clockOffsetMs += 31_000;
  await sql`UPDATE marketplace_push_state SET pushed_at = pushed_at - interval '31 seconds'`
    .execute(h.ctx.db);
}

Deno.test("stock push", async (t) => {
  const ozon = new OzonFake().start();
  const wb = new WildberriesFake().start();
  let h: Harness | undefined;
  try {
    h = await createHarness("mp_push", { env: marketplaceEnv({ ozon, wb }) });
    const harness = h;

    await t.step("Ozon: mappings are managed through the API (admin only)", async () => {
      const refused = await put(
        harness,
        `/api/v1/marketplace-warehouse-mappings/ozon/${WH1}`,
        { onecWarehouseIds: ["main"] },
        READER,
      );
      assert.equal(refused.status, 403);
      const set = await put(harness, `/api/v1/marketplace-warehouse-mappings/ozon/${WH1}`, {
        onecWarehouseIds: ["shop", "main"],
      });
      assert.equal(set.status, 200);
      assert.deepEqual(set.body, {
        source: "ozon",
        marketplaceWarehouseId: String(WH1),
        onecWarehouseIds: ["main", "shop"],
      });
      await put(harness, `/api/v1/marketplace-warehouse-mappings/ozon/${WH2}`, {
        onecWarehouseIds: ["shop"],
      });
      await put(harness, `/api/v1/marketplace-warehouse-mappings/ozon/999`, {
        onecWarehouseIds: ["tiny"],
      });
      const list = await (await api(
        harness,
        "GET",
        "/api/v1/marketplace-warehouse-mappings?source=ozon",
        undefined,
        READER,
      )).json();
      assert.equal(list.items.length, 3);

      const art = await put(harness, "/api/v1/marketplace-article-mappings/ozon", {
        items: [{ article: "OLD-ART", marketplaceId: "A-NEW" }],
      });
      assert.equal(art.status, 200);
      const clash = await put(harness, "/api/v1/marketplace-article-mappings/ozon", {
        items: [{ article: "OTHER", marketplaceId: "A-NEW" }],
      });
      assert.equal(clash.status, 409);
    });

    await t.step("Ozon: the first push sends every pair and reads per-item errors", async () => {
      ozon.warehouses = [
        { warehouse_id: WH1, name: "FBS", is_rfbs: false },
        { warehouse_id: WH2, name: "rFBS", is_rfbs: true },
      ];
      ozon.products = [
        ...Array.from({ length: N }, (_, i) => ({ product_id: 1000 + i, offer_id: `A-${i}` })),
        { product_id: 5000, offer_id: "BIG" },
        { product_id: 5001, offer_id: "A-NEW" },
      ];
      await seedCatalog(harness, [
        ...Array.from(
          { length: N },
          (_, i) => ({ onecId: `p${i}`, sku: `A-${i}`, offers: [`p${i}`] }),
        ),
        { onecId: "ghost", sku: "NOT-ON-OZON", offers: ["ghost"] },
        { onecId: "big", sku: "BIG", offers: ["big"] },
        { onecId: "renamed", sku: "OLD-ART", offers: ["renamed"] },
        // Characteristics without their own article: no way to tell them apart on Ozon.
        { onecId: "multi", sku: "MULTI", offers: ["multi#1", "multi#2"] },
      ]);
      await setOnecStock(harness, [
        ...Array.from(
          { length: N },
          (_, i) => ({ offer: `p${i}`, warehouse: "main", quantity: i + 1 }),
        ),
        ...Array.from(
          { length: N },
          (_, i) => ({ offer: `p${i}`, warehouse: "shop", quantity: 2 }),
        ),
        { offer: "p0", warehouse: "tiny", quantity: 1 },
        { offer: "ghost", warehouse: "main", quantity: 5 },
        { offer: "big", warehouse: "main", quantity: 2_000_000 },
        { offer: "renamed", warehouse: "main", quantity: 7.6 },
        { offer: "multi#1", warehouse: "main", quantity: 3 },
        { offer: "multi#2", warehouse: "main", quantity: 3 },
      ]);
      // Someone else set this pair a moment ago.
      ozon.pushed.set(`${WH2}:A-5`, { stock: 1, at: Date.now() });

      const run = await syncNow(harness, "ozon", "push");
      assert.equal(run.kind, "push");
      assert.equal(run.status, "partial");
      // WH1: 150 + ghost + BIG + A-NEW; WH2: 150; 999: 1; and two unmapped offers.
      assert.equal(run.recordsProcessed, 304 + 2);
      assert.equal(run.recordsUpdated, 300);
      assert.equal(run.recordsSkipped, 6);
      const errors = new Map(run.itemErrors.map((e) => [e.key, e.code]));
      assert.deepEqual(Object.fromEntries(errors), {
        [`warehouse ${WH1} / offer BIG`]: "STOCK_TOO_BIG",
        [`warehouse ${WH1} / offer NOT-ON-OZON`]: "offer_id_not_found",
        [`warehouse ${WH2} / offer A-5`]: "TOO_MANY_REQUESTS",
        [`warehouse 999 / offer A-0`]: "WAREHOUSE_NOT_FOUND",
        [`warehouse ${WH1} / 1C offer multi#1`]: "UNMAPPED",
        [`warehouse ${WH1} / 1C offer multi#2`]: "UNMAPPED",
      });

      const calls = ozon.calls("/v2/products/stocks");
      assert.equal(calls.length, 4);
      assert.ok(calls.every((c) => (c.body.stocks as unknown[]).length <= 100));
      assert.equal(ozon.pushed.get(`${WH1}:A-10`)?.stock, 10 + 1 + 2, "main + shop");
      assert.equal(ozon.pushed.get(`${WH2}:A-10`)?.stock, 2);
      assert.equal(ozon.pushed.get(`${WH1}:A-NEW`)?.stock, 7, "mapped article, whole units");
      assert.deepEqual(calls[0].body.stocks && (calls[0].body.stocks as unknown[])[0], {
        offer_id: "A-0",
        stock: 3,
        warehouse_id: WH1,
      });
    });

    await t.step("Ozon: nothing changed — only the rejected pairs are sent again", async () => {
      const from = ozon.pushedPairs().length;
      const run = await syncNow(harness, "ozon", "push");
      const sent = ozon.pushedPairs().slice(from)
        .map((p) => `${p.warehouse_id}/${p.offer_id}`).sort();
      assert.deepEqual(sent, [`${WH1}/BIG`, `${WH1}/NOT-ON-OZON`, `${WH2}/A-5`, "999/A-0"].sort());
      assert.equal(run.recordsUpdated, 0);
      assert.equal(run.status, "partial");
    });

    await t.step("Ozon: a changed quantity and a vanished 1C stock row are sent", async () => {
      await letThirtySecondsPass(harness, ozon);
      await setOnecStock(harness, [{ offer: "p7", warehouse: "main", quantity: 100 }]);
      await harness.ctx.db.deleteFrom("stocks")
        .where("offer_id", "=", "p9").where("warehouse_id", "=", "shop").execute();
      const from = ozon.pushedPairs().length;
      const run = await syncNow(harness, "ozon", "push");
      const sent = ozon.pushedPairs().slice(from)
        .map((p) => `${p.warehouse_id}/${p.offer_id}=${p.stock}`).sort();
      assert.deepEqual(
        sent,
        [
          `${WH1}/A-7=102`,
          `${WH1}/A-9=10`,
          `${WH2}/A-9=0`,
          `${WH2}/A-5=2`,
          `${WH1}/BIG=2000000`,
          `${WH1}/NOT-ON-OZON=5`,
          "999/A-0=1",
        ].sort(),
      );
      assert.equal(run.recordsUpdated, 4);
      assert.equal(ozon.pushed.get(`${WH2}:A-9`)?.stock, 0);
      assert.equal(ozon.pushed.get(`${WH2}:A-5`)?.stock, 2, "accepted once 30 s had passed");
    });

    await t.step("mappings: list, page, remove; unknown marketplaces are 404", async () => {
      await put(harness, "/api/v1/marketplace-article-mappings/ozon", {
        items: [{ article: "A", marketplaceId: "X-A" }, { article: "B", marketplaceId: "X-B" }],
      });
      const p1 = await (await api(
        harness,
        "GET",
        "/api/v1/marketplace-article-mappings?source=ozon&limit=2",
        undefined,
        READER,
      )).json();
      assert.deepEqual(p1.items.map((m: { article: string }) => m.article), ["A", "B"]);
      const p2 = await (await api(
        harness,
        "GET",
        `/api/v1/marketplace-article-mappings?source=ozon&limit=2&cursor=${p1.nextCursor}`,
        undefined,
        READER,
      )).json();
      assert.deepEqual(p2.items, [{ source: "ozon", article: "OLD-ART", marketplaceId: "A-NEW" }]);
      assert.equal(p2.nextCursor, null);

      assert.equal(
        (await api(harness, "DELETE", "/api/v1/marketplace-article-mappings/ozon/A")).status,
        204,
      );
      assert.equal(
        (await api(harness, "DELETE", "/api/v1/marketplace-article-mappings/ozon/A")).status,
        404,
      );
      assert.equal(
        (await api(
          harness,
          "DELETE",
          "/api/v1/marketplace-article-mappings/ozon/B",
          undefined,
          READER,
        ))
          .status,
        403,
      );
      assert.equal(
        (await put(harness, "/api/v1/marketplace-article-mappings/amazon", {
          items: [{ article: "A", marketplaceId: "1" }],
        })).status,
        404,
      );
      assert.equal(
        (await put(harness, "/api/v1/marketplace-warehouse-mappings/amazon/1", {
          onecWarehouseIds: ["main"],
        })).status,
        404,
      );

      const removed = await put(harness, "/api/v1/marketplace-warehouse-mappings/ozon/999", {
        onecWarehouseIds: [],
      });
      assert.deepEqual(removed.body.onecWarehouseIds, []);
      const list = await (await api(
        harness,
        "GET",
        "/api/v1/marketplace-warehouse-mappings?source=ozon",
        undefined,
        READER,
      )).json();
      assert.deepEqual(
        list.items.map((m: { marketplaceWarehouseId: string }) => m.marketplaceWarehouseId),
        [String(WH1), String(WH2)],
      );
    });

    await t.step("WB: pushes by chrtId found by barcode, vendorCode or mapping", async () => {
      wb.warehouses = [
        { id: 1001, name: "FBS", officeId: 1, cargoType: 1, deliveryType: 1 },
        { id: 1002, name: "Busy", officeId: 1, cargoType: 1, deliveryType: 1 },
        { id: 1003, name: "DBS", officeId: 0, cargoType: 1, deliveryType: 2 },
      ];
      wb.processing.add("1002");
      wb.cards = [
        {
          nmID: 1,
          vendorCode: "SHIRT",
          sizes: [
            { chrtID: 11, skus: ["2000000000011"] },
            { chrtID: 12, skus: ["2000000000012"] },
          ],
        },
        { nmID: 2, vendorCode: "MUG", sizes: [{ chrtID: 21, skus: ["2000000000021"] }] },
        { nmID: 3, vendorCode: "ODD", sizes: [{ chrtID: 31, skus: [] }] },
      ];
      await seedCatalog(harness, [
        {
          onecId: "shirt",
          sku: "SHIRT",
          offers: [
            { onecId: "shirt#s", barcode: "2000000000011" },
            { onecId: "shirt#m", barcode: "2000000000012" },
          ],
        },
        { onecId: "mug", sku: "MUG", offers: ["mug"] },
        { onecId: "odd", sku: "ODD-1C", offers: ["odd"] },
        { onecId: "lost", sku: "LOST", offers: ["lost"] },
      ]);
      // The cards are read with the inventory.
      assert.equal((await syncNow(harness, "wildberries")).status, "success");
      const mapped = await put(harness, "/api/v1/marketplace-article-mappings/wildberries", {
        items: [
          { article: "odd", marketplaceId: "31" },
          { article: "LOST", marketplaceId: "999999" },
        ],
      });
      assert.equal(mapped.status, 200);
      const badChrt = await put(harness, "/api/v1/marketplace-article-mappings/wildberries", {
        items: [{ article: "x", marketplaceId: "not-a-number" }],
      });
      assert.equal(badChrt.status, 400);
      // 1C warehouses of their own, so the Ozon stock above stays out of it.
      for (const [wh, ids] of [["1001", ["wb-a"]], ["1002", ["wb-a"]], ["1003", ["wb-b"]]]) {
        await put(harness, `/api/v1/marketplace-warehouse-mappings/wildberries/${wh}`, {
          onecWarehouseIds: ids,
        });
      }
      await setOnecStock(harness, [
        { offer: "shirt#s", warehouse: "wb-a", quantity: 4 },
        { offer: "shirt#m", warehouse: "wb-a", quantity: 250_000 },
        { offer: "mug", warehouse: "wb-a", quantity: 9 },
        { offer: "mug", warehouse: "wb-b", quantity: 1 },
        { offer: "odd", warehouse: "wb-a", quantity: 2 },
        { offer: "lost", warehouse: "wb-a", quantity: 3 },
      ]);

      const run = await syncNow(harness, "wildberries", "push");
      assert.equal(run.status, "partial");
      // 1001 and 1002: shirt s/m, mug, odd, lost(999999); 1003: mug.
      assert.equal(run.recordsProcessed, 11);
      assert.equal(run.recordsUpdated, 4 + 1);
      assert.deepEqual(
        Object.fromEntries(wb.amounts),
        { "1001:11": 4, "1001:12": 100_000, "1001:21": 9, "1001:31": 2, "1003:21": 1 },
      );
      const errors = run.itemErrors.map((e) => `${e.key}: ${e.code}`).sort();
      assert.deepEqual(errors, [
        "warehouse 1001 / chrtId 999999: NotFound",
        "warehouse 1002 / chrtId 11: StoreIsProcessing",
        "warehouse 1002 / chrtId 12: StoreIsProcessing",
        "warehouse 1002 / chrtId 21: StoreIsProcessing",
        "warehouse 1002 / chrtId 31: StoreIsProcessing",
        "warehouse 1002 / chrtId 999999: StoreIsProcessing",
      ]);
      // The 409 named 999999; the rest went again without it.
      const puts1001 = wb.requests.filter((r) => r.path === "/api/v3/stocks/1001");
      assert.deepEqual(puts1001.map((r) => r.status), [409, 204]);
      assert.ok(
        puts1001.every((r) =>
          (r.body as { stocks: Record<string, unknown>[] }).stocks
            .every((s) => Object.keys(s).sort().join() === "amount,chrtId")
        ),
      );
    });

    await t.step("WB: nothing changed — only what was refused goes again", async () => {
      wb.processing.clear();
      const from = wb.requests.length;
      const run = await syncNow(harness, "wildberries", "push");
      const puts = wb.requests.slice(from).filter((r) => r.method === "PUT");
      assert.deepEqual(
        puts.map((r) => [r.path, r.status]),
        [["/api/v3/stocks/1001", 409], ["/api/v3/stocks/1002", 409], [
          "/api/v3/stocks/1002",
          204,
        ]],
      );
      assert.equal(run.recordsUpdated, 4);
      assert.equal(wb.amounts.get("1002:21"), 9);
    });
  } finally {
    await h?.close();
    await ozon.close();
    await wb.close();
  }
});
