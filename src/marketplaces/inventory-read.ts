/**
 * An inventory read run: everything the marketplace reports goes to staging page by page,
 * then the totals are checked against the previous read and, unless they look like an
 * anomaly, the inventory is replaced by what was read.
 */
import type { AppContext } from "../context.ts";
import type { MarketplaceSource } from "../../db/schema-marketplaces.ts";
import { OzonClient } from "./ozon.ts";
import { WildberriesClient } from "./wildberries.ts";
import { readOzon } from "./read-ozon.ts";
import { readWildberries } from "./read-wildberries.ts";
import { ReadSink } from "./read-sink.ts";
import { applyInventory, discardStaging, stagedTotals } from "./inventory-apply.ts";
import { detectAnomaly } from "./anomalies.ts";
import type { RunResult } from "./sync-runs.ts";
import { outboundRecorder } from "../integration-log/recording-fetch.ts";

export async function readInventory(
  ctx: AppContext,
  source: MarketplaceSource,
  runId: string,
  signal?: AbortSignal,
): Promise<RunResult> {
  const cfg = ctx.config.marketplaces;
  const log = ctx.log.child({ source, runId, kind: "read" });
  // Every call of the run is a row of the integration log (issue 7).
  const record = outboundRecorder(ctx, source, { ref: `stock-sync run ${runId}` });
  const startedAt = new Date();
  let sink: ReadSink;
  if (source === "ozon") {
    const client = new OzonClient(cfg.ozon!, cfg, log, signal, record);
    sink = new ReadSink(ctx.db, { id: runId, source, account: client.account });
    await sink.reset();
    await readOzon(client, sink, log);
  } else {
    const client = new WildberriesClient(cfg.wildberries!, cfg, log, signal, record);
    sink = new ReadSink(ctx.db, { id: runId, source, account: client.account });
    await sink.reset();
    await readWildberries(client, sink);
  }
  await sink.flush();

  const totals = await stagedTotals(ctx.db, runId);
  // The baseline for the next read, recorded whether or not this one is applied.
  await ctx.db.updateTable("stock_sync_runs")
    .set({ row_count: totals.rows, total_available: totals.available })
    .where("id", "=", runId).execute();

  const skippedNote = sink.skipped > 0
    ? `${sink.skipped} invalid record(s) skipped (first: ${sink.notes[0]?.key}: ${
      sink.notes[0]?.message
    })`
    : null;
  const anomaly = await detectAnomaly(ctx.db, source, runId, totals, {
    dropShare: cfg.anomalyDropShare,
    minRows: cfg.anomalyMinRows,
  });
  if (anomaly) {
    await discardStaging(ctx.db, runId);
    log.warn({ anomaly }, "stock sync anomaly: inventory left as it was");
    return {
      status: "partial",
      processed: sink.processed,
      updated: 0,
      skipped: sink.skipped,
      errorMessage: [`anomaly: ${anomaly}; the inventory was left as it was`, skippedNote]
        .filter(Boolean).join("; "),
      anomaly,
      itemErrors: sink.notes,
    };
  }

  const updated = await applyInventory(ctx.db, {
    runId,
    source,
    account: sink.run.account,
    startedAt,
    listingsComplete: sink.listingsComplete,
  });
  log.info(
    { processed: sink.processed, updated, skipped: sink.skipped, rows: totals.rows },
    "inventory read",
  );
  return {
    status: sink.skipped > 0 ? "partial" : "success",
    processed: sink.processed,
    updated,
    skipped: sink.skipped,
    errorMessage: skippedNote,
    anomaly: null,
    itemErrors: sink.notes,
  };
}
