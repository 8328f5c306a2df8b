/**
 * Export jobs: queued in the transaction that makes a customer need export (so a committed
 * change always has its job and a rolled-back one never does), listed and re-queued from the
 * dead letter queue.
 */
import { sql } from "kysely";
import type { Kysely } from "kysely";
import { fromKysely, type SendOptions } from "pg-boss";
import type { AppContext } from "../context.ts";
import type { Database } from "../../db/schema.ts";
import type { CustomersConfig } from "./config.ts";
import {
  CUSTOMER_EXPORT_DEAD_LETTER,
  CUSTOMER_QUEUES,
  type CustomerExportJobData,
} from "./queues.ts";
import { usesBackoff } from "./export-schedule.ts";
import { writeSyncLog } from "./sync-log.ts";

type Deps = Pick<AppContext, "boss" | "config">;

/** The configured retry policy, carried by every job (the queue's own values are defaults). */
export function exportJobOptions(c: CustomersConfig, customerId: string): SendOptions {
  return {
    // One waiting job per customer: a second send while one waits is a no-op (stately).
    singletonKey: customerId,
    retryLimit: c.exportRetryLimit,
    retryDelay: c.exportRetryDelaySeconds,
    retryBackoff: usesBackoff(c),
    deadLetter: CUSTOMER_EXPORT_DEAD_LETTER,
    // A job runs one request; pg-boss may take it back only well after the request timed out.
    expireInSeconds: c.onecHttpTimeoutSeconds + 60,
    startAfter: c.exportDebounceSeconds,
  };
}

/**
 * Queues the export of one customer within `db` (a transaction). Null when a job for the
 * customer already waits: it will read the customer as it is when it runs.
 */
export async function enqueueExport(
  deps: Deps,
  db: Kysely<Database>,
  customerId: string,
  requestId?: string,
): Promise<string | null> {
  const data: CustomerExportJobData = { customerId, ...(requestId ? { requestId } : {}) };
  return await deps.boss.send(CUSTOMER_QUEUES.export.name, data, {
    ...exportJobOptions(deps.config.customers, customerId),
    db: fromKysely(db),
  });
}

export interface DeadLetter {
  jobId: string;
  customerId: string;
  attempts: number;
  error: string | null;
  deadLetteredAt: string;
}

/** Dead-lettered exports waiting for a retry, oldest first. */
export async function listDeadLetters(
  deps: Deps,
  limit: number,
  after?: string,
): Promise<{ items: DeadLetter[]; next: string | null }> {
  const jobs = await deps.boss.findJobs<CustomerExportJobData>(CUSTOMER_EXPORT_DEAD_LETTER, {
    queued: true,
    limit: limit + 1,
    ...(after ? { after } : {}),
  });
  const items = jobs.slice(0, limit).map((j) => ({
    jobId: j.id,
    customerId: j.data.customerId,
    attempts: (j.sourceRetryCount ?? 0) + 1,
    error: errorMessage(j.sourceOutput),
    deadLetteredAt: new Date(j.createdOn).toISOString(),
  }));
  return { items, next: jobs.length > limit ? items[items.length - 1].jobId : null };
}

/** A job after() cursor must name a job that still exists; ours are uuids. */
export const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type RetryResult =
  | { ok: true; customerId: string; jobId: string | null }
  | { ok: false; status: 404; detail: string };

/**
 * Takes one job out of the dead letter queue and queues the customer's export again with a
 * fresh retry budget; the customer is pending again. One transaction: the dead letter is
 * gone exactly when the new job exists.
 */
export async function retryDeadLetter(
  deps: Deps & Pick<AppContext, "db">,
  jobId: string,
  requestId?: string,
): Promise<RetryResult> {
  return await deps.db.transaction().execute(async (tx) => {
    const db = fromKysely(tx);
    const [job] = await deps.boss.findJobs<CustomerExportJobData>(CUSTOMER_EXPORT_DEAD_LETTER, {
      id: jobId,
      queued: true,
      db,
    });
    if (!job) {
      return {
        ok: false,
        status: 404,
        detail: `No dead-lettered export ${jobId} (already retried, or expired).`,
      } as const;
    }
    await deps.boss.deleteJob(CUSTOMER_EXPORT_DEAD_LETTER, jobId, { db });
    const customerId = job.data.customerId;
    const requeued = await requeueCustomer(deps, tx, customerId, {
      requestId,
      reason: "dead letter retried",
      deadLetterJobId: jobId,
    });
    return { ok: true, customerId, jobId: requeued } as const;
  });
}

/**
 * Marks the customer as needing export again and queues it. Its own dead letters are
 * dropped: the new job supersedes them.
 */
export async function requeueCustomer(
  deps: Deps,
  tx: Kysely<Database>,
  customerId: string,
  opts: { requestId?: string; reason: string; deadLetterJobId?: string },
): Promise<string | null> {
  const db = fromKysely(tx);
  const stale = await deps.boss.findJobs(CUSTOMER_EXPORT_DEAD_LETTER, {
    key: customerId,
    queued: true,
    db,
  });
  if (stale.length) {
    await deps.boss.deleteJob(CUSTOMER_EXPORT_DEAD_LETTER, stale.map((j) => j.id), { db });
  }
  const updated = await tx.updateTable("customers").set({
    needs_1c_export: true,
    sync_status: sql`CASE WHEN sync_status = 'conflict' THEN 'conflict' ELSE 'pending' END`,
    sync_error_message: null,
    export_dead_lettered_at: null,
  }).where("id", "=", customerId).returning("id").executeTakeFirst();
  if (!updated) return null; // deleted since: nothing to export
  await writeSyncLog(tx, [{
    customerId,
    operation: "sync_changes",
    status: "success",
    details: {
      action: "export requeued",
      reason: opts.reason,
      ...(opts.deadLetterJobId ? { deadLetterJobId: opts.deadLetterJobId } : {}),
    },
  }]);
  return await enqueueExport(deps, tx, customerId, opts.requestId);
}

function errorMessage(output: object | null): string | null {
  if (output === null) return null;
  const message = (output as { message?: unknown }).message;
  return typeof message === "string" ? message : JSON.stringify(output);
}
