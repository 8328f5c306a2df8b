/**
 * Import runs: the audit trail and the state `mode=import` answers from. The protocol
 * never waits on work: it enqueues once per (session, init, file) and reads this row.
 */
import { sql } from "kysely";
import type { Selectable } from "kysely";
import type { AppContext } from "../context.ts";
import type { ImportRunTable } from "../../db/schema.ts";
import { QUEUES, wakeLocalWorker } from "../queue.ts";

export type ImportRun = Selectable<ImportRunTable>;

/** pg-boss job ids are UUIDs; deriving it from the run id makes enqueueing idempotent. */
export function jobIdForRun(runId: string): string {
  const hex = BigInt(runId).toString(16).padStart(12, "0");
  return `00000000-0000-4000-8000-${hex}`;
}

export interface ImportJobData {
  runId: string;
  requestId: string | null;
  /** Report what would change, then roll back (the CLI's --dry-run). */
  dryRun?: boolean;
  /** Refuse the file unless it holds this kind of data (CLI --kind, replay by kind). */
  expectedKind?: ImportKind;
}

/** What an operator asks to import; each accepts the file kinds that carry it. */
export const IMPORT_KINDS = {
  catalog: ["catalog", "mixed", "classifier"],
  offers: ["offers", "mixed", "prices", "rests"],
  prices: ["prices", "offers", "mixed"],
  rests: ["rests", "offers", "mixed"],
} as const;
export type ImportKind = keyof typeof IMPORT_KINDS;

/**
 * The run for this file in this session's current generation, created and enqueued on the
 * first call. Concurrent repeats converge on the same row and the same job.
 */
export async function requestImport(
  ctx: AppContext,
  opts: {
    sessionId: string;
    generation: number;
    fileName: string;
    requestId: string | null;
    dryRun?: boolean;
    expectedKind?: ImportKind;
  },
): Promise<ImportRun> {
  await ctx.db.insertInto("import_runs").values({
    session_id: opts.sessionId,
    generation: opts.generation,
    file_name: opts.fileName,
    request_id: opts.requestId,
    progress: "queued",
  }).onConflict((oc) => oc.columns(["session_id", "generation", "file_name"]).doNothing())
    .execute();
  let run = await ctx.db.selectFrom("import_runs").selectAll()
    .where("session_id", "=", opts.sessionId).where("generation", "=", opts.generation)
    .where("file_name", "=", opts.fileName).executeTakeFirstOrThrow();
  if (run.job_id === null && run.status === "queued") {
    const jobId = jobIdForRun(run.id);
    const data: ImportJobData = {
      runId: run.id,
      requestId: opts.requestId,
      ...(opts.dryRun ? { dryRun: true } : {}),
      ...(opts.expectedKind ? { expectedKind: opts.expectedKind } : {}),
    };
    // Retry, heartbeat and expiry come from the queue (src/queue.ts, bootstrap overrides).
    await ctx.boss.send(QUEUES.catalogImport.name, data, { id: jobId });
    wakeLocalWorker(ctx.boss, QUEUES.catalogImport.name);
    run = await ctx.db.updateTable("import_runs").set({ job_id: jobId })
      .where("id", "=", run.id).returningAll().executeTakeFirstOrThrow();
  }
  return run;
}

/**
 * Starts the imports of the XML files this session finished uploading before `nextFile`.
 * 1C sends every file first and only then asks `import` for each, in the order it sent them:
 *   file import.xml (parts…) → file import_files/… → file offers.xml (parts…) →
 *   import import.xml → import offers.xml
 * so when the first part of another XML file arrives, the earlier ones are complete, and their
 * import can run while the rest uploads instead of after it. The run is the one `mode=import`
 * would have started (same key: session, generation, name), so 1C's later `import` finds it
 * running or done. Only plain names (`import.xml`, not `goods/1/…`), the way 1C asks for them
 * without zip; archives and pictures never start anything.
 */
export async function startUploadedImports(
  ctx: AppContext,
  opts: { sessionId: string; generation: number; nextFile: string; requestId: string | null },
): Promise<ImportRun[]> {
  if (!isPlainXml(opts.nextFile)) return [];
  const uploads = await ctx.db.selectFrom("upload_files").select(["name"])
    .where("session_id", "=", opts.sessionId).where("origin", "=", "upload")
    .where("name", "!=", opts.nextFile)
    .where(({ not, exists, selectFrom }) =>
      not(exists(
        selectFrom("import_runs").select("id")
          .where("import_runs.session_id", "=", opts.sessionId)
          .where("import_runs.generation", "=", opts.generation)
          .whereRef("import_runs.file_name", "=", "upload_files.name"),
      ))
    ).orderBy("id").execute();
  const started: ImportRun[] = [];
  for (const u of uploads) {
    if (!isPlainXml(u.name)) continue;
    started.push(
      await requestImport(ctx, {
        sessionId: opts.sessionId,
        generation: opts.generation,
        fileName: u.name,
        requestId: opts.requestId,
      }),
    );
  }
  return started;
}

const isPlainXml = (name: string) => !name.includes("/") && /\.xml$/i.test(name);

/** The run of this file in this session's generation, if 1C asked for it already. */
export async function findRun(
  ctx: AppContext,
  sessionId: string,
  generation: number,
  fileName: string,
): Promise<ImportRun | undefined> {
  return await ctx.db.selectFrom("import_runs").selectAll()
    .where("session_id", "=", sessionId).where("generation", "=", generation)
    .where("file_name", "=", fileName).executeTakeFirst();
}

/**
 * A run whose job pg-boss has given up on (retries exhausted after crashes) would stay
 * "running" forever: settle it from the job's state.
 */
export async function reconcileRun(ctx: AppContext, run: ImportRun): Promise<ImportRun> {
  if ((run.status !== "running" && run.status !== "queued") || !run.job_id) return run;
  const job = await ctx.boss.getJobById(QUEUES.catalogImport.name, run.job_id);
  if (job && (job.state === "failed" || job.state === "cancelled")) {
    return await ctx.db.updateTable("import_runs").set({
      status: "failed",
      error: run.error ?? `the import job ${job.state} (worker crashed or was stopped too often)`,
      finished_at: sql`now()`,
    }).where("id", "=", run.id).where("status", "in", ["running", "queued"])
      .returningAll().executeTakeFirst() ?? run;
  }
  return run;
}

/** The run currently importing, if any (for "waiting for …" answers). */
export async function runningRun(ctx: AppContext): Promise<ImportRun | undefined> {
  return await ctx.db.selectFrom("import_runs").selectAll().where("status", "=", "running")
    .orderBy("started_at").executeTakeFirst();
}

export async function getRun(ctx: AppContext, id: string): Promise<ImportRun | undefined> {
  return await ctx.db.selectFrom("import_runs").selectAll().where("id", "=", id)
    .executeTakeFirst();
}

/** "products: 100 created, 2 updated, 5 unchanged; offers: …" */
export function summarizeCounts(counts: ImportRun["counts"]): string {
  const parts: string[] = [];
  for (const [entity, c] of Object.entries(counts)) {
    const bits: string[] = [];
    for (const k of ["created", "updated", "unchanged", "deactivated", "skipped"] as const) {
      if (c[k]) bits.push(`${c[k]} ${k}`);
    }
    if (bits.length) parts.push(`${entity}: ${bits.join(", ")}`);
  }
  return parts.join("; ") || "nothing to import";
}
