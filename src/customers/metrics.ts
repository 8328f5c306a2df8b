/**
 * Customer sync figures for GET /metrics: export outcomes to the 1C HTTP service (from the
 * sync log, so they are the same on every instance) and where customers stand now.
 */
import type { AppContext } from "../context.ts";
import { renderGauge } from "../metrics/registry.ts";

export async function customerMetrics(ctx: AppContext): Promise<string[]> {
  const outcomes: { rows: { operation: string; status: string; n: number }[] } = await ctx.pool
    .query(
      `SELECT operation, status, count(*)::int AS n FROM customer_sync_log GROUP BY 1, 2`,
    );
  const states: { rows: { status: string; n: number }[] } = await ctx.pool.query(
    `SELECT sync_status AS status, count(*)::int AS n FROM customers GROUP BY 1`,
  );
  const dead: { rows: { n: number }[] } = await ctx.pool.query(
    `SELECT count(*)::int AS n FROM customers WHERE export_dead_lettered_at IS NOT NULL`,
  );
  return [
    renderGauge(
      "customer_sync_outcomes_total",
      "Customer sync attempts by operation (export_to_1c, import_from_1c…) and outcome.",
      outcomes.rows.map((r) => ({
        labels: { operation: r.operation, status: r.status },
        value: r.n,
      })),
      "counter",
    ),
    renderGauge(
      "customers",
      "Customers by sync status (pending exports, synced, error, conflict).",
      states.rows.map((r) => ({ labels: { sync_status: r.status }, value: r.n })),
    ),
    renderGauge(
      "customer_exports_dead_lettered",
      "Customers whose export to 1C exhausted its retries and waits for a manual retry.",
      [{ value: dead.rows[0]?.n ?? 0 }],
    ),
  ];
}
