/**
 * Turns a read run's staging rows into the inventory, in one transaction, set-based:
 * links each row to our catalog where the article matches, upserts what changed (idempotent:
 * an unchanged row costs no write but the sync stamp), and zeroes rows the marketplace no
 * longer lists — "rows that vanished from the marketplace are zeroed, not left stale".
 */
import { sql } from "kysely";
import type { Db } from "../../db/pool.ts";
import type { MarketplaceSource } from "../../db/schema-marketplaces.ts";

export interface StagedTotals {
  rows: number;
  available: number;
}

/** The read as it stands in staging: one row per key (the last one read wins). */
export async function stagedTotals(db: Db, runId: string): Promise<StagedTotals> {
  const r = await sql<{ rows: string; available: string | null }>`
    SELECT count(*) AS rows, sum(available) AS available FROM (
      SELECT DISTINCT ON (warehouse_id, stock_type, item_key) available
      FROM marketplace_inventory_staging WHERE run_id = ${runId} AND NOT keep
      ORDER BY warehouse_id, stock_type, item_key, seq DESC
    ) latest`.execute(db);
  return { rows: Number(r.rows[0].rows), available: Number(r.rows[0].available ?? 0) };
}

export async function discardStaging(db: Db, runId: string): Promise<void> {
  await db.deleteFrom("marketplace_inventory_staging").where("run_id", "=", runId).execute();
}

export interface ApplyOptions {
  runId: string;
  source: MarketplaceSource;
  account: string;
  /** Fallback snapshot time for rows the marketplace does not date. */
  startedAt: Date;
  /** Every catalogue record was valid: listings not seen in this run are deleted. */
  listingsComplete: boolean;
}

/** Returns how many inventory rows were inserted, changed or zeroed. */
export async function applyInventory(db: Db, o: ApplyOptions): Promise<number> {
  return await db.transaction().execute(async (tx) => {
    // Which 1C offer and product a row is: the explicit article mapping first, then the 1C
    // offer Ид, a barcode (WB sizes carry them), a unique offer article (offers.sku), and a
    // unique product article (products.sku) — the offer only when the product has one.
    await sql`
      CREATE TEMP TABLE mp_apply ON COMMIT DROP AS
      WITH latest AS (
        SELECT DISTINCT ON (warehouse_id, stock_type, item_key) *
        FROM marketplace_inventory_staging WHERE run_id = ${o.runId} AND NOT keep
        ORDER BY warehouse_id, stock_type, item_key, seq DESC
      ), named AS (
        SELECT l.warehouse_id, l.stock_type, l.item_key, coalesce(l.sku, li.sku) AS sku,
          coalesce(l.offer_id, li.offer_id) AS offer_id,
          coalesce(l.product_id, li.product_id) AS product_id,
          coalesce(l.nm_id, li.nm_id) AS nm_id, l.chrt_id, l.warehouse_name,
          l.present, l.reserved, l.available,
          coalesce(l.snapshot_at, ${o.startedAt}) AS snapshot_at,
          coalesce(li.barcodes, '{}') AS barcodes
        FROM latest l
        LEFT JOIN marketplace_listings li ON li.source = ${o.source}
          AND li.account = ${o.account}
          AND li.listing_key = CASE WHEN ${o.source} = 'ozon' THEN l.offer_id ELSE l.chrt_id END
      ), keyed AS (
        SELECT n.*, coalesce(m.article, n.offer_id) AS article
        FROM named n
        LEFT JOIN marketplace_article_mappings m ON m.source = ${o.source}
          AND m.marketplace_id = CASE WHEN ${o.source} = 'ozon' THEN n.offer_id ELSE n.chrt_id END
      ), offer_by_sku AS (
        SELECT sku, min(onec_id) AS onec_id, min(product_id) AS product_id FROM offers
        WHERE sku IN (SELECT article FROM keyed) GROUP BY sku HAVING count(*) = 1
      ), product_by_sku AS (
        SELECT p.sku, min(p.onec_id) AS onec_id FROM products p
        WHERE p.sku IN (SELECT article FROM keyed) GROUP BY p.sku HAVING count(*) = 1
      ), offer_by_barcode AS (
        SELECT k.warehouse_id, k.stock_type, k.item_key,
          min(o.onec_id) AS onec_id, min(o.product_id) AS product_id
        FROM keyed k CROSS JOIN LATERAL unnest(k.barcodes) AS b(code)
        JOIN offers o ON o.barcode = b.code
        GROUP BY k.warehouse_id, k.stock_type, k.item_key
        HAVING count(DISTINCT o.onec_id) = 1
      )
      SELECT k.warehouse_id, k.stock_type, k.item_key, k.sku, k.offer_id, k.product_id,
        k.nm_id, k.chrt_id, k.warehouse_name, k.present, k.reserved, k.available,
        k.snapshot_at,
        coalesce(o_id.onec_id, o_bar.onec_id, o_sku.onec_id, single.onec_id) AS offer_onec_id,
        coalesce(o_id.product_id, o_bar.product_id, o_sku.product_id, p_sku.onec_id)
          AS product_onec_id
      FROM keyed k
      LEFT JOIN offers o_id ON o_id.onec_id = k.article
      LEFT JOIN offer_by_barcode o_bar ON o_bar.warehouse_id = k.warehouse_id
        AND o_bar.stock_type = k.stock_type AND o_bar.item_key = k.item_key
      LEFT JOIN offer_by_sku o_sku ON o_sku.sku = k.article
      LEFT JOIN product_by_sku p_sku ON p_sku.sku = k.article
      LEFT JOIN LATERAL (
        SELECT min(x.onec_id) AS onec_id FROM offers x WHERE x.product_id = p_sku.onec_id
        HAVING count(*) = 1
      ) single ON true
    `.execute(tx);

    // Temporary tables are never auto-analyzed; without statistics a large read could be
    // joined row by row.
    await sql`ANALYZE mp_apply`.execute(tx);

    // New or changed rows; `IS DISTINCT FROM` makes a re-read of the same stock write nothing.
    const upserted = await sql`
      INSERT INTO marketplace_inventory AS i (source, account, warehouse_id, stock_type,
        item_key, sku, offer_id, product_id, nm_id, chrt_id, product_onec_id, offer_onec_id,
        warehouse_name, present, reserved, available, snapshot_at, last_sync_at, seen_run_id)
      SELECT ${o.source}, ${o.account}, warehouse_id, stock_type, item_key, sku, offer_id,
        product_id, nm_id, chrt_id, product_onec_id, offer_onec_id, warehouse_name, present,
        reserved, available, snapshot_at, now(), ${o.runId}
      FROM mp_apply
      ON CONFLICT (source, account, warehouse_id, stock_type, item_key) DO UPDATE SET
        sku = excluded.sku, offer_id = excluded.offer_id, product_id = excluded.product_id,
        nm_id = excluded.nm_id, chrt_id = excluded.chrt_id,
        product_onec_id = excluded.product_onec_id, offer_onec_id = excluded.offer_onec_id,
        warehouse_name = excluded.warehouse_name, present = excluded.present,
        reserved = excluded.reserved, available = excluded.available,
        snapshot_at = excluded.snapshot_at, last_sync_at = excluded.last_sync_at,
        seen_run_id = excluded.seen_run_id, updated_at = now()
      WHERE (i.sku, i.offer_id, i.product_id, i.nm_id, i.chrt_id, i.product_onec_id,
          i.offer_onec_id, i.warehouse_name, i.present, i.reserved, i.available)
        IS DISTINCT FROM (excluded.sku, excluded.offer_id, excluded.product_id, excluded.nm_id,
          excluded.chrt_id, excluded.product_onec_id, excluded.offer_onec_id,
          excluded.warehouse_name, excluded.present, excluded.reserved, excluded.available)
    `.execute(tx);

    // Unchanged rows: only the stamp that says this sync confirmed them.
    await sql`
      UPDATE marketplace_inventory i SET last_sync_at = now(), seen_run_id = ${o.runId},
        snapshot_at = a.snapshot_at
      FROM mp_apply a
      WHERE i.source = ${o.source} AND i.account = ${o.account}
        AND i.warehouse_id = a.warehouse_id AND i.stock_type = a.stock_type
        AND i.item_key = a.item_key AND i.seen_run_id <> ${o.runId}
    `.execute(tx);

    // Vanished: zeroed, except rows an invalid record still named (kept as they were).
    const zeroed = await sql`
      UPDATE marketplace_inventory i SET present = 0,
        reserved = CASE WHEN i.reserved IS NULL THEN NULL ELSE 0 END, available = 0,
        last_sync_at = now(), seen_run_id = ${o.runId}, updated_at = now()
      WHERE i.source = ${o.source} AND i.account = ${o.account}
        AND i.seen_run_id <> ${o.runId}
        AND (i.present <> 0 OR i.available <> 0 OR coalesce(i.reserved, 0) <> 0)
        AND NOT EXISTS (
          SELECT 1 FROM marketplace_inventory_staging k
          WHERE k.run_id = ${o.runId} AND k.keep
            AND k.warehouse_id IN ('*', i.warehouse_id)
            AND k.stock_type IN ('*', i.stock_type)
            AND k.item_key IN ('*', i.item_key)
        )
    `.execute(tx);

    if (o.listingsComplete) {
      await tx.deleteFrom("marketplace_listings")
        .where("source", "=", o.source).where("account", "=", o.account)
        .where("seen_run_id", "<>", o.runId).execute();
    }
    await tx.deleteFrom("marketplace_inventory_staging").where("run_id", "=", o.runId).execute();
    return Number(upserted.numAffectedRows ?? 0) + Number(zeroed.numAffectedRows ?? 0);
  });
}
