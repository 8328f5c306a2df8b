/**
 * GET /metrics (Prometheus text format). In-process counters plus what the database knows:
 * import runs by status and kind, their durations, rows imported, and pg-boss queue depth and
 * failures per queue, customer sync outcomes and marketplace stock sync outcomes.
 */
import { Hono } from "hono";
import type { AppContext, AppEnv } from "../src/context.ts";
import { metrics, renderGauge } from "../src/metrics/registry.ts";
import { customerMetrics } from "../src/customers/metrics.ts";
import { stockSyncMetrics } from "../src/marketplaces/metrics.ts";

async function importMetrics(ctx: AppContext): Promise<string[]> {
  type Run = { status: string; kind: string; n: number; seconds: number };
  const runs: { rows: Run[] } = await ctx.pool.query(
    `SELECT status, coalesce(kind, 'unknown') AS kind, count(*)::int AS n,
       coalesce(sum(extract(epoch FROM finished_at - started_at)), 0)::float8 AS seconds
     FROM import_runs GROUP BY 1, 2`,
  );
  const rows: { rows: { entity: string; outcome: string; n: number }[] } = await ctx.pool.query(
    `SELECT e.key AS entity, o.key AS outcome, sum(o.value::bigint)::float8 AS n
     FROM import_runs r, jsonb_each(r.counts) e, jsonb_each_text(e.value) o
     WHERE r.status = 'success' GROUP BY 1, 2`,
  );
  const queues: { rows: { name: string; state: string; n: number }[] } = await ctx.pool.query(
    `SELECT name, state::text, count(*)::int AS n FROM pgboss.job GROUP BY 1, 2`,
  );
  return [
    renderGauge(
      "onec_import_runs",
      "Import runs by status and file kind.",
      runs.rows.map((r) => ({ labels: { status: r.status, kind: r.kind }, value: r.n })),
    ),
    renderGauge(
      "onec_import_run_seconds_total",
      "Time spent in finished import runs, by status and kind.",
      runs.rows.map((r) => ({ labels: { status: r.status, kind: r.kind }, value: r.seconds })),
      "counter",
    ),
    renderGauge(
      "onec_import_rows_total",
      "Rows of successful import runs by entity and outcome (created, updated, unchanged…).",
      rows.rows.map((r) => ({ labels: { entity: r.entity, outcome: r.outcome }, value: r.n })),
      "counter",
    ),
    renderGauge(
      "pgboss_jobs",
      "pg-boss jobs by queue and state (created and retry = queue depth; failed = failures).",
      queues.rows.map((r) => ({ labels: { queue: r.name, state: r.state }, value: r.n })),
    ),
  ];
}

export function metricsRoutes(ctx: AppContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/metrics", async (c) => {
    const families = [
      metrics.exchangeRequests.render(),
      metrics.exchangeSeconds.render(),
      metrics.httpRequests.render(),
      ...await importMetrics(ctx),
      ...await customerMetrics(ctx),
      ...await stockSyncMetrics(ctx),
    ];
    return c.text(families.join("\n\n") + "\n", 200, {
      "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
    });
  });
  return app;
}
