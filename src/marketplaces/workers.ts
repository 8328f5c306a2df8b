/** Starts the marketplaces workers in this process; returns a stop function. */
import type { Job } from "pg-boss";
import type { AppContext } from "../context.ts";
import { MARKETPLACE_QUEUES, type StockSyncJobData } from "./queues.ts";
import { claimRun, failRun } from "./sync-runs.ts";
import { executeRun } from "./run-stock-sync.ts";
import { isConfigured } from "./health.ts";

export async function startMarketplaceWorkers(ctx: AppContext): Promise<() => Promise<void>> {
  const name = MARKETPLACE_QUEUES.stockSync.name;
  const id = await ctx.boss.work<StockSyncJobData>(
    name,
    // Two at a time: an Ozon and a WB run need not wait for each other.
    { batchSize: 1, pollingIntervalSeconds: 0.5, localConcurrency: 2 },
    async (jobs) => {
      for (const job of jobs) await handleStockSyncJob(ctx, job);
    },
  );
  return async () => {
    await ctx.boss.offWork(name, { id, wait: true });
  };
}

export async function handleStockSyncJob(ctx: AppContext, job: Job<StockSyncJobData>) {
  const d = job.data;
  const log = ctx.log.child({ jobId: job.id, source: d.source, kind: d.kind });
  if (!isConfigured(ctx, d.source)) {
    // Credentials were removed since the job was queued: "simply not synced".
    if (d.runId) await failRun(ctx.db, d.runId, `${d.source} has no credentials configured`);
    log.warn("stock sync job for a marketplace without credentials: dropped");
    return;
  }
  let runId: string;
  if (d.runId) {
    const run = await ctx.db.selectFrom("stock_sync_runs").select("status")
      .where("id", "=", d.runId).executeTakeFirst();
    if (run?.status !== "running") return;
    runId = d.runId;
  } else {
    const claim = await claimRun(ctx, { id: job.id, ...d });
    if (!claim.claimed) {
      // A push after an import must not be lost to a push that read 1C's stock before the
      // import: fail the job so pg-boss runs it again after its retry delay.
      if (claim.reason === "busy" && d.trigger === "import") {
        throw new Error(`a ${d.source} push is running (run ${claim.runId}); retrying later`);
      }
      log.info({ reason: claim.reason, runId: claim.runId }, "stock sync job skipped");
      return;
    }
    runId = claim.runId;
  }
  await executeRun(ctx, d.source, d.kind, runId, job.signal);
}
