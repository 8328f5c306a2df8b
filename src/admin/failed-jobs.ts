/**
 * Jobs pg-boss gave up on (state `failed`: retries exhausted, or failed for good), per
 * queue, with a retry button. A retry is pg-boss's own `retry(name, id)`: the job goes back
 * to `retry` with one more attempt allowed.
 */
import { sql } from "kysely";
import * as v from "valibot";
import type { AppContext } from "../context.ts";
import { ALL_QUEUES, QUEUES } from "../queue.ts";
import { formatTime } from "./format.ts";
import {
  type ActionResult,
  type AdminSection,
  filterValue,
  type SectionContent,
} from "./section-types.ts";

export interface FailedJob {
  id: string;
  queue: string;
  retryCount: number;
  completedOn: Date | null;
  error: string;
  /** For catalog-import jobs: the import run the job was for. */
  runId: number | null;
}

const ErrorOutput = v.looseObject({ message: v.string() });
const ImportData = v.looseObject({ runId: v.pipe(v.string(), v.regex(/^\d+$/)) });
const RetryFields = v.object({
  queue: v.picklist(ALL_QUEUES.map((q) => q.name)),
  id: v.pipe(v.string(), v.uuid()),
});
const RetryResponse = v.looseObject({ affected: v.number() });

function errorText(output: unknown): string {
  const parsed = v.safeParse(ErrorOutput, output);
  if (parsed.success) return parsed.output.message;
  if (output === null || output === undefined) return "";
  const text = JSON.stringify(output);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

export async function failedJobCounts(ctx: AppContext): Promise<Map<string, number>> {
  const r = await sql<{ name: string; n: number }>`
    SELECT name, count(*)::int AS n FROM pgboss.job WHERE state = 'failed'
    GROUP BY name ORDER BY name`.execute(ctx.db);
  return new Map(r.rows.map((row) => [row.name, row.n]));
}

export async function failedJobs(
  ctx: AppContext,
  opts: { queue?: string; limit?: number } = {},
): Promise<FailedJob[]> {
  const queue = opts.queue || null;
  const r = await sql<{
    id: string;
    name: string;
    retry_count: number;
    completed_on: Date | null;
    output: unknown;
    data: unknown;
  }>`SELECT id::text, name, retry_count, completed_on, output, data FROM pgboss.job
     WHERE state = 'failed' AND (${queue}::text IS NULL OR name = ${queue})
     ORDER BY completed_on DESC NULLS LAST, id LIMIT ${opts.limit ?? 100}`.execute(ctx.db);
  return r.rows.map((row) => {
    const data = row.name === QUEUES.catalogImport.name ? v.safeParse(ImportData, row.data) : null;
    return {
      id: row.id,
      queue: row.name,
      retryCount: row.retry_count,
      completedOn: row.completed_on,
      error: errorText(row.output),
      runId: data?.success ? Number(data.output.runId) : null,
    };
  });
}

/**
 * Retries one failed job. A catalog-import job's run was marked failed when the job gave
 * up, and the worker skips runs that are already settled; so the run goes back to queued in
 * the same transaction, or the retried job would do nothing.
 */
export async function retryFailedJob(
  ctx: AppContext,
  fields: Record<string, string>,
): Promise<ActionResult> {
  const parsed = v.safeParse(RetryFields, fields);
  if (!parsed.success) return { ok: false, message: "retry: not a known queue and job id" };
  const { queue, id } = parsed.output;
  const client = await ctx.pool.connect();
  try {
    await client.query("BEGIN");
    if (queue === QUEUES.catalogImport.name) {
      await client.query(
        `UPDATE import_runs SET status = 'queued', error = NULL, finished_at = NULL,
           progress = 'queued again (job retried from the admin page)'
         WHERE job_id = $1 AND status = 'failed'`,
        [id],
      );
    }
    const response = await ctx.boss.retry(queue, id, {
      db: { executeSql: (text: string, values?: unknown[]) => client.query(text, values) },
    });
    const affected = v.safeParse(RetryResponse, response);
    if (!affected.success || affected.output.affected === 0) {
      await client.query("ROLLBACK");
      return { ok: false, message: `job ${id} of ${queue} is not failed (any more)` };
    }
    await client.query("COMMIT");
    ctx.log.info({ queue, jobId: id }, "failed job retried from the admin page");
    return { ok: true, message: `job ${id} of ${queue} will be retried` };
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}

export const failedJobsSection: AdminSection = {
  id: "jobs",
  title: "Failed jobs",
  async load(ctx, query): Promise<SectionContent> {
    const queue = filterValue(query, "jobs", "queue");
    const [counts, jobs] = await Promise.all([
      failedJobCounts(ctx),
      failedJobs(ctx, { queue: queue || undefined }),
    ]);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    return {
      available: true,
      summary: total === 0
        ? "No failed jobs."
        : [...counts].map(([name, n]) => `${name}: ${n}`).join(", "),
      filters: [{
        name: "queue",
        label: "Queue",
        value: queue,
        options: [
          { value: "", label: "all queues" },
          ...ALL_QUEUES.map((q) => ({ value: q.name, label: q.name })),
        ],
      }],
      table: {
        columns: ["Queue", "Job", "Failed at", "Attempts", "Error", "Import run"],
        empty: queue ? `No failed jobs in ${queue}.` : "No failed jobs.",
        rows: jobs.map((j) => ({
          cells: [
            j.queue,
            j.id,
            formatTime(j.completedOn),
            String(j.retryCount + 1),
            j.error,
            j.runId === null ? "" : { text: `#${j.runId}`, href: `/admin/runs/${j.runId}` },
          ],
          actions: [{ name: "retry-job", label: "Retry", fields: { queue: j.queue, id: j.id } }],
        })),
      },
    };
  },
};
