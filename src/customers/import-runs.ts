/**
 * The audit of counterparty imports (customer_import_runs), shaped like the catalog's
 * import_runs: status, progress, counts, errors, durations.
 */
import { sql } from "kysely";
import type { Selectable } from "kysely";
import type { Db } from "../../db/pool.ts";
import type { CustomerImportCounts, CustomerImportRunTable } from "../../db/schema-customers.ts";

export type CustomerImportRun = Selectable<CustomerImportRunTable>;

export const EMPTY_COUNTS: CustomerImportCounts = {
  created: 0,
  updated: 0,
  unchanged: 0,
  conflicts: 0,
  skipped: 0,
};

/** Most skip reasons kept on a run; the counts still count them all. */
export const MAX_RUN_ERRORS = 100;

export async function createRun(
  db: Db,
  opts: { label: string; uploadFileId?: string; requestId?: string; fileSize?: number },
): Promise<CustomerImportRun> {
  return await db.insertInto("customer_import_runs").values({
    label: opts.label,
    upload_file_id: opts.uploadFileId ?? null,
    request_id: opts.requestId ?? null,
    file_size: opts.fileSize ?? null,
    progress: "queued",
  }).returningAll().executeTakeFirstOrThrow();
}

/** The run of an uploaded file, created on first use: a repeated job finds the same one. */
export async function runForUpload(
  db: Db,
  opts: { label: string; uploadFileId: string; requestId?: string; fileSize?: number },
): Promise<CustomerImportRun> {
  await db.insertInto("customer_import_runs").values({
    label: opts.label,
    upload_file_id: opts.uploadFileId,
    request_id: opts.requestId ?? null,
    file_size: opts.fileSize ?? null,
    progress: "queued",
  }).onConflict((oc) => oc.column("upload_file_id").doNothing()).execute();
  return await db.selectFrom("customer_import_runs").selectAll()
    .where("upload_file_id", "=", opts.uploadFileId).executeTakeFirstOrThrow();
}

export async function getRun(db: Db, id: string): Promise<CustomerImportRun | undefined> {
  return await db.selectFrom("customer_import_runs").selectAll().where("id", "=", id)
    .executeTakeFirst();
}

export async function startRun(db: Db, id: string): Promise<void> {
  await db.updateTable("customer_import_runs").set({
    status: "running",
    started_at: sql<Date>`now()`,
    finished_at: null,
    attempt: sql<number>`attempt + 1`,
    progress: "starting",
    counts: JSON.stringify(EMPTY_COUNTS),
    errors: "[]",
    error: null,
    bytes_read: 0,
  }).where("id", "=", id).execute();
}

export async function progressRun(
  db: Db,
  id: string,
  p: { bytesRead: number; counts: CustomerImportCounts; progress: string },
): Promise<void> {
  await db.updateTable("customer_import_runs").set({
    bytes_read: p.bytesRead,
    counts: JSON.stringify(p.counts),
    progress: p.progress,
  }).where("id", "=", id).execute();
}

export async function finishRun(
  db: Db,
  id: string,
  r:
    | { status: "success"; counts: CustomerImportCounts; errors: string[]; bytesRead: number }
    | { status: "failed"; error: string; counts?: CustomerImportCounts; errors?: string[] },
): Promise<void> {
  await db.updateTable("customer_import_runs").set({
    status: r.status,
    finished_at: sql<Date>`now()`,
    ...(r.status === "success"
      ? {
        progress: `done: ${summarize(r.counts)}`,
        counts: JSON.stringify(r.counts),
        errors: JSON.stringify(r.errors),
        bytes_read: r.bytesRead,
      }
      : {
        progress: "failed",
        error: r.error,
        ...(r.counts ? { counts: JSON.stringify(r.counts) } : {}),
        ...(r.errors ? { errors: JSON.stringify(r.errors) } : {}),
      }),
  }).where("id", "=", id).execute();
}

/** Back to the queue after an interruption; the retried job starts the run again. */
export async function requeueRun(db: Db, id: string, reason: string): Promise<void> {
  await db.updateTable("customer_import_runs").set({
    status: "queued",
    progress: `will retry after: ${reason}`,
  }).where("id", "=", id).execute();
}

/** "3 created, 1 updated, 5 unchanged, 1 conflicts, 0 skipped" */
export function summarize(c: CustomerImportCounts): string {
  return `${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged, ` +
    `${c.conflicts} conflicts, ${c.skipped} skipped`;
}

/** The API's view of a run. */
export function runView(r: CustomerImportRun) {
  const durationSeconds = r.started_at && r.finished_at
    ? (r.finished_at.getTime() - r.started_at.getTime()) / 1000
    : null;
  return {
    id: Number(r.id),
    label: r.label,
    status: r.status,
    progress: r.progress,
    fileSize: r.file_size === null ? null : Number(r.file_size),
    bytesRead: Number(r.bytes_read),
    counts: { ...EMPTY_COUNTS, ...r.counts },
    errors: r.errors,
    error: r.error,
    requestId: r.request_id,
    createdAt: r.created_at.toISOString(),
    startedAt: r.started_at?.toISOString() ?? null,
    finishedAt: r.finished_at?.toISOString() ?? null,
    durationSeconds,
  };
}
