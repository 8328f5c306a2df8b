/**
 * Fresh planner statistics after an import that added many rows. A first import fills empty
 * tables in one transaction; until autovacuum's ANALYZE comes round (minutes later on a busy
 * server) Postgres plans as if they were still nearly empty, and a product read joins prices
 * and stock by scanning whole tables: the bench saw reads of a fresh 100k catalog fall from
 * hundreds per second to thirty, with pool timeouts. ANALYZE samples a fixed number of rows,
 * so its cost does not grow with the catalog.
 *
 * Only the columns reads filter, join and sort on are analyzed: the planner needs the row
 * count (any ANALYZE refreshes it) and their distributions, not those of descriptions and jsonb
 * properties — which made up most of the cost (a full ANALYZE of a fresh 20k catalog took
 * 1.0 s for products alone, these columns 0.08 s). Autovacuum fills in the rest later.
 */
import type pg from "pg";
import type { Counts } from "./writer.ts";

/** Entities of the import's counts that are tables of their own, with the columns reads use. */
const COLUMNS = {
  groups: ["onec_id", "parent_id", "is_active"],
  products: ["onec_id", "is_active", "updated_at", "group_ids"],
  offers: ["onec_id", "product_id", "updated_at"],
  prices: ["offer_id", "price_type_id", "updated_at"],
  stocks: ["offer_id", "warehouse_id", "updated_at"],
} as const;
const TABLES = Object.keys(COLUMNS) as (keyof typeof COLUMNS)[];

/** Rows added or removed from a table that make its statistics worth refreshing. */
export const STALE_AFTER_ROWS = 1000;

/** Analyzes the tables the import changed a lot; returns their names. */
export async function refreshPlannerStatistics(pool: pg.Pool, counts: Counts): Promise<string[]> {
  const stale = TABLES.filter((t) => {
    const c = counts[t];
    return c !== undefined && c.created + c.deactivated >= STALE_AFTER_ROWS;
  });
  if (stale.length > 0) {
    await pool.query(`ANALYZE ${stale.map((t) => `${t} (${COLUMNS[t].join(", ")})`).join(", ")}`);
  }
  return stale;
}
