/**
 * Starts every queue's worker in this process. Returns a stop function that stops fetching
 * new jobs (running ones finish or go back to the queue through pg-boss's graceful stop).
 */
import type { AppContext } from "../src/context.ts";
import { forgetLocalWorker, QUEUES, rememberLocalWorker } from "../src/queue.ts";
import type { ImportJobData } from "../src/imports/import-runs.ts";
import { handleCatalogImport } from "./catalog-import.ts";
import { startOrderWorkers } from "../src/orders/workers.ts";
import { startCustomerWorkers } from "../src/customers/workers.ts";
import { startMarketplaceWorkers } from "../src/marketplaces/workers.ts";
import { startIntegrationLogWorkers } from "../src/integration-log/workers.ts";

export async function startWorkers(ctx: AppContext): Promise<() => Promise<void>> {
  const name = QUEUES.catalogImport.name;
  const id = await ctx.boss.work<ImportJobData>(
    name,
    { batchSize: 1, pollingIntervalSeconds: 0.5 },
    async (jobs) => {
      for (const job of jobs) await handleCatalogImport(ctx, job);
    },
  );
  rememberLocalWorker(ctx.boss, name, id);
  const stops = [
    await startOrderWorkers(ctx),
    await startCustomerWorkers(ctx),
    await startMarketplaceWorkers(ctx),
    await startIntegrationLogWorkers(ctx),
  ];
  return async () => {
    forgetLocalWorker(ctx.boss, name);
    await ctx.boss.offWork(name, { id, wait: true });
    for (const stop of stops) await stop();
  };
}
