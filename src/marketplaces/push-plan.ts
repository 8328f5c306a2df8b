/**
 * What a push should send: 1C's stock per marketplace warehouse and item, against what was
 * last pushed.
 *
 * - Quantity: the sum of 1C's stock over the 1C warehouses mapped to the marketplace
 *   warehouse (marketplace_warehouse_mappings).
 * - Item: the explicit article mapping (by 1C offer Ид, offer article, or product article when
 *   the product has one offer); otherwise Ozon's offer_id is the article itself ("`offer_id`
 *   is the seller's article code, i.e. the 1C key"), and WB's chrtId is the size whose
 *   barcode is the offer's, or the only size of the card whose vendorCode is the article.
 * - Zeros: an item linked to a 1C offer that 1C lists no stock for, and an item pushed before
 *   whose offer is gone, is set to 0 — 1C's stock for it is 0. Items not linked to 1C at all
 *   are never touched.
 */
import { sql } from "kysely";
import type { Db } from "../../db/pool.ts";
import type { MarketplaceSource } from "../../db/schema-marketplaces.ts";

export interface PushPair {
  warehouseId: string;
  /** Ozon: offer_id; Wildberries: chrtId. */
  itemKey: string;
  quantity: number;
  lastQuantity: number | null;
  lastPushedAt: Date | null;
}

export interface UnmappedOffer {
  warehouseId: string;
  offerOnecId: string;
  quantity: number;
}

export interface PushPlan {
  pairs: PushPair[];
  unmapped: UnmappedOffer[];
}

/** 1C quantities may be fractional (kg, m); marketplaces count whole units. */
function units(q: string | number | null): number {
  const n = Math.floor(Number(q ?? 0));
  return Number.isFinite(n) && n > 0 ? n : 0;
}

export async function planPush(
  db: Db,
  source: MarketplaceSource,
  account: string,
): Promise<PushPlan> {
  return await db.transaction().execute(async (tx) => {
    await sql`
      CREATE TEMP TABLE mp_push_from_onec ON COMMIT DROP AS
      SELECT m.marketplace_warehouse_id AS warehouse_id, st.offer_id AS offer_onec_id,
        sum(st.quantity) AS quantity
      FROM marketplace_warehouse_mappings m
      JOIN stocks st ON st.warehouse_id = m.onec_warehouse_id
      WHERE m.source = ${source}
      GROUP BY 1, 2
    `.execute(tx);
    await sql`
      CREATE TEMP TABLE mp_push_keys ON COMMIT DROP AS
      WITH info AS (
        SELECT o.onec_id, nullif(o.sku, '') AS osku, nullif(p.sku, '') AS psku,
          nullif(o.barcode, '') AS obarcode, nullif(p.barcode, '') AS pbarcode,
          (SELECT count(*) FROM offers o2 WHERE o2.product_id = o.product_id) = 1 AS single
        FROM offers o JOIN products p ON p.onec_id = o.product_id
        WHERE o.onec_id IN (SELECT offer_onec_id FROM mp_push_from_onec)
      )
      SELECT i.onec_id, coalesce(
        (SELECT am.marketplace_id FROM marketplace_article_mappings am
          WHERE am.source = ${source} AND am.article = i.onec_id),
        (SELECT am.marketplace_id FROM marketplace_article_mappings am
          WHERE am.source = ${source} AND am.article = i.osku),
        (SELECT am.marketplace_id FROM marketplace_article_mappings am
          WHERE am.source = ${source} AND am.article = i.psku AND i.single),
        CASE WHEN ${source} = 'ozon' THEN coalesce(i.osku, CASE WHEN i.single THEN i.psku END)
        ELSE coalesce(
          (SELECT min(l.chrt_id) FROM marketplace_listings l
            WHERE l.source = ${source} AND l.account = ${account}
              AND l.barcodes @> ARRAY[coalesce(i.obarcode, CASE WHEN i.single THEN i.pbarcode END)]
            HAVING count(*) = 1),
          (SELECT min(l.chrt_id) FROM marketplace_listings l
            WHERE l.source = ${source} AND l.account = ${account}
              AND l.offer_id = coalesce(i.osku, CASE WHEN i.single THEN i.psku END)
            HAVING count(*) = 1)
        ) END
      ) AS item_key
      FROM info i
    `.execute(tx);

    const unmapped = await sql<{ warehouse_id: string; offer_onec_id: string; quantity: string }>`
      SELECT f.warehouse_id, f.offer_onec_id, f.quantity
      FROM mp_push_from_onec f LEFT JOIN mp_push_keys k ON k.onec_id = f.offer_onec_id
      WHERE k.item_key IS NULL AND f.quantity >= 1
      ORDER BY f.warehouse_id, f.offer_onec_id
    `.execute(tx);

    const pairs = await sql<{
      warehouse_id: string;
      item_key: string;
      quantity: string;
      last_quantity: number | null;
      last_pushed_at: Date | null;
    }>`
      WITH mapped AS (
        SELECT DISTINCT marketplace_warehouse_id AS warehouse_id
        FROM marketplace_warehouse_mappings WHERE source = ${source}
      ), wanted AS (
        SELECT f.warehouse_id, k.item_key, f.quantity
        FROM mp_push_from_onec f JOIN mp_push_keys k ON k.onec_id = f.offer_onec_id
        WHERE k.item_key IS NOT NULL
        UNION ALL
        SELECT i.warehouse_id, CASE WHEN ${source} = 'ozon' THEN i.offer_id ELSE i.chrt_id END, 0
        FROM marketplace_inventory i
        WHERE i.source = ${source} AND i.account = ${account} AND i.offer_onec_id IS NOT NULL
          AND i.stock_type <> 'FBO' AND i.warehouse_id IN (SELECT warehouse_id FROM mapped)
        UNION ALL
        SELECT ps.warehouse_id, ps.item_key, 0 FROM marketplace_push_state ps
        WHERE ps.source = ${source} AND ps.account = ${account}
          AND ps.warehouse_id IN (SELECT warehouse_id FROM mapped)
      )
      SELECT w.warehouse_id, w.item_key, sum(w.quantity) AS quantity,
        ps.quantity AS last_quantity, ps.pushed_at AS last_pushed_at
      FROM wanted w
      LEFT JOIN marketplace_push_state ps ON ps.source = ${source} AND ps.account = ${account}
        AND ps.warehouse_id = w.warehouse_id AND ps.item_key = w.item_key
      WHERE w.item_key IS NOT NULL
      GROUP BY w.warehouse_id, w.item_key, ps.quantity, ps.pushed_at
      ORDER BY w.warehouse_id, w.item_key
    `.execute(tx);

    return {
      pairs: pairs.rows.map((r) => ({
        warehouseId: r.warehouse_id,
        itemKey: r.item_key,
        quantity: units(r.quantity),
        lastQuantity: r.last_quantity,
        lastPushedAt: r.last_pushed_at,
      })),
      unmapped: unmapped.rows.map((r) => ({
        warehouseId: r.warehouse_id,
        offerOnecId: r.offer_onec_id,
        quantity: units(r.quantity),
      })),
    };
  });
}

/** Remembers what each pair was set to, so the next push sends only changes. */
export async function recordPushed(
  db: Db,
  source: MarketplaceSource,
  account: string,
  pairs: { warehouseId: string; itemKey: string; quantity: number }[],
): Promise<void> {
  for (let i = 0; i < pairs.length; i += 1000) {
    const batch = pairs.slice(i, i + 1000);
    await db.insertInto("marketplace_push_state").values(batch.map((p) => ({
      source,
      account,
      warehouse_id: p.warehouseId,
      item_key: p.itemKey,
      quantity: p.quantity,
      pushed_at: new Date(),
    }))).onConflict((oc) =>
      oc.columns(["source", "account", "warehouse_id", "item_key"]).doUpdateSet((eb) => ({
        quantity: eb.ref("excluded.quantity"),
        pushed_at: eb.ref("excluded.pushed_at"),
      }))
    ).execute();
  }
}
