/**
 * Where a read run puts what it reads: stock rows into the staging table and catalogue
 * listings into marketplace_listings, both in batches, with the run's counters. Invalid
 * records are counted and noted; when their key is readable, their inventory row is kept as
 * it was (a "keep" staging row) rather than zeroed as vanished.
 */
import type { Db } from "../../db/pool.ts";
import type { MarketplaceSource, StockType, SyncItemError } from "../../db/schema-marketplaces.ts";
import type { InvalidRecord } from "./record-schemas.ts";
import { MAX_ITEM_ERRORS } from "./sync-runs.ts";

export interface StockRow {
  warehouseId: string;
  stockType: StockType;
  /** Ozon: sku; Wildberries: chrtId. */
  itemKey: string;
  sku: string | null;
  offerId: string | null;
  productId: string | null;
  nmId: string | null;
  chrtId: string | null;
  warehouseName: string | null;
  present: number;
  reserved: number | null;
  available: number;
  /** When the marketplace says the figure is from; null: the run's start. */
  snapshotAt: Date | null;
}

export interface ListingRow {
  /** Ozon: offer_id; Wildberries: chrtId. */
  listingKey: string;
  offerId: string | null;
  sku: string | null;
  productId: string | null;
  nmId: string | null;
  chrtId: string | null;
  barcodes: string[];
}

/** `*` stands for "any": a whole warehouse, every stock type, every item. */
export interface KeepKey {
  warehouseId: string | null;
  stockType: StockType | null;
  itemKey: string | null;
}

const BATCH = 1000;

export class ReadSink {
  processed = 0;
  skipped = 0;
  /** False once a listing record was invalid: vanished listings are then not deleted. */
  listingsComplete = true;
  readonly notes: SyncItemError[] = [];
  #rows: StockRow[] = [];
  #keeps: KeepKey[] = [];
  #listings = new Map<string, ListingRow>();

  constructor(
    readonly db: Db,
    readonly run: { id: string; source: MarketplaceSource; account: string },
  ) {}

  /**
   * A retried run starts over: whatever an earlier attempt staged is dropped, and so is what
   * runs that ended without cleaning up (a crash between staging and apply) left behind.
   */
  async reset(): Promise<void> {
    await this.db.deleteFrom("marketplace_inventory_staging")
      .where((eb) =>
        eb.or([
          eb("run_id", "=", this.run.id),
          eb(
            "run_id",
            "not in",
            eb.selectFrom("stock_sync_runs").select("id").where("status", "=", "running"),
          ),
        ])
      ).execute();
  }

  /** Valid reference records (warehouses, warehouse names): counted, stored elsewhere. */
  counted(n: number): void {
    this.processed += n;
  }

  async row(r: StockRow): Promise<void> {
    this.processed++;
    this.#rows.push(r);
    if (this.#rows.length >= BATCH) await this.#flushRows();
  }

  async listing(l: ListingRow): Promise<void> {
    this.processed++;
    this.#listings.set(l.listingKey, l);
    if (this.#listings.size >= BATCH) await this.#flushListings();
  }

  /** An invalid record: skipped, counted, its old row kept when `keep` names it. */
  async invalid(what: string, bad: InvalidRecord, keep: KeepKey | null): Promise<void> {
    this.processed++;
    this.skipped++;
    if (this.notes.length < MAX_ITEM_ERRORS) {
      this.notes.push({ key: what, code: "INVALID_RECORD", message: bad.issue });
    }
    if (keep && (keep.warehouseId || keep.itemKey)) {
      this.#keeps.push(keep);
      if (this.#keeps.length >= BATCH) await this.#flushRows();
    }
  }

  /** An invalid catalogue record: its listing is not deleted as vanished either. */
  async invalidListing(what: string, bad: InvalidRecord, keep: KeepKey | null = null) {
    this.listingsComplete = false;
    await this.invalid(what, bad, keep);
  }

  async flush(): Promise<void> {
    await this.#flushRows();
    await this.#flushListings();
  }

  async #flushRows(): Promise<void> {
    const rows = this.#rows;
    const keeps = this.#keeps;
    this.#rows = [];
    this.#keeps = [];
    const values = [
      ...rows.map((r) => ({
        run_id: this.run.id,
        warehouse_id: r.warehouseId,
        stock_type: r.stockType,
        item_key: r.itemKey,
        sku: r.sku,
        offer_id: r.offerId,
        product_id: r.productId,
        nm_id: r.nmId,
        chrt_id: r.chrtId,
        warehouse_name: r.warehouseName,
        present: r.present,
        reserved: r.reserved,
        available: r.available,
        snapshot_at: r.snapshotAt,
      })),
      ...keeps.map((k) => ({
        run_id: this.run.id,
        keep: true,
        warehouse_id: k.warehouseId ?? "*",
        stock_type: k.stockType ?? ("*" as const),
        item_key: k.itemKey ?? "*",
        sku: null,
        offer_id: null,
        product_id: null,
        nm_id: null,
        chrt_id: null,
        warehouse_name: null,
        present: 0,
        reserved: null,
        available: 0,
        snapshot_at: null,
      })),
    ];
    if (values.length === 0) return;
    await this.db.insertInto("marketplace_inventory_staging").values(values).execute();
  }

  async #flushListings(): Promise<void> {
    const rows = [...this.#listings.values()];
    this.#listings.clear();
    if (rows.length === 0) return;
    await this.db.insertInto("marketplace_listings").values(rows.map((l) => ({
      source: this.run.source,
      account: this.run.account,
      listing_key: l.listingKey,
      offer_id: l.offerId,
      sku: l.sku,
      product_id: l.productId,
      nm_id: l.nmId,
      chrt_id: l.chrtId,
      barcodes: l.barcodes,
      seen_run_id: this.run.id,
    }))).onConflict((oc) =>
      oc.columns(["source", "account", "listing_key"]).doUpdateSet((eb) => ({
        offer_id: eb.ref("excluded.offer_id"),
        sku: eb.ref("excluded.sku"),
        product_id: eb.ref("excluded.product_id"),
        nm_id: eb.ref("excluded.nm_id"),
        chrt_id: eb.ref("excluded.chrt_id"),
        barcodes: eb.ref("excluded.barcodes"),
        seen_run_id: eb.ref("excluded.seen_run_id"),
        updated_at: new Date(),
      }))
    ).execute();
  }
}
