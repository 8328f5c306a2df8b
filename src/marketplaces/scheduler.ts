/**
 * Croner schedules of the marketplace capability. "Croner runs in every instance with
 * `STOCK_SYNC_CRON` … each firing enqueues a pg-boss job with a singleton key for that
 * slot, so N instances give exactly one run per slot." Returns a stop function.
 */
import { Cron } from "croner";
import type { AppContext } from "../context.ts";
import type { MarketplaceSource } from "../../db/schema-marketplaces.ts";
import { checkStaleSources, isConfigured, SOURCES } from "./health.ts";
import { enqueueScheduled } from "./sync-jobs.ts";
import { pruneSyncLogs } from "./sync-runs.ts";

export function startMarketplaceScheduler(ctx: AppContext): () => void {
  const cfg = ctx.config.marketplaces;
  if (!SOURCES.some((s) => isConfigured(ctx, s))) {
    ctx.log.info("no marketplace credentials: the stock sync schedule is off");
    return () => {};
  }
  const job: Cron = new Cron(
    cfg.cron,
    {
      timezone: cfg.timezone,
      protect: true,
      catch: (err) =>
        ctx.log.error({ err: (err as Error).message }, "stock sync schedule: firing failed"),
    },
    async () => {
      if (ctx.state.shuttingDown) return;
      await fireStockSyncSlot(ctx, cronSlot(job));
    },
  );
  ctx.log.info(
    { cron: cfg.cron, timezone: cfg.timezone, next: job.nextRun()?.toISOString() },
    "stock sync schedule on",
  );
  return () => job.stop();
}

/**
 * The slot a firing belongs to: the scheduled time nearest to now, not the clock at the
 * callback, so every instance names the same slot even when their timers fire a few
 * milliseconds apart (on either side of it).
 */
export function cronSlot(job: Cron, now = new Date()): Date {
  const before = job.previousRuns(1, now)[0];
  const after = job.nextRun(now);
  if (!before) return after ?? now;
  if (!after) return before;
  return now.getTime() - before.getTime() <= after.getTime() - now.getTime() ? before : after;
}

/**
 * One cron slot: enqueue a read of every configured source and a push of every source with
 * warehouse mappings, then the housekeeping (log pruning, the stale check). Safe to call from
 * every instance for the same slot; tests call it directly instead of waiting for the clock.
 */
export async function fireStockSyncSlot(ctx: AppContext, slot: Date): Promise<void> {
  const sources = SOURCES.filter((s) => isConfigured(ctx, s));
  const mapped = new Set<MarketplaceSource>(
    sources.length === 0 ? [] : (await ctx.db.selectFrom("marketplace_warehouse_mappings")
      .select("source").distinct().where("source", "in", sources).execute())
      .map((r) => r.source),
  );
  for (const source of sources) {
    const read = await enqueueScheduled(ctx, source, "read", slot);
    const push = mapped.has(source) ? await enqueueScheduled(ctx, source, "push", slot) : null;
    ctx.log.debug(
      { source, slot: slot.toISOString(), read, push },
      "stock sync slot fired (null: another instance enqueued it)",
    );
  }
  const pruned = await pruneSyncLogs(ctx);
  if (pruned.runs > 0 || pruned.rows > 0) ctx.log.info(pruned, "stock sync logs pruned");
  await checkStaleSources(ctx);
}
