/**
 * Per-source health of the stock sync: last successful read, staleness ("older than two
 * intervals"), success rate over 24 h, last error, an outstanding anomaly. Also the stale
 * check behind the "source goes stale" alert.
 */
import { sql } from "kysely";
import type { AppContext } from "../context.ts";
import type { MarketplaceSource } from "../../db/schema-marketplaces.ts";
import { sendAlert } from "./alerts.ts";

export const SOURCES: MarketplaceSource[] = ["ozon", "wildberries"];

export interface SourceHealth {
  source: MarketplaceSource;
  configured: boolean;
  /** The last read whose stock was applied (success or partial, not held back). */
  lastSuccessAt: string | null;
  stale: boolean;
  /** Share of the runs finished in the last 24 h that succeeded (fully or partly). */
  successRate24h: number | null;
  lastError: { runId: number; message: string | null; at: string } | null;
  /** The latest read was held back as an anomaly; cleared by the next applied read. */
  anomaly: { runId: number; message: string; at: string } | null;
  lastPushAt: string | null;
  /** Runs going on now. */
  running: { runId: number; kind: "read" | "push" }[];
}

export function isConfigured(ctx: AppContext, source: MarketplaceSource): boolean {
  const cfg = ctx.config.marketplaces;
  return source === "ozon" ? cfg.ozon !== null : cfg.wildberries !== null;
}

export async function sourceHealth(
  ctx: AppContext,
  source: MarketplaceSource,
): Promise<SourceHealth> {
  const db = ctx.db;
  const iso = (d: Date | null | undefined) => d ? new Date(d).toISOString() : null;
  const lastSuccess = await db.selectFrom("stock_sync_runs").select(["completed_at"])
    .where("source", "=", source).where("kind", "=", "read")
    .where("status", "in", ["success", "partial"]).where("anomaly", "is", null)
    .orderBy("completed_at", "desc").executeTakeFirst();
  const lastRead = await db.selectFrom("stock_sync_runs")
    .select(["id", "anomaly", "completed_at"])
    .where("source", "=", source).where("kind", "=", "read")
    .where("status", "in", ["success", "partial"])
    .orderBy("completed_at", "desc").orderBy("id", "desc").executeTakeFirst();
  const lastFailure = await db.selectFrom("stock_sync_runs")
    .select(["id", "error_message", "completed_at"])
    .where("source", "=", source).where("status", "=", "failed")
    .orderBy("completed_at", "desc").orderBy("id", "desc").executeTakeFirst();
  const lastPush = await db.selectFrom("stock_sync_runs").select(["completed_at"])
    .where("source", "=", source).where("kind", "=", "push")
    .where("status", "in", ["success", "partial"])
    .orderBy("completed_at", "desc").executeTakeFirst();
  const rate = await sql<{ finished: string; ok: string }>`
    SELECT count(*) AS finished,
      count(*) FILTER (WHERE status IN ('success', 'partial')) AS ok
    FROM stock_sync_runs
    WHERE source = ${source} AND status <> 'running'
      AND completed_at > now() - interval '24 hours'`.execute(db);
  const running = await db.selectFrom("stock_sync_runs").select(["id", "kind"])
    .where("source", "=", source).where("status", "=", "running").orderBy("id").execute();

  const staleAfterMs = 2 * ctx.config.marketplaces.intervalSeconds * 1000;
  const configured = isConfigured(ctx, source);
  const lastOk = lastSuccess?.completed_at ? new Date(lastSuccess.completed_at) : null;
  const finished = Number(rate.rows[0].finished);
  return {
    source,
    configured,
    lastSuccessAt: iso(lastOk),
    stale: configured && (lastOk === null || Date.now() - lastOk.getTime() > staleAfterMs),
    successRate24h: finished === 0 ? null : Number(rate.rows[0].ok) / finished,
    lastError: lastFailure
      ? {
        runId: Number(lastFailure.id),
        message: lastFailure.error_message,
        at: iso(lastFailure.completed_at)!,
      }
      : null,
    anomaly: lastRead?.anomaly
      ? { runId: Number(lastRead.id), message: lastRead.anomaly, at: iso(lastRead.completed_at)! }
      : null,
    lastPushAt: iso(lastPush?.completed_at),
    running: running.map((r) => ({ runId: Number(r.id), kind: r.kind })),
  };
}

/**
 * Alerts for configured sources without a successful read for two intervals. A source that
 * has never finished a run is left alone: right after deployment nothing has had a chance.
 */
export async function checkStaleSources(ctx: AppContext): Promise<void> {
  for (const source of SOURCES) {
    if (!isConfigured(ctx, source)) continue;
    const h = await sourceHealth(ctx, source);
    if (!h.stale) continue;
    const anyFinished = await ctx.db.selectFrom("stock_sync_runs").select("id")
      .where("source", "=", source).where("status", "<>", "running").executeTakeFirst();
    if (!anyFinished) continue;
    await sendAlert(ctx, {
      source,
      kind: "stale",
      message: h.lastSuccessAt
        ? `last successful stock read at ${h.lastSuccessAt}, more than two sync intervals ago`
        : "no stock read has succeeded yet",
      runId: null,
    });
  }
}
