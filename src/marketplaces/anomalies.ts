/**
 * "A run whose total available stock for a source drops by more than a configurable share
 * against the previous run (default 50 %), or that returns zero rows where the previous had
 * many, is flagged … instead of silently wiping the inventory."
 *
 * The baseline is the previous completed read of the source, applied or not. So a glitch
 * (an empty or collapsed answer) is held back once, and a real drop that the next read
 * confirms is applied then: two reads in a row agreeing is the operator's "yes, really".
 */
import type { Db } from "../../db/pool.ts";
import type { MarketplaceSource } from "../../db/schema-marketplaces.ts";
import type { StagedTotals } from "./inventory-apply.ts";

export interface AnomalyRules {
  dropShare: number;
  minRows: number;
}

export async function detectAnomaly(
  db: Db,
  source: MarketplaceSource,
  runId: string,
  now: StagedTotals,
  rules: AnomalyRules,
): Promise<string | null> {
  const previous = await db.selectFrom("stock_sync_runs")
    .select(["id", "row_count", "total_available"])
    .where("source", "=", source).where("kind", "=", "read")
    .where("status", "in", ["success", "partial"])
    .where("row_count", "is not", null)
    .where("id", "<>", runId)
    .orderBy("completed_at", "desc").orderBy("id", "desc")
    .executeTakeFirst();
  if (!previous) return null;
  const prevRows = previous.row_count ?? 0;
  const prevAvailable = Number(previous.total_available ?? 0);
  if (now.rows === 0 && prevRows >= rules.minRows) {
    return `no stock rows returned; run ${previous.id} had ${prevRows}`;
  }
  if (prevAvailable > 0) {
    const drop = (prevAvailable - now.available) / prevAvailable;
    if (drop > rules.dropShare) {
      return `total available stock fell from ${prevAvailable} to ${now.available} ` +
        `(−${Math.round(drop * 100)} %, more than ${Math.round(rules.dropShare * 100)} %) ` +
        `against run ${previous.id}`;
    }
  }
  return null;
}
