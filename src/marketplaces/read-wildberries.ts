/**
 * One Wildberries inventory read (spec §2.6): seller warehouses and their delivery type,
 * the item cards (for vendorCode and barcodes), stock on the seller's warehouses from
 * `stocks-report/seller-warehouses` and on WB's own from `stocks-report/wb-warehouses`.
 */
import type { StockType } from "../../db/schema-marketplaces.ts";
import type { WbSellerStock, WbWarehouseStock, WildberriesClient } from "./wildberries.ts";
import type { ReadSink, StockRow } from "./read-sink.ts";
import { looseId } from "./record-schemas.ts";

/** "`deliveryType`: 1 = FBS … 2 = DBS (seller delivers, the realFBS analogue), 3 = DBW,
 * 5 = C&C, 6 = EDBS" — everything but 1 is the seller's own delivery. */
function stockTypeOf(deliveryType: number | undefined): StockType {
  return deliveryType === undefined || deliveryType === 1 ? "FBS" : "realFBS";
}

/** Both stock reports' rows: "`quantity` (available for customers to add to cart)"; WB
 * reports no reserve. */
function stockRow(s: WbSellerStock | WbWarehouseStock, stockType: StockType): StockRow {
  return {
    warehouseId: s.warehouseId,
    stockType,
    itemKey: s.chrtId,
    sku: null,
    offerId: null,
    productId: null,
    nmId: s.nmId,
    chrtId: s.chrtId,
    warehouseName: s.warehouseName,
    present: s.quantity,
    reserved: null,
    available: s.quantity,
    snapshotAt: null,
  };
}

export async function readWildberries(client: WildberriesClient, sink: ReadSink): Promise<void> {
  const deliveryTypes = new Map<string, number>();
  const list = await client.warehouses();
  for (const w of list.items) deliveryTypes.set(w.id, w.deliveryType);
  sink.counted(list.items.length);
  for (const bad of list.invalid) {
    // Its stock still comes with the report; only its delivery type is unknown (FBS assumed).
    await sink.invalid(`warehouse ${looseId(bad.record, "id") ?? "?"}`, bad, null);
  }

  for await (const page of client.cards()) {
    for (const card of page.items) {
      for (const size of card.sizes) {
        await sink.listing({
          listingKey: size.chrtID,
          offerId: card.vendorCode,
          sku: null,
          productId: null,
          nmId: card.nmID,
          chrtId: size.chrtID,
          barcodes: size.skus,
        });
      }
    }
    for (const bad of page.invalid) {
      await sink.invalidListing(`card ${looseId(bad.record, "nmID") ?? "?"}`, bad);
    }
  }

  for await (const page of client.sellerWarehouseStocks()) {
    for (const s of page.items) {
      await sink.row(stockRow(s, stockTypeOf(deliveryTypes.get(s.warehouseId))));
    }
    for (const bad of page.invalid) {
      const chrtId = looseId(bad.record, "chrtId");
      const warehouseId = looseId(bad.record, "warehouseId");
      await sink.invalid(
        `warehouse ${warehouseId ?? "?"} / chrtId ${chrtId ?? "?"}`,
        bad,
        chrtId && warehouseId ? { warehouseId, stockType: null, itemKey: chrtId } : null,
      );
    }
  }

  for await (const page of client.wbWarehouseStocks()) {
    for (const s of page.items) {
      await sink.row(stockRow(s, "FBO"));
    }
    for (const bad of page.invalid) {
      const chrtId = looseId(bad.record, "chrtId");
      await sink.invalid(
        `WB warehouse ${looseId(bad.record, "warehouseId") ?? "?"} / chrtId ${chrtId ?? "?"}`,
        bad,
        chrtId
          ? { warehouseId: looseId(bad.record, "warehouseId"), stockType: "FBO", itemKey: chrtId }
          : null,
      );
    }
  }
}
