/** Starts the customers workers in this process; returns a stop function. */
import type { JobWithMetadata } from "pg-boss";
import type { AppContext } from "../context.ts";
import {
  CUSTOMER_QUEUES,
  type CustomerExportJobData,
  type CustomerImportJobData,
} from "./queues.ts";
import { handleCustomerExport } from "./export-job.ts";
import { handleCustomerImport } from "./import-job.ts";
import { EXPORT_POLL_SECONDS } from "./export-schedule.ts";

/** Exports are requests to 1C, mostly waiting: a few at once keep a bulk export moving. */
const EXPORT_CONCURRENCY = 4;

export async function startCustomerWorkers(ctx: AppContext): Promise<() => Promise<void>> {
  const ids: { name: string; id: string }[] = [];
  const importName = CUSTOMER_QUEUES.import.name;
  ids.push({
    name: importName,
    id: await ctx.boss.work<CustomerImportJobData>(
      importName,
      { batchSize: 1, pollingIntervalSeconds: 0.5 },
      async (jobs) => {
        for (const job of jobs) await handleCustomerImport(ctx, job);
      },
    ),
  });
  if (ctx.config.customers.onecHttpUrl === null) {
    // Jobs wait in the queue (and customers stay pending) until 1C's address is configured.
    ctx.log.warn("ONEC_HTTP_URL is not set: customers are not exported to 1C");
  } else {
    const exportName = CUSTOMER_QUEUES.export.name;
    ids.push({
      name: exportName,
      id: await ctx.boss.work(
        exportName,
        {
          batchSize: 1,
          pollingIntervalSeconds: EXPORT_POLL_SECONDS,
          includeMetadata: true,
          localConcurrency: EXPORT_CONCURRENCY,
        },
        async (jobs: JobWithMetadata<CustomerExportJobData>[]) => {
          for (const job of jobs) await handleCustomerExport(ctx, job);
        },
      ),
    });
  }
  return async () => {
    for (const { name, id } of ids) await ctx.boss.offWork(name, { id, wait: true });
  };
}
