/** The inventory as GET /api/v1/inventory shows it: filtered, in key order, cursor-paged. */
import { sql } from "kysely";
import type { Db } from "../../db/pool.ts";
import type { MarketplaceSource, StockType } from "../../db/schema-marketplaces.ts";

export interface InventoryItem {
  source: MarketplaceSource;
  account: string;
  sku: string | null;
  offerId: string | null;
  nmId: string | null;
  chrtId: string | null;
  productOnecId: string | null;
  offerOnecId: string | null;
  warehouseId: string;
  warehouseName: string | null;
  stockType: StockType;
  present: number;
  reserved: number | null;
  available: number;
  snapshotDate: string;
  lastSyncAt: string;
}

export interface InventoryFilter {
  source?: MarketplaceSource;
  stockType?: StockType;
  /** A warehouse id or name. */
  warehouse?: string;
  /** Any of the item's marketplace ids: sku, offer_id (vendorCode), nmId, chrtId. */
  sku?: string;
}

/** The last row of a page: the table's key. */
export interface InventoryCursor {
  s: string;
  a: string;
  w: string;
  t: string;
  k: string;
}

export async function listInventory(
  db: Db,
  f: InventoryFilter,
  limit: number,
  cursor?: InventoryCursor,
): Promise<{ items: InventoryItem[]; next: InventoryCursor | null; total: number }> {
  let q = db.selectFrom("marketplace_inventory");
  if (f.source) q = q.where("source", "=", f.source);
  if (f.stockType) q = q.where("stock_type", "=", f.stockType);
  if (f.warehouse) {
    const w = f.warehouse;
    q = q.where((eb) => eb.or([eb("warehouse_id", "=", w), eb("warehouse_name", "=", w)]));
  }
  if (f.sku) {
    const s = f.sku;
    q = q.where((eb) =>
      eb.or([eb("sku", "=", s), eb("offer_id", "=", s), eb("nm_id", "=", s), eb("chrt_id", "=", s)])
    );
  }
  const { total } = await q.select((eb) => eb.fn.countAll<string>().as("total"))
    .executeTakeFirstOrThrow();
  let page = q.selectAll();
  if (cursor) {
    page = page.where(
      sql<boolean>`(source, account, warehouse_id, stock_type, item_key) >
        (${cursor.s}, ${cursor.a}, ${cursor.w}, ${cursor.t}, ${cursor.k})`,
    );
  }
  const rows = await page
    .orderBy("source").orderBy("account").orderBy("warehouse_id").orderBy("stock_type")
    .orderBy("item_key").limit(limit + 1).execute();
  const more = rows.length > limit;
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    items: shown.map((r) => ({
      source: r.source,
      account: r.account,
      sku: r.sku,
      offerId: r.offer_id,
      nmId: r.nm_id,
      chrtId: r.chrt_id,
      productOnecId: r.product_onec_id,
      offerOnecId: r.offer_onec_id,
      warehouseId: r.warehouse_id,
      warehouseName: r.warehouse_name,
      stockType: r.stock_type,
      present: r.present,
      reserved: r.reserved,
      available: r.available,
      snapshotDate: new Date(r.snapshot_at).toISOString(),
      lastSyncAt: new Date(r.last_sync_at).toISOString(),
    })),
    next: more && last
      ? {
        s: last.source,
        a: last.account,
        w: last.warehouse_id,
        t: last.stock_type,
        k: last.item_key,
      }
      : null,
    total: Number(total),
  };
}
