/**
 * Queue `catalog-import`: one job per (exchange session, init, file). Unpacks the session's
 * zips if needed, streams the file through the importer, and keeps the run row (which
 * `mode=import` answers from) up to date.
 *
 * A bad file (malformed XML, refused archive, missing file) fails the run at once: retrying
 * cannot fix it. Anything else (database gone, worker stopped) goes back to the queue and is
 * retried with backoff; the import's single transaction makes the retry start clean.
 */
import { sql } from "kysely";
import type { Job } from "pg-boss";
import type { AppContext } from "../src/context.ts";
import { IMPORT_KINDS, type ImportJobData } from "../src/imports/import-runs.ts";
import { QUEUES } from "../src/queue.ts";
import { unpackSessionZips } from "../src/exchange/unpack.ts";
import { baseName, UnsafeFileNameError } from "../src/exchange/filename.ts";
import { readUpload } from "../src/exchange/uploads.ts";
import { ZipError } from "../src/exchange/zip.ts";
import { CmlError } from "../src/commerceml/records.ts";
import { importStream } from "../src/catalog/import-stream.ts";
import type { Counts } from "../src/catalog/writer.ts";
import { ImportInputError } from "../src/imports/import-input-error.ts";
import { pruneUnreferencedImages, publishSessionImages } from "../src/catalog/images.ts";
import { enqueueStockPushAfterImport } from "../src/marketplaces/push-trigger.ts";
import { refreshPlannerStatistics } from "../src/catalog/planner-statistics.ts";
import {
  allUnchanged,
  copySeen,
  findIdenticalRun,
  sha256OfUpload,
} from "../src/imports/identical-file.ts";

const isInputError = (e: unknown) =>
  e instanceof CmlError || e instanceof ZipError || e instanceof UnsafeFileNameError ||
  e instanceof ImportInputError;

export function progressLine(bytesRead: number, size: number, counts: Counts): string {
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  const pct = size > 0 ? Math.min(100, Math.floor((bytesRead / size) * 100)) : 0;
  const done = (k: string) => {
    const c = counts[k];
    return c ? c.created + c.updated + c.unchanged : 0;
  };
  const parts = [`read ${pct}% of ${mb(size)} MB`];
  if (done("products")) parts.push(`${done("products")} products`);
  if (done("offers")) parts.push(`${done("offers")} offers`);
  if (done("groups")) parts.push(`${done("groups")} groups`);
  return `imported ${parts.slice(1).join(", ") || "nothing yet"} (${parts[0]})`;
}

export async function handleCatalogImport(ctx: AppContext, job: Job<ImportJobData>): Promise<void> {
  const { runId, requestId, dryRun, expectedKind } = job.data;
  const log = ctx.log.child({ requestId, runId, jobId: job.id });
  const run = await ctx.db.selectFrom("import_runs").selectAll().where("id", "=", runId)
    .executeTakeFirst();
  if (!run) {
    log.warn("import job for a run that no longer exists");
    return;
  }
  if (run.status === "success" || run.status === "failed") return; // a repeated job: already done

  await ctx.db.updateTable("import_runs").set({
    status: "running",
    started_at: sql`now()`,
    attempt: sql`attempt + 1`,
    progress: "starting",
    counts: "{}",
    error: null,
  }).where("id", "=", runId).execute();
  log.info({ file: run.file_name, attempt: job.retryCount + 1 }, "catalog import started");
  const started = performance.now();

  const setProgress = (progress: string, extra: { bytes_read?: number; counts?: Counts } = {}) =>
    ctx.db.updateTable("import_runs").set({
      progress,
      ...(extra.bytes_read !== undefined ? { bytes_read: extra.bytes_read } : {}),
      ...(extra.counts ? { counts: JSON.stringify(extra.counts) } : {}),
    }).where("id", "=", runId).execute().then(() => {});

  try {
    if (!run.session_id) throw new ImportInputError("the run has no exchange session");
    await unpackSessionZips(ctx, run.session_id, (m) => setProgress(m));
    const images = dryRun ? null : await publishSessionImages(ctx.pool, run.session_id);
    const file = await findUpload(ctx, run.session_id, run.file_name);
    await setProgress("checking whether the file changed");
    const sha256 = await sha256OfUpload(ctx.pool, file.id);
    await ctx.db.updateTable("import_runs")
      .set({ file_size: file.size, upload_file_id: file.id, content_sha256: sha256 })
      .where("id", "=", runId).execute();
    const same = await findIdenticalRun(ctx.pool, sha256, runId);
    if (same && (!expectedKind || IMPORT_KINDS[expectedKind].some((k) => k === same.kind))) {
      if (same.full_exchange && !dryRun) await copySeen(ctx.pool, same.id, runId);
      await ctx.db.updateTable("import_runs").set({
        status: "success",
        kind: same.kind,
        full_exchange: same.full_exchange,
        deactivation_deferred: same.deactivation_deferred && !dryRun,
        counts: JSON.stringify(allUnchanged(same.counts)),
        same_as_run_id: same.id,
        progress: `identical to run #${same.id}, nothing changed since: skipped`,
        bytes_read: file.size,
        finished_at: sql`now()`,
      }).where("id", "=", runId).execute();
      log.info({ sameAs: same.id }, "catalog import skipped: identical file");
      return;
    }

    const client = await ctx.pool.connect();
    let result;
    try {
      result = await importStream({
        client,
        source: readUpload(ctx.pool, file.id),
        runId,
        batchSize: ctx.config.import.batchSize,
        threaded: ctx.config.import.parser === "thread",
        signal: job.signal,
        splitPackage: /___|\//.test(file.name),
        dryRun,
        acceptKinds: expectedKind ? IMPORT_KINDS[expectedKind] : undefined,
        onProgress: (p) =>
          setProgress(progressLine(p.bytesRead, Number(file.size), p.counts), {
            bytes_read: p.bytesRead,
            counts: p.counts,
          }),
      });
    } finally {
      client.release();
    }
    if (images && (images.stored || images.reused)) {
      result.counts.images = {
        created: images.stored,
        updated: 0,
        unchanged: images.reused,
        deactivated: 0,
        skipped: images.skipped.length,
      };
    }
    const products = result.counts.products;
    if (!dryRun && products && products.created + products.updated + products.deactivated > 0) {
      const removed = await pruneUnreferencedImages(ctx.pool);
      if (removed) {
        (result.counts.images ??= {
          created: 0,
          updated: 0,
          unchanged: 0,
          deactivated: 0,
          skipped: 0,
        }).deactivated = removed;
      }
    }
    if (!dryRun) {
      // Before 1C hears `success`: the API reads it then makes are planned with them, and so
      // is the next file of the exchange.
      const analyzed = await refreshPlannerStatistics(ctx.pool, result.counts).catch((e) => {
        log.warn({ err: (e as Error).message }, "could not refresh planner statistics");
        return [];
      });
      if (analyzed.length) log.info({ tables: analyzed }, "planner statistics refreshed");
    }
    const seconds = (performance.now() - started) / 1000;
    await ctx.db.updateTable("import_runs").set({
      status: "success",
      kind: result.kind,
      full_exchange: result.fullExchange,
      deactivation_deferred: result.deactivationDeferred && !dryRun,
      counts: JSON.stringify(result.counts),
      errors: JSON.stringify(result.warnings),
      progress: `${dryRun ? "dry run, nothing written: " : ""}done in ${seconds.toFixed(1)} s`,
      bytes_read: file.size,
      finished_at: sql`now()`,
    }).where("id", "=", runId).execute();
    log.info({ kind: result.kind, counts: result.counts, seconds }, "catalog import finished");
    // New stock from 1C goes on to the marketplaces (a no-op when none is configured).
    const stocks = result.counts.stocks;
    const offersQty = result.counts.offers;
    if (
      !dryRun && ((stocks && stocks.created + stocks.updated + stocks.deactivated > 0) ||
        (offersQty && offersQty.created + offersQty.updated > 0))
    ) {
      await enqueueStockPushAfterImport(ctx).catch((e) =>
        log.warn({ err: (e as Error).message }, "could not queue the marketplace stock push")
      );
    }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const lastAttempt = job.retryCount >= QUEUES.catalogImport.retryLimit;
    if (isInputError(e) || lastAttempt) {
      await ctx.db.updateTable("import_runs").set({
        status: "failed",
        error: message,
        progress: "failed",
        finished_at: sql`now()`,
      }).where("id", "=", runId).execute();
      log.warn({ err: message }, "catalog import failed");
      if (isInputError(e)) return; // settled: the job completes, no retry
      throw e;
    }
    await ctx.db.updateTable("import_runs").set({
      status: "queued",
      progress: `will retry after: ${message}`,
    }).where("id", "=", runId).execute().catch(() => {});
    log.warn({ err: message }, "catalog import interrupted; will retry");
    throw e;
  }
}

/**
 * The upload 1C means by `filename`. 1C names the XML inside its zip (`import0_1.xml`), which
 * we store at its path in the archive; a bare name also matches a file in a sub-folder when
 * exactly one has that name.
 */
async function findUpload(ctx: AppContext, sessionId: string, name: string) {
  const files = await ctx.db.selectFrom("upload_files").select(["id", "name", "size"])
    .where("session_id", "=", sessionId).execute();
  const exact = files.find((f) => f.name === name);
  if (exact) return exact;
  const byBase = files.filter((f) => baseName(f.name) === name);
  if (byBase.length === 1) return byBase[0];
  if (byBase.length > 1) {
    throw new ImportInputError(
      `${name} is ambiguous: ${byBase.map((f) => f.name).join(", ")} (send the path)`,
    );
  }
  throw new ImportInputError(`file ${name} was not uploaded in this session`);
}
