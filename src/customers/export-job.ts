/**
 * Queue `customer-export`: sends one customer to 1C's HTTP service as it is when the job runs
 * (so edits made while it waited all go in one request).
 *
 * Issue 4: "A 200/201 reply {"id": "<1C Ид>"} links the customer (onecId, syncStatus=synced,
 * needs1cExport=false, lastSyncAt); 409 with {"id": …} means 1C already has it: link it.
 * Other 4xx are permanent: syncStatus=error with the message, no retry. 5xx, timeouts and
 * network errors retry with exponential backoff … and then go to a dead letter queue."
 * 408 and 429 are retried too: they are HTTP's own "try again later".
 */
import { type Kysely, sql } from "kysely";
import type { JobWithMetadata } from "pg-boss";
import type { AppContext } from "../context.ts";
import type { Database } from "../../db/schema.ts";
import { type CustomerRow, rowToFields, significantHash } from "./customer-fields.ts";
import { CUSTOMER_QUEUES, type CustomerExportJobData } from "./queues.ts";
import {
  type ExportAnswer,
  type FetchLike,
  type OnecCustomerBody,
  sendCustomer,
} from "./onec-customer-client.ts";
import { enqueueExport } from "./export-queue.ts";
import { writeSyncLog } from "./sync-log.ts";
import { outboundRecorder, recordingFetch } from "../integration-log/recording-fetch.ts";

export class RetryableExportError extends Error {}

export function exportBody(row: CustomerRow): OnecCustomerBody {
  return {
    platform_id: row.id,
    email: row.email,
    phone: row.phone_e164 ?? row.phone,
    customer_type: row.customer_type,
    first_name: row.first_name,
    last_name: row.last_name,
    company_name: row.company_name,
    tax_id: row.tax_id,
    kpp: row.kpp,
    contact_person: row.contact_person,
    role: row.role,
  };
}

export async function handleCustomerExport(
  ctx: AppContext,
  job: JobWithMetadata<CustomerExportJobData>,
  fetchFn?: FetchLike,
): Promise<void> {
  const { customerId, requestId } = job.data;
  const attempt = job.retryCount + 1;
  const log = ctx.log.child({ customerId, jobId: job.id, attempt, requestId });
  const c = ctx.config.customers;
  const cc = c.defaultCountryCode;
  const row = await ctx.db.selectFrom("customers").selectAll().where("id", "=", customerId)
    .executeTakeFirst();
  if (!row) {
    log.info("customer export: the customer no longer exists");
    return;
  }
  if (!row.needs_1c_export) {
    // Sent by an earlier job, linked by an import, or the edit was undone: nothing to do.
    log.debug("customer export: nothing to send");
    return;
  }
  const sentHash = significantHash(rowToFields(row), cc);
  const method = row.onec_id === null ? "POST" : "PUT";
  const started = performance.now();
  // Every attempt is a row of the integration log (issue 7).
  const record = outboundRecorder(ctx, "onec-http", { requestId, ref: `customer ${customerId}` });
  const send = recordingFetch(record, fetchFn);
  const answer = await sendCustomer(c, exportBody(row), row.onec_id, send, job.signal);
  const ms = Math.round(performance.now() - started);
  const details = { method, attempt, ms, jobId: job.id, ...statusOf(answer) };

  if (answer.kind === "linked") {
    await ctx.db.transaction().execute(async (tx) => {
      const holder = await tx.selectFrom("customers").select("id")
        .where("onec_id", "=", answer.onecId).where("id", "<>", customerId).executeTakeFirst();
      if (holder) {
        // 1C says this customer is a counterparty another customer already stands for.
        const message = `1C answered with Ид ${answer.onecId}, which customer ${holder.id} ` +
          "already has: merge the two customers";
        await markError(tx, customerId, message);
        await writeSyncLog(tx, [{
          customerId,
          operation: "export_to_1c",
          status: "error",
          details: { ...details, onecId: answer.onecId, permanent: true },
          errorMessage: message,
        }]);
        log.warn({ onecId: answer.onecId, holder: holder.id }, "customer export: duplicate Ид");
        return;
      }
      const current = await tx.selectFrom("customers").selectAll().where("id", "=", customerId)
        .forUpdate().executeTakeFirst();
      if (!current) return;
      // An edit committed while the request was in flight is still to be sent.
      const stillNeeds = significantHash(rowToFields(current), cc) !== sentHash;
      const openConflict = await tx.selectFrom("customer_conflicts").select("id")
        .where("customer_id", "=", customerId).where("status", "=", "open").executeTakeFirst();
      await tx.updateTable("customers").set({
        onec_id: answer.onecId,
        onec_fields_hash: sentHash,
        needs_1c_export: stillNeeds,
        sync_status: openConflict ? "conflict" : stillNeeds ? "pending" : "synced",
        sync_error_message: null,
        export_dead_lettered_at: null,
        last_sync_at: sql<Date>`now()`,
        first_synced_at: sql<Date>`coalesce(first_synced_at, now())`,
      }).where("id", "=", customerId).execute();
      await writeSyncLog(tx, [{
        customerId,
        operation: "export_to_1c",
        status: "success",
        details: { ...details, onecId: answer.onecId },
      }]);
      if (stillNeeds) await enqueueExport(ctx, tx, customerId, requestId);
    });
    log.info({ onecId: answer.onecId, status: answer.status, ms }, "customer exported to 1C");
    return;
  }

  if (answer.kind === "rejected") {
    await ctx.db.transaction().execute(async (tx) => {
      await markError(tx, customerId, answer.message);
      await writeSyncLog(tx, [{
        customerId,
        operation: "export_to_1c",
        status: "error",
        details: { ...details, permanent: true },
        errorMessage: answer.message,
      }]);
    });
    log.warn({ status: answer.status, err: answer.message }, "customer export rejected by 1C");
    return; // settled: completing the job means no retry
  }

  // Retryable. pg-boss's stately policy keeps one job per state and customer: when another
  // job of this customer already waits in `retry`, this one's retry would collide with it and
  // be failed into the dead letter queue; that job carries the retry instead.
  const siblings = await ctx.boss.findJobs(CUSTOMER_QUEUES.export.name, {
    key: customerId,
    queued: true,
  });
  const carried = siblings.some((j) => j.id !== job.id && j.state === "retry");
  const lastAttempt = job.retryCount >= job.retryLimit;
  await ctx.db.transaction().execute(async (tx) => {
    if (lastAttempt && !carried) {
      await tx.updateTable("customers").set({
        sync_status: "error",
        sync_error_message: `gave up after ${attempt} attempts: ${answer.message}`,
        export_dead_lettered_at: sql<Date>`now()`,
      }).where("id", "=", customerId).execute();
    } else {
      await tx.updateTable("customers").set({ sync_error_message: answer.message })
        .where("id", "=", customerId).execute();
    }
    await writeSyncLog(tx, [{
      customerId,
      operation: "export_to_1c",
      status: "error",
      details: { ...details, retriable: true, deadLettered: lastAttempt && !carried },
      errorMessage: answer.message,
    }]);
  });
  if (carried) {
    log.info({ err: answer.message }, "customer export failed; another job retries it");
    return;
  }
  log.warn(
    { err: answer.message, lastAttempt },
    lastAttempt ? "customer export gave up: dead letter" : "customer export failed; will retry",
  );
  throw new RetryableExportError(answer.message);
}

function statusOf(a: ExportAnswer): { status: number | null } {
  return { status: a.status };
}

async function markError(
  tx: Kysely<Database>,
  customerId: string,
  message: string,
): Promise<void> {
  await tx.updateTable("customers").set({
    sync_status: "error",
    sync_error_message: message,
  }).where("id", "=", customerId).execute();
}
