/**
 * Runs one claimed sync run to its end and records the outcome on its row. A marketplace
 * error fails the run (it is not rethrown: pg-boss must not retry a refused key, and a
 * scheduled run is retried by the next slot anyway); an alert goes out for failures and
 * anomalies. Only a shutdown abort is rethrown, so pg-boss hands the job to another worker,
 * which resumes the same run.
 */
import type { AppContext } from "../context.ts";
import type { MarketplaceSource, SyncKind } from "../../db/schema-marketplaces.ts";
import { MarketplaceApiError, MarketplaceAuthError, MarketplaceProtocolError } from "./errors.ts";
import { readInventory } from "./inventory-read.ts";
import { discardStaging } from "./inventory-apply.ts";
import { pushStock } from "./stock-push.ts";
import { failedResult, finishRun, type RunResult } from "./sync-runs.ts";
import { sendAlert } from "./alerts.ts";

export async function executeRun(
  ctx: AppContext,
  source: MarketplaceSource,
  kind: SyncKind,
  runId: string,
  signal?: AbortSignal,
): Promise<RunResult> {
  const log = ctx.log.child({ source, kind, runId });
  log.info("stock sync run started");
  let result: RunResult;
  try {
    result = kind === "read"
      ? await readInventory(ctx, source, runId, signal)
      : await pushStock(ctx, source, runId, signal);
  } catch (err) {
    if (signal?.aborted) throw err;
    const known = err instanceof MarketplaceAuthError || err instanceof MarketplaceApiError ||
      err instanceof MarketplaceProtocolError;
    const message = known ? (err as Error).message : `internal error: ${(err as Error).message}`;
    log.error(
      { err: message, ...(known ? {} : { stack: (err as Error).stack }) },
      "stock sync run failed",
    );
    if (kind === "read") await discardStaging(ctx.db, runId);
    result = failedResult(message);
  }
  await finishRun(ctx.db, runId, result);
  log.info({ status: result.status }, "stock sync run finished");
  if (result.status === "failed") {
    await sendAlert(ctx, { source, kind: "failed", runId, message: result.errorMessage ?? "" });
  }
  if (result.anomaly) {
    await sendAlert(ctx, { source, kind: "anomaly", runId, message: result.anomaly });
  }
  return result;
}
