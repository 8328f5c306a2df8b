/**
 * "Pruned after 90 days (configurable)": rows older than INTEGRATION_LOG_RETENTION_DAYS are
 * deleted in bounded batches (oldest first, along the `at` index), so a first pruning after a
 * busy quarter never holds one long transaction over the whole table.
 */
import { sql } from "kysely";
import type { AppContext } from "../context.ts";

/** Rows per DELETE. */
const BATCH = 10_000;

/** Deletes every row older than the retention; returns how many were deleted. */
export async function pruneIntegrationLog(
  ctx: Pick<AppContext, "db" | "config">,
  batch = BATCH,
): Promise<number> {
  const days = ctx.config.integrationLog.retentionDays;
  let deleted = 0;
  for (;;) {
    const r = await sql`DELETE FROM integration_log WHERE id IN (
        SELECT id FROM integration_log
        WHERE at < now() - make_interval(days => ${days})
        ORDER BY at LIMIT ${batch})`.execute(ctx.db);
    const n = Number(r.numAffectedRows ?? 0n);
    deleted += n;
    if (n < batch) return deleted;
  }
}
