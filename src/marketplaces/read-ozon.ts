/**
 * One Ozon inventory read (spec §1.6): FBS/realFBS stock per seller warehouse from
 * `/v1/product/info/warehouse/stocks`, FBO stock per Ozon warehouse from
 * `/v1/product/info/stocks-by-warehouse/fbo` for every SKU of `/v3/product/list`.
 */
import type { Logger } from "../log.ts";
import { MarketplaceApiError, MarketplaceProtocolError } from "./errors.ts";
import type { OzonClient } from "./ozon.ts";
import type { ReadSink } from "./read-sink.ts";
import { looseId } from "./record-schemas.ts";

export async function readOzon(
  client: OzonClient,
  sink: ReadSink,
  log: Logger,
): Promise<void> {
  const warehouses: { id: string; name: string; rfbs: boolean }[] = [];
  for await (const page of client.warehouses()) {
    for (const w of page.items) {
      warehouses.push({ id: w.warehouse_id, name: w.name, rfbs: w.is_rfbs });
    }
    sink.counted(page.items.length);
    for (const bad of page.invalid) {
      // Its stock is not read this time; its rows stay as they were.
      const id = looseId(bad.record, "warehouse_id");
      await sink.invalid(`warehouse ${id ?? "?"}`, bad, {
        warehouseId: id,
        stockType: null,
        itemKey: null,
      });
    }
  }

  for (const w of warehouses) {
    // "Use `is_rfbs` to split FBS (Ozon delivers) from realFBS/rFBS (seller delivers)."
    const stockType = w.rfbs ? "realFBS" : "FBS";
    for await (const page of client.warehouseStocks(w.id)) {
      for (const s of page.items) {
        await sink.row({
          warehouseId: w.id,
          stockType,
          itemKey: s.sku,
          sku: s.sku,
          offerId: s.offer_id,
          productId: s.product_id ?? null,
          nmId: null,
          chrtId: null,
          warehouseName: w.name,
          present: s.present,
          reserved: s.reserved,
          // "`free_stock` is what is available to sell, i.e. `present - reserved`."
          available: s.free_stock,
          snapshotAt: s.updated_at ? new Date(s.updated_at) : null,
        });
      }
      for (const bad of page.invalid) {
        const sku = looseId(bad.record, "sku");
        await sink.invalid(
          `warehouse ${w.id} / sku ${sku ?? "?"}`,
          bad,
          sku ? { warehouseId: w.id, stockType, itemKey: sku } : null,
        );
      }
    }
  }

  const skus = new Set<string>();
  for await (const page of client.products()) {
    for (const p of page.items) {
      if (p.sku) skus.add(p.sku);
      await sink.listing({
        listingKey: p.offer_id,
        offerId: p.offer_id,
        sku: p.sku ?? null,
        productId: p.product_id,
        nmId: null,
        chrtId: null,
        barcodes: [],
      });
    }
    for (const bad of page.invalid) {
      // Its FBO stock cannot be asked for; keep its FBO rows when its sku is readable.
      const sku = looseId(bad.record, "sku");
      await sink.invalidListing(
        `product ${sku ?? "?"}`,
        bad,
        sku ? { warehouseId: null, stockType: "FBO", itemKey: sku } : null,
      );
    }
  }

  // Names only: an FBO warehouse without one still has its stock, so a refusal here (other
  // than of the key itself) costs the names, not the run.
  const fboNames = new Map<string, string>();
  try {
    const names = await client.fboWarehouses();
    for (const w of names.items) fboNames.set(w.warehouse_id, w.name);
    sink.counted(names.items.length);
    for (const bad of names.invalid) await sink.invalid("FBO warehouse name", bad, null);
  } catch (err) {
    if (!(err instanceof MarketplaceApiError || err instanceof MarketplaceProtocolError)) throw err;
    log.warn({ err: err.message }, "Ozon FBO warehouse names unavailable; stored without names");
  }

  for await (const page of client.fboStocks([...skus])) {
    for (const s of page.items) {
      await sink.row({
        warehouseId: s.warehouse_id,
        stockType: "FBO",
        itemKey: s.sku,
        sku: s.sku,
        offerId: s.offer_id,
        productId: s.product_id ?? null,
        nmId: null,
        chrtId: null,
        warehouseName: fboNames.get(s.warehouse_id) ?? null,
        present: s.present,
        reserved: s.reserved,
        available: Math.max(0, s.present - s.reserved),
        snapshotAt: null,
      });
    }
    for (const bad of page.invalid) {
      const sku = looseId(bad.record, "sku");
      await sink.invalid(
        `FBO sku ${sku ?? "?"}`,
        bad,
        sku
          ? { warehouseId: looseId(bad.record, "warehouse_id"), stockType: "FBO", itemKey: sku }
          : null,
      );
    }
  }
}
