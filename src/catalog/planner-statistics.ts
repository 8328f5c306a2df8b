/**
 * Fresh planner statistics after an import that added many rows. A first import fills empty
 * tables in one transaction; until autovacuum's ANALYZE comes round (minutes later on a busy
 * server) Postgres plans as if they were still nearly empty, and a product read joins prices
 * and stock by scanning whole tables: the bench saw reads of a fresh 100k catalog fall from
 * hundreds per second to thirty, with pool timeouts. ANALYZE samples a fixed number of rows,
 * so it takes well under a second whatever the size.
 */
import type pg from "pg";
import type { Counts } from "./writer.ts";

/** Entities of the import's counts that are tables of their own. */
const TABLES = ["groups", "products", "offers", "prices", "stocks"] as const;

/** Rows added or removed from a table that make its statistics worth refreshing. */
export const STALE_AFTER_ROWS = 1000;

/** Analyzes the tables the import changed a lot; returns their names. */
export async function refreshPlannerStatistics(pool: pg.Pool, counts: Counts): Promise<string[]> {
  const stale = TABLES.filter((t) => {
    const c = counts[t];
    return c !== undefined && c.created + c.deactivated >= STALE_AFTER_ROWS;
  });
  if (stale.length > 0) await pool.query(`ANALYZE ${stale.join(", ")}`);
  return stale;
}
