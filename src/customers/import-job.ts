/**
 * Queue `customer-import`: one uploaded CommerceML file (a Контрагенты directory, or order
 * documents whose buyers are read) → customers, through importCounterparties.
 *
 * Job data `{ uploadFileId, requestId? }`; the file's run (customer_import_runs) is keyed by
 * the upload, so a repeated or retried job reports into the same run. A bad file fails the run
 * at once; anything else (database gone, worker stopped) goes back to the queue and the retry
 * finds the batches already committed unchanged.
 */
import type { Job } from "pg-boss";
import type { AppContext } from "../context.ts";
import { readUpload } from "../exchange/uploads.ts";
import { CmlError } from "../commerceml/records.ts";
import { CUSTOMER_QUEUES, type CustomerImportJobData } from "./queues.ts";
import { importCounterparties } from "./import-counterparties.ts";
import { finishRun, runForUpload } from "./import-runs.ts";

/** pg-boss job ids are UUIDs; deriving it from the upload makes enqueueing idempotent. */
export function importJobId(uploadFileId: string): string {
  const hex = BigInt(uploadFileId).toString(16).padStart(12, "0");
  return `00000000-0000-4000-a000-${hex}`;
}

/** Queues the import of an uploaded file; a second call for the same file is a no-op. */
export async function enqueueImport(
  ctx: Pick<AppContext, "boss">,
  data: CustomerImportJobData,
): Promise<string> {
  const { name, ...options } = CUSTOMER_QUEUES.import;
  const id = importJobId(data.uploadFileId);
  await ctx.boss.send(name, data, { ...options, id });
  return id;
}

export async function handleCustomerImport(
  ctx: AppContext,
  job: Job<CustomerImportJobData>,
): Promise<void> {
  const { uploadFileId, requestId } = job.data;
  const log = ctx.log.child({ uploadFileId, jobId: job.id, requestId });
  const file = await ctx.db.selectFrom("upload_files").select(["id", "name", "size"])
    .where("id", "=", uploadFileId).executeTakeFirst();
  const run = await runForUpload(ctx.db, {
    label: file?.name ?? `upload ${uploadFileId}`,
    uploadFileId,
    requestId,
    fileSize: file ? Number(file.size) : undefined,
  });
  if (run.status === "success" || run.status === "failed") return; // a repeated job: done
  if (!file) {
    await finishRun(ctx.db, run.id, {
      status: "failed",
      error: `upload ${uploadFileId} no longer exists`,
    });
    log.warn("customer import: the upload is gone");
    return;
  }
  await ctx.db.updateTable("customer_import_runs").set({ job_id: job.id })
    .where("id", "=", run.id).execute();
  const lastAttempt = job.retryCount >= CUSTOMER_QUEUES.import.retryLimit;
  try {
    await importCounterparties(ctx, readUpload(ctx.pool, uploadFileId), {
      runLabel: file.name,
      runId: run.id,
      requestId,
      fileSize: Number(file.size),
      signal: job.signal,
      onInterrupt: lastAttempt ? "fail" : "requeue",
    });
  } catch (e) {
    // A bad file is settled (the run says why); retrying cannot fix it.
    if (e instanceof CmlError) return;
    throw e;
  }
}
