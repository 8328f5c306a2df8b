/**
 * An Ozon inventory read against the fake Ozon API over real HTTP: several thousand SKUs over
 * several pages of every paged method, FBS/realFBS/FBO rows, links to our catalog, idempotent
 * re-reads, vanished rows zeroed, and the inventory API on top.
 */
import assert from "node:assert/strict";
import { createHarness, type Harness } from "../helpers/harness.ts";
import { OzonFake } from "./fakes/ozon-fake.ts";
import {
  allInventory,
  api,
  type InventoryBody,
  marketplaceEnv,
  READER,
  seedCatalog,
  syncNow,
} from "./helpers.ts";

const PODOLSK = 1020000111222000;
const COURIER = 1020000333444000;
const SAMARA = 23128509046000;
const KAZAN = 23128509047000;
const SKUS = 3000;

const sku = (i: number) => 1789000000 + i;
const article = (i: number) => `ART-${String(i).padStart(4, "0")}`;

function fillFake(fake: OzonFake) {
  fake.warehouses = [
    { warehouse_id: PODOLSK, name: "Склад Подольск", is_rfbs: false, status: "created" },
    { warehouse_id: COURIER, name: "Свой курьер Москва", is_rfbs: true, status: "created" },
  ];
  fake.products = Array.from({ length: SKUS }, (_, i) => ({
    product_id: 987650000 + i,
    offer_id: article(i),
    sku: sku(i),
    archived: false,
    has_fbo_stocks: true,
    has_fbs_stocks: true,
    is_discounted: false,
    quants: [],
  }));
  // 1500 items on the FBS warehouse, 1200 on the realFBS one.
  fake.stocks.set(
    String(PODOLSK),
    Array.from({ length: 1500 }, (_, i) => ({
      sku: sku(i),
      product_id: 987650000 + i,
      offer_id: article(i),
      warehouse_id: PODOLSK,
      present: 10 + (i % 7),
      reserved: i % 3,
      free_stock: 10 + (i % 7) - (i % 3),
      updated_at: "2026-09-30T08:15:02.417498Z",
    })),
  );
  fake.stocks.set(
    String(COURIER),
    Array.from({ length: 1200 }, (_, i) => ({
      sku: sku(i + 1500),
      product_id: 987650000 + i + 1500,
      offer_id: article(i + 1500),
      warehouse_id: COURIER,
      present: 5,
      reserved: 0,
      free_stock: 5,
      updated_at: "2026-09-30T08:15:02Z",
    })),
  );
  fake.fboWarehouses = [
    { warehouse_id: SAMARA, name: "САМАРА_РФЦ", short_name: "Самара", is_active: true },
    { warehouse_id: KAZAN, name: "КАЗАНЬ_РФЦ", short_name: "Казань", is_active: true },
  ];
  // Every SKU on Samara, every third also on Kazan.
  fake.fbo = Array.from({ length: SKUS }, (_, i) => [
    {
      sku: sku(i),
      product_id: 987650000 + i,
      offer_id: article(i),
      warehouse_id: SAMARA,
      present: 40,
      reserved: 3,
    },
    ...(i % 3 === 0
      ? [{
        sku: sku(i),
        product_id: 987650000 + i,
        offer_id: article(i),
        warehouse_id: KAZAN,
        present: 2,
        reserved: 0,
      }]
      : []),
  ]).flat();
}

const FBO_ROWS = SKUS + SKUS / 3;
const ROWS = 1500 + 1200 + FBO_ROWS;

Deno.test("Ozon inventory read", async (t) => {
  const fake = new OzonFake().start();
  fillFake(fake);
  let h: Harness | undefined;
  try {
    h = await createHarness("mp_ozon_read", {
      env: marketplaceEnv({ ozon: fake, extra: { OZON_PAGE_SIZE: "500" } }),
    });
    const harness = h;
    // Our catalog: ART-0000…ART-0099 as single-offer products; ART-0100 a product with two
    // characteristics (the product links, the offer is ambiguous).
    await seedCatalog(harness, [
      ...Array.from({ length: 100 }, (_, i) => ({
        onecId: `p-${i}`,
        sku: article(i),
        offers: [`p-${i}`],
      })),
      { onecId: "p-100", sku: article(100), offers: ["p-100#red", "p-100#blue"] },
    ]);

    await t.step("a full read pages through everything and stores every row", async () => {
      const run = await syncNow(harness, "ozon");
      assert.equal(run.status, "success", run.errorMessage ?? "");
      assert.equal(run.kind, "read");
      assert.equal(run.trigger, "manual");
      assert.equal(run.recordsSkipped, 0);
      assert.equal(run.recordsUpdated, ROWS);
      // 2 warehouses + their stock + the catalogue + 2 FBO warehouse names + FBO rows.
      assert.equal(run.recordsProcessed, 2 + 2700 + SKUS + 2 + FBO_ROWS);
      assert.ok(run.durationSeconds !== null && run.durationSeconds >= 0);

      // Paging: 500 per page.
      assert.equal(fake.calls("/v1/product/info/warehouse/stocks").length, 3 + 3);
      // "Stop when `items.length < limit` or `last_id` is empty": the sixth page has no last_id.
      assert.equal(fake.calls("/v3/product/list").length, 6);
      // 3000 SKUs asked 500 at a time (the page size caps the list too).
      const fboCalls = fake.calls("/v1/product/info/stocks-by-warehouse/fbo");
      assert.ok(fboCalls.every((c) => (c.body.skus as string[]).length <= 500));
      assert.ok(fboCalls.every((c) => typeof (c.body.skus as unknown[])[0] === "string"));
      const askedSkus = new Set(fboCalls.flatMap((c) => c.body.skus as string[]));
      assert.equal(askedSkus.size, SKUS);
      // The disabled methods are never called.
      for (const path of ["/v1/warehouse/list", "/v1/product/info/stocks-by-warehouse/fbs"]) {
        assert.equal(fake.calls(path).length, 0, path);
      }

      const items = await allInventory(harness, "source=ozon");
      assert.equal(items.length, ROWS);
      const byType = Map.groupBy(items, (i) => i.stockType);
      assert.equal(byType.get("FBS")?.length, 1500);
      assert.equal(byType.get("realFBS")?.length, 1200);
      assert.equal(byType.get("FBO")?.length, FBO_ROWS);
    });

    await t.step("rows carry the marketplace ids, our links and the figures", async () => {
      const items = await allInventory(harness, `sku=${sku(4)}`);
      const fbs = items.find((i) => i.stockType === "FBS")!;
      assert.deepEqual(
        { ...fbs, lastSyncAt: "x" },
        {
          source: "ozon",
          account: fake.clientId,
          sku: String(sku(4)),
          offerId: "ART-0004",
          nmId: null,
          chrtId: null,
          productOnecId: "p-4",
          offerOnecId: "p-4",
          warehouseId: String(PODOLSK),
          warehouseName: "Склад Подольск",
          stockType: "FBS",
          present: 14,
          reserved: 1,
          available: 13,
          snapshotDate: "2026-09-30T08:15:02.417Z",
          lastSyncAt: "x",
        } satisfies InventoryBody,
      );
      const fbo = items.filter((i) => i.stockType === "FBO")
        .sort((a, b) => a.warehouseId.localeCompare(b.warehouseId));
      assert.deepEqual(
        fbo.map((i) => [i.warehouseId, i.warehouseName, i.present, i.reserved, i.available]),
        [[String(SAMARA), "САМАРА_РФЦ", 40, 3, 37]],
      );

      const shared = await allInventory(harness, `sku=${article(100)}`);
      assert.ok(shared.length > 0);
      for (const i of shared) {
        assert.equal(i.productOnecId, "p-100");
        assert.equal(i.offerOnecId, null, "two offers share the article: no offer link");
      }
      const unknown = await allInventory(harness, `sku=${article(2000)}`);
      assert.ok(unknown.every((i) => i.productOnecId === null && i.offerOnecId === null));
    });

    await t.step("inventory API: filters, pages and totals", async () => {
      const res = await api(
        harness,
        "GET",
        `/api/v1/inventory?source=ozon&stockType=realFBS&limit=100`,
        undefined,
        READER,
      );
      assert.equal(res.status, 200);
      const page = await res.json();
      assert.equal(page.total, 1200);
      assert.equal(page.items.length, 100);
      assert.ok(page.nextCursor);
      assert.ok(page.items.every((i: InventoryBody) => i.warehouseName === "Свой курьер Москва"));

      const byName = await allInventory(harness, "warehouse=КАЗАНЬ_РФЦ");
      assert.equal(byName.length, SKUS / 3);
      const byId = await allInventory(harness, `warehouse=${KAZAN}`);
      assert.equal(byId.length, SKUS / 3);
      assert.equal((await allInventory(harness, "source=wildberries")).length, 0);

      const bad = await api(harness, "GET", "/api/v1/inventory?cursor=nope!", undefined, READER);
      assert.equal(bad.status, 400);
      const badType = await api(
        harness,
        "GET",
        "/api/v1/inventory?stockType=FBW",
        undefined,
        READER,
      );
      assert.equal(badType.status, 400);
    });

    await t.step("a re-read of the same stock changes nothing", async () => {
      const before = await allInventory(harness, `sku=${sku(7)}`);
      const run = await syncNow(harness, "ozon");
      assert.equal(run.status, "success");
      assert.equal(run.recordsUpdated, 0);
      const after = await allInventory(harness, `sku=${sku(7)}`);
      // Only the stamps move on: when the read confirmed the row, and (for figures Ozon does
      // not date) when they were read.
      const figures = (i: InventoryBody) => ({
        ...i,
        lastSyncAt: "",
        snapshotDate: i.stockType === "FBO" ? "" : i.snapshotDate,
      });
      assert.deepEqual(after.map(figures), before.map(figures));
      assert.ok(after[0].lastSyncAt > before[0].lastSyncAt, "the sync stamp moves on");
    });

    await t.step("rows the marketplace stopped listing are zeroed, changes applied", async () => {
      const podolsk = fake.stocks.get(String(PODOLSK))!;
      const gone = podolsk.splice(0, 100); // sku(0)…sku(99) leave the FBS warehouse
      podolsk[0] = { ...podolsk[0], present: 99, reserved: 0, free_stock: 99 };
      const run = await syncNow(harness, "ozon");
      assert.equal(run.status, "success", run.errorMessage ?? "");
      assert.equal(run.recordsUpdated, 101);

      const vanished = await allInventory(harness, `sku=${gone[5].sku}&stockType=FBS`);
      assert.equal(vanished.length, 1);
      assert.deepEqual(
        [vanished[0].present, vanished[0].reserved, vanished[0].available],
        [0, 0, 0],
      );
      const changed = await allInventory(harness, `sku=${podolsk[0].sku}&stockType=FBS`);
      assert.equal(changed[0].available, 99);
      // Zeroed, not removed: the row count stays.
      assert.equal((await allInventory(harness, "source=ozon")).length, ROWS);
    });

    await t.step("the sync log lists the runs newest first", async () => {
      const res = await api(harness, "GET", "/api/v1/stock-syncs?source=ozon", undefined, READER);
      const body = await res.json();
      assert.equal(body.items.length, 3);
      assert.deepEqual(body.items.map((r: { status: string }) => r.status), [
        "success",
        "success",
        "success",
      ]);
      assert.ok(body.items[0].id > body.items[1].id);
      const paged = await api(harness, "GET", "/api/v1/stock-syncs?limit=2", undefined, READER);
      const p1 = await paged.json();
      assert.equal(p1.items.length, 2);
      const p2 = await (await api(
        harness,
        "GET",
        `/api/v1/stock-syncs?limit=2&cursor=${p1.nextCursor}`,
        undefined,
        READER,
      )).json();
      assert.equal(p2.items.length, 1);
      assert.equal(p2.nextCursor, null);
    });
  } finally {
    await h?.close();
    await fake.close();
  }
});
