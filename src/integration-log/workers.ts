/**
 * The integration log's daily pruning as a pg-boss cron: pg-boss sends one job per firing
 * across every instance (its schedule lives in the database), whichever worker takes it
 * deletes the rows past the retention. Returns a stop function.
 */
import type { AppContext } from "../context.ts";
import { pruneIntegrationLog } from "./prune.ts";
import { INTEGRATION_LOG_PRUNE_QUEUE } from "./queues.ts";

/** Daily, at a quiet hour (UTC). */
export const PRUNE_CRON = "17 3 * * *";

export async function startIntegrationLogWorkers(ctx: AppContext): Promise<() => Promise<void>> {
  // The queue itself is created at start with every other (ALL_QUEUES in src/queue.ts).
  const { name } = INTEGRATION_LOG_PRUNE_QUEUE;
  await ctx.boss.schedule(name, PRUNE_CRON, null, { tz: "UTC" });
  const id = await ctx.boss.work(name, { batchSize: 1, pollingIntervalSeconds: 2 }, async () => {
    const deleted = await pruneIntegrationLog(ctx);
    ctx.log.info(
      { deleted, retentionDays: ctx.config.integrationLog.retentionDays },
      "integration log pruned",
    );
  });
  return async () => {
    await ctx.boss.offWork(name, { id, wait: true });
  };
}
