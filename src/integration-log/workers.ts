/**
 * The integration log's daily pruning as a pg-boss cron: pg-boss sends one job per firing
 * across every instance (its schedule lives in the database), whichever worker takes it
 * deletes the rows past the retention. Returns a stop function.
 */
import type { Queue } from "pg-boss";
import type { AppContext } from "../context.ts";
import { pruneIntegrationLog } from "./prune.ts";

export const INTEGRATION_LOG_PRUNE_QUEUE = {
  name: "integration-log-prune",
  policy: "singleton",
  retryLimit: 2,
  retryDelay: 300,
  expireInSeconds: 3600,
} as const satisfies Queue & { name: string };

/** Daily, at a quiet hour (UTC). */
export const PRUNE_CRON = "17 3 * * *";

export async function startIntegrationLogWorkers(ctx: AppContext): Promise<() => Promise<void>> {
  const { name, ...options } = INTEGRATION_LOG_PRUNE_QUEUE;
  if (!(await ctx.boss.getQueue(name))) {
    // Another instance starting at the same moment may create it first: that is fine.
    await ctx.boss.createQueue(name, options).catch(async (err) => {
      if (!(await ctx.boss.getQueue(name))) throw err;
    });
  }
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
