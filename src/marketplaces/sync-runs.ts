/**
 * The sync log rows: creating a run under the one-running-run-per-source-and-kind lock,
 * finishing it, recovering runs whose worker died, pruning old ones.
 */
import { sql } from "kysely";
import type { AppContext } from "../context.ts";
import type { Db } from "../../db/pool.ts";
import type {
  MarketplaceSource,
  SyncItemError,
  SyncKind,
  SyncTrigger,
} from "../../db/schema-marketplaces.ts";
import { MARKETPLACE_QUEUES } from "./queues.ts";

export interface RunResult {
  status: "success" | "partial" | "failed";
  processed: number;
  updated: number;
  skipped: number;
  errorMessage: string | null;
  anomaly: string | null;
  itemErrors: SyncItemError[];
}

/** At most this many item errors are kept on a run; the counts hold the rest. */
export const MAX_ITEM_ERRORS = 100;

export type ClaimOutcome =
  | { claimed: true; runId: string }
  | { claimed: false; reason: "done" | "busy"; runId: string | null };

/** A `running` row older than this whose job is gone was left by a dead worker. */
const ORPHAN_GRACE_SECONDS = 60;

/**
 * Creates the run row of a queued job, or picks its own row up again when pg-boss retries the
 * job after a crash. `done`: this slot already has its run; `busy`: another run of the same
 * source and kind is running.
 */
export async function claimRun(
  ctx: AppContext,
  job: {
    id: string;
    source: MarketplaceSource;
    kind: SyncKind;
    trigger: SyncTrigger;
    slot?: string;
  },
): Promise<ClaimOutcome> {
  await recoverOrphans(ctx, job.source, job.kind);
  const inserted = await sql<{ id: string }>`
    INSERT INTO stock_sync_runs (source, kind, trigger, slot, job_id)
    VALUES (${job.source}, ${job.kind}, ${job.trigger}, ${job.slot ?? null}, ${job.id})
    ON CONFLICT DO NOTHING
    RETURNING id`.execute(ctx.db);
  if (inserted.rows[0]) return { claimed: true, runId: inserted.rows[0].id };

  const own = await ctx.db.selectFrom("stock_sync_runs").select(["id", "status"])
    .where("job_id", "=", job.id).executeTakeFirst();
  if (own) {
    return own.status === "running"
      ? { claimed: true, runId: own.id }
      : { claimed: false, reason: "done", runId: own.id };
  }
  if (job.slot) {
    const sameSlot = await ctx.db.selectFrom("stock_sync_runs").select("id")
      .where("source", "=", job.source).where("kind", "=", job.kind)
      .where("slot", "=", new Date(job.slot)).executeTakeFirst();
    if (sameSlot) return { claimed: false, reason: "done", runId: sameSlot.id };
  }
  return {
    claimed: false,
    reason: "busy",
    runId: await runningRunId(ctx.db, job.source, job.kind),
  };
}

/**
 * A manual run: the row is created (as running) before the job is sent, so the caller can
 * answer with its id. Null when one is already running (the caller answers 409).
 */
export async function createManualRun(
  ctx: AppContext,
  source: MarketplaceSource,
  kind: SyncKind,
  jobId: string,
  trigger: SyncTrigger = "manual",
): Promise<string | null> {
  await recoverOrphans(ctx, source, kind);
  const inserted = await sql<{ id: string }>`
    INSERT INTO stock_sync_runs (source, kind, trigger, job_id)
    VALUES (${source}, ${kind}, ${trigger}, ${jobId})
    ON CONFLICT DO NOTHING
    RETURNING id`.execute(ctx.db);
  return inserted.rows[0]?.id ?? null;
}

export async function runningRunId(
  db: Db,
  source: MarketplaceSource,
  kind: SyncKind,
): Promise<string | null> {
  const row = await db.selectFrom("stock_sync_runs").select("id")
    .where("source", "=", source).where("kind", "=", kind).where("status", "=", "running")
    .executeTakeFirst();
  return row?.id ?? null;
}

export async function finishRun(db: Db, runId: string, r: RunResult): Promise<void> {
  await db.updateTable("stock_sync_runs").set({
    status: r.status,
    records_processed: r.processed,
    records_updated: r.updated,
    records_skipped: r.skipped,
    error_message: r.errorMessage,
    anomaly: r.anomaly,
    item_errors: JSON.stringify(r.itemErrors.slice(0, MAX_ITEM_ERRORS)),
    completed_at: sql<Date>`now()`,
  }).where("id", "=", runId).execute();
}

/** The outcome of a run that failed as a whole: nothing counted, the reason kept. */
export function failedResult(message: string): RunResult {
  return {
    status: "failed",
    processed: 0,
    updated: 0,
    skipped: 0,
    errorMessage: message,
    anomaly: null,
    itemErrors: [],
  };
}

export async function failRun(db: Db, runId: string, message: string): Promise<void> {
  await finishRun(db, runId, failedResult(message));
}

/**
 * A run stays `running` forever if its worker was killed and pg-boss then gave the job up
 * (retries spent or expired). Such a row would hold the lock; it is failed here once its job
 * is no longer queued or active.
 */
export async function recoverOrphans(
  ctx: AppContext,
  source: MarketplaceSource,
  kind: SyncKind,
): Promise<void> {
  const stuck = await ctx.db.selectFrom("stock_sync_runs").select(["id", "job_id"])
    .where("source", "=", source).where("kind", "=", kind).where("status", "=", "running")
    .where("started_at", "<", sql<Date>`now() - make_interval(secs => ${ORPHAN_GRACE_SECONDS})`)
    .execute();
  for (const run of stuck) {
    const [job] = run.job_id
      ? await ctx.boss.findJobs(MARKETPLACE_QUEUES.stockSync.name, { id: run.job_id })
      : [];
    if (job && (job.state === "created" || job.state === "retry" || job.state === "active")) {
      continue;
    }
    ctx.log.warn({ runId: run.id, source, kind }, "stock sync run left running by a dead worker");
    await failOrphan(ctx.db, run.id);
  }
}

async function failOrphan(db: Db, runId: string) {
  await db.updateTable("stock_sync_runs").set({
    status: "failed",
    error_message: "interrupted: the worker stopped before the run finished",
    completed_at: sql<Date>`now()`,
  }).where("id", "=", runId).where("status", "=", "running").execute();
}

/** "Logs older than 90 days (configurable) are pruned", and inventory rows long zeroed. */
export async function pruneSyncLogs(ctx: AppContext): Promise<{ runs: number; rows: number }> {
  const days = ctx.config.marketplaces.logRetentionDays;
  const cutoff = sql<Date>`now() - make_interval(days => ${days})`;
  const runs = await ctx.db.deleteFrom("stock_sync_runs")
    .where("started_at", "<", cutoff).where("status", "<>", "running")
    .executeTakeFirst();
  const rows = await ctx.db.deleteFrom("marketplace_inventory")
    .where("available", "=", 0).where("present", "=", 0)
    .where("last_sync_at", "<", cutoff).executeTakeFirst();
  return { runs: Number(runs.numDeletedRows), rows: Number(rows.numDeletedRows) };
}
