/**
 * Stock sync figures for GET /metrics: runs by marketplace, kind (read or push) and outcome,
 * the records they handled, and the age of the last successful run (the number to alert on).
 */
import type { AppContext } from "../context.ts";
import { renderGauge } from "../metrics/registry.ts";

export async function stockSyncMetrics(ctx: AppContext): Promise<string[]> {
  type Row = {
    source: string;
    kind: string;
    status: string;
    n: number;
    processed: number;
    updated: number;
    skipped: number;
  };
  const runs: { rows: Row[] } = await ctx.pool.query(
    `SELECT source, kind, status, count(*)::int AS n,
       coalesce(sum(records_processed), 0)::float8 AS processed,
       coalesce(sum(records_updated), 0)::float8 AS updated,
       coalesce(sum(records_skipped), 0)::float8 AS skipped
     FROM stock_sync_runs GROUP BY 1, 2, 3`,
  );
  const last: { rows: { source: string; kind: string; age: number }[] } = await ctx.pool.query(
    `SELECT source, kind, extract(epoch FROM now() - max(completed_at))::float8 AS age
     FROM stock_sync_runs WHERE status = 'success' GROUP BY 1, 2`,
  );
  const labels = (r: Row) => ({ source: r.source, kind: r.kind, status: r.status });
  const records = (outcome: "processed" | "updated" | "skipped") =>
    runs.rows.map((r) => ({ labels: { ...labels(r), outcome }, value: r[outcome] }));
  return [
    renderGauge(
      "stock_sync_runs_total",
      "Marketplace stock sync runs by source, kind (read, push) and status.",
      runs.rows.map((r) => ({ labels: labels(r), value: r.n })),
      "counter",
    ),
    renderGauge(
      "stock_sync_records_total",
      "Records handled by stock sync runs, by source, kind, run status and outcome.",
      [...records("processed"), ...records("updated"), ...records("skipped")],
      "counter",
    ),
    renderGauge(
      "stock_sync_last_success_age_seconds",
      "Seconds since the last successful stock sync run of each source and kind.",
      last.rows.map((r) => ({ labels: { source: r.source, kind: r.kind }, value: r.age })),
    ),
  ];
}
