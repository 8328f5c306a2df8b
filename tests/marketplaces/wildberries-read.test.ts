/**
 * A Wildberries inventory read against the fake WB API over real HTTP: seller warehouses and
 * their delivery types, item cards over their cursor, both analytics stock reports over
 * offset pages ending in 204, the combined −999999 WB-warehouse row, a 429 with
 * X-Ratelimit-Retry and a 502 on the way, and the links to our catalog.
 */
import assert from "node:assert/strict";
import { createHarness, type Harness } from "../helpers/harness.ts";
import { WildberriesFake } from "./fakes/wildberries-fake.ts";
import { allInventory, marketplaceEnv, seedCatalog, syncNow } from "./helpers.ts";

const CARDS = 1000;
const nm = (i: number) => 260000000 + i;
const chrt = (i: number, size: number) => 412300000 + i * 2 + size;
const vendor = (i: number) => `WB-${String(i).padStart(4, "0")}`;
const barcode = (i: number, size: number) => `204${String(i * 2 + size).padStart(10, "0")}`;

function fillFake(fake: WildberriesFake) {
  fake.warehouses = [
    { id: 1001, name: "Склад Подольск", officeId: 15, cargoType: 1, deliveryType: 1 },
    { id: 1002, name: "Свой курьер МСК", officeId: 0, cargoType: 1, deliveryType: 2 },
    { id: 1003, name: "Экспресс", officeId: 0, cargoType: 1, deliveryType: 6 },
  ];
  fake.cards = Array.from({ length: CARDS }, (_, i) => ({
    nmID: nm(i),
    imtID: 240000000 + i,
    vendorCode: vendor(i),
    brand: "Бренд",
    title: `Кружка ${i}`,
    sizes: [0, 1].map((s) => ({
      chrtID: chrt(i, s),
      techSize: s === 0 ? "S" : "M",
      wbSize: "",
      skus: [barcode(i, s)],
    })),
    updatedAt: "2026-09-01T10:00:00Z",
  }));
  // Every size on 1001 and 1002: 4000 rows, four full pages of 1000, then 204.
  fake.sellerStocks = [1001, 1002].flatMap((wh) =>
    Array.from({ length: CARDS * 2 }, (_, k) => ({
      nmId: nm(Math.floor(k / 2)),
      chrtId: chrt(Math.floor(k / 2), k % 2),
      warehouseId: wh,
      warehouseName: wh === 1001 ? "Склад Подольск" : "Свой курьер МСК",
      regionName: "Центральный",
      quantity: wh === 1001 ? 7 : 3,
    }))
  );
  fake.sellerStocks.push({
    nmId: nm(0),
    chrtId: chrt(0, 0),
    warehouseId: 1003,
    warehouseName: "Экспресс",
    regionName: "Центральный",
    quantity: 1,
  });
  // "At present `warehouseId` can only be `-999999`": one combined row per size.
  fake.wbStocks = Array.from({ length: CARDS * 2 }, (_, k) => ({
    nmId: nm(Math.floor(k / 2)),
    chrtId: chrt(Math.floor(k / 2), k % 2),
    warehouseId: -999999,
    warehouseName: "Склад WB",
    regionName: "Склад WB",
    quantity: 134,
    inWayToClient: 14,
    inWayFromClient: 4,
  }));
}

Deno.test("Wildberries inventory read", async (t) => {
  const fake = new WildberriesFake().start();
  fillFake(fake);
  let h: Harness | undefined;
  try {
    h = await createHarness("mp_wb_read", {
      env: marketplaceEnv({ wb: fake, extra: { WB_PAGE_SIZE: "1000" } }),
    });
    const harness = h;
    await seedCatalog(harness, [
      // Card 0: a product with two characteristics, each with the size's barcode.
      {
        onecId: "mug",
        sku: vendor(0),
        offers: [
          { onecId: "mug#s", barcode: barcode(0, 0) },
          { onecId: "mug#m", barcode: barcode(0, 1) },
        ],
      },
      // Card 1: the article matches, one offer.
      { onecId: "cup", sku: vendor(1), offers: ["cup"] },
    ]);

    await t.step("a throttled, briefly failing read waits, retries and completes", async () => {
      fake.throttleNext = 1;
      fake.retrySeconds = 1;
      const run = await syncNow(harness, "wildberries");
      assert.equal(run.status, "success", run.errorMessage ?? "");
      const throttled = fake.requests.findIndex((r) => r.status === 429);
      assert.ok(throttled >= 0);
      // "A 429 adds `X-Ratelimit-Retry`, the seconds to wait before retrying".
      assert.ok(
        fake.requests[throttled + 1].at - fake.requests[throttled].at >= 1000,
        "the retry came after X-Ratelimit-Retry",
      );

      const rows = CARDS * 2 * 2 + 1 + CARDS * 2;
      assert.equal(run.recordsUpdated, rows);
      assert.equal(run.recordsProcessed, 3 + CARDS * 2 + rows);
      // Offset paging: four full pages, then 204; cards: 10 pages of 100, then an empty one.
      const seller = fake.calls("/api/analytics/v1/stocks-report/seller-warehouses")
        .filter((r) => r.status !== 429);
      assert.deepEqual(seller.map((r) => r.status), [200, 200, 200, 200, 200]);
      assert.deepEqual(
        seller.map((r) => (r.body as { offset: number }).offset),
        [0, 1000, 2000, 3000, 4000],
      );
      const wb = fake.calls("/api/analytics/v1/stocks-report/wb-warehouses")
        .filter((r) => r.status !== 429);
      assert.deepEqual(wb.map((r) => r.status), [200, 200, 204]);
      assert.equal(
        fake.calls("/content/v2/get/cards/list").filter((r) => r.status === 200).length,
        11,
      );
      assert.equal(fake.calls("/api/v1/supplier/stocks").length, 0);
    });

    await t.step("rows: delivery types, the combined WB row, ids and links", async () => {
      const all = await allInventory(harness, "source=wildberries");
      const count = (type: string) => all.filter((i) => i.stockType === type).length;
      assert.equal(count("FBS"), CARDS * 2);
      assert.equal(count("realFBS"), CARDS * 2 + 1);
      assert.equal(count("FBO"), CARDS * 2);

      const s = await allInventory(harness, `sku=${chrt(0, 0)}`);
      const byWarehouse = new Map(s.map((i) => [i.warehouseId, i]));
      const fbo = byWarehouse.get("-999999")!;
      assert.deepEqual(
        {
          ...fbo,
          snapshotDate: "",
          lastSyncAt: "",
        },
        {
          source: "wildberries",
          account: "default",
          sku: null,
          offerId: vendor(0),
          nmId: String(nm(0)),
          chrtId: String(chrt(0, 0)),
          productOnecId: "mug",
          offerOnecId: "mug#s",
          warehouseId: "-999999",
          warehouseName: "Склад WB",
          stockType: "FBO",
          present: 134,
          reserved: null,
          available: 134,
          snapshotDate: "",
          lastSyncAt: "",
        },
      );
      assert.equal(byWarehouse.get("1001")!.stockType, "FBS");
      assert.equal(byWarehouse.get("1002")!.stockType, "realFBS");
      assert.equal(byWarehouse.get("1003")!.stockType, "realFBS");
      assert.equal(byWarehouse.get("1001")!.available, 7);

      const m = await allInventory(harness, `sku=${chrt(0, 1)}&warehouse=1001`);
      assert.equal(m[0].offerOnecId, "mug#m");
      const cup = await allInventory(harness, `sku=${vendor(1)}`);
      assert.equal(cup.length, 2 * 3);
      // The article matches a product with a single offer: both link.
      assert.ok(cup.every((i) => i.productOnecId === "cup" && i.offerOnecId === "cup"));
      const byNm = await allInventory(harness, `sku=${nm(5)}`);
      assert.equal(byNm.length, 6);
      assert.ok(byNm.every((i) => i.productOnecId === null));
    });

    await t.step("5xx are retried; the size that left the report is zeroed", async () => {
      fake.failNext = 2;
      fake.wbStocks.pop(); // the last size leaves WB's warehouses
      const run = await syncNow(harness, "wildberries");
      assert.equal(run.status, "success", run.errorMessage ?? "");
      assert.equal(run.recordsUpdated, 1);
      assert.equal(fake.requests.filter((r) => r.status === 502).length, 2);
      const gone = await allInventory(harness, `sku=${chrt(CARDS - 1, 1)}&stockType=FBO`);
      assert.equal(gone[0].available, 0);
    });
  } finally {
    await h?.close();
    await fake.close();
  }
});
