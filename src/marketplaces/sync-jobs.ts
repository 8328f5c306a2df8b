/**
 * Putting stock sync runs on the queue: scheduled ones (one job per cron slot, whatever the
 * number of instances), manual ones (the run row first, so its id can be answered), and the
 * push that follows a 1C stock import.
 */
import type { AppContext } from "../context.ts";
import type { MarketplaceSource, SyncKind, SyncTrigger } from "../../db/schema-marketplaces.ts";
import { MARKETPLACE_QUEUES, type StockSyncJobData } from "./queues.ts";
import { createManualRun, failRun, runningRunId } from "./sync-runs.ts";

const QUEUE = MARKETPLACE_QUEUES.stockSync.name;

/**
 * The same UUID in every instance for one source, kind and slot: pg-boss inserts jobs with
 * `ON CONFLICT DO NOTHING` on their id, so the second and third instance's sends are no-ops.
 */
export async function slotJobId(source: string, kind: string, slotIso: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest(
      "SHA-256",
      new TextEncoder().encode(`stock-sync:${source}:${kind}:${slotIso}`),
    ),
  ).slice(0, 16);
  // RFC 9562 version 8 (custom) with the RFC variant bits.
  digest[6] = (digest[6] & 0x0f) | 0x80;
  digest[8] = (digest[8] & 0x3f) | 0x80;
  const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}

/** Returns the job id, or null when another instance already enqueued this slot's job. */
export async function enqueueScheduled(
  ctx: AppContext,
  source: MarketplaceSource,
  kind: SyncKind,
  slot: Date,
): Promise<string | null> {
  const slotIso = slot.toISOString();
  const data: StockSyncJobData = { source, kind, trigger: "schedule", slot: slotIso };
  return await ctx.boss.send(QUEUE, data, {
    id: await slotJobId(source, kind, slotIso),
    singletonKey: `${source}:${kind}:${slotIso}`,
  });
}

export type StartResult =
  | { ok: true; runId: string }
  | { ok: false; runningRunId: string | null };

/** A run now: 409-style refusal while one of the same source and kind runs. */
export async function startRunNow(
  ctx: AppContext,
  source: MarketplaceSource,
  kind: SyncKind,
  trigger: SyncTrigger = "manual",
): Promise<StartResult> {
  const jobId = crypto.randomUUID();
  const runId = await createManualRun(ctx, source, kind, jobId, trigger);
  if (runId === null) {
    return { ok: false, runningRunId: await runningRunId(ctx.db, source, kind) };
  }
  const data: StockSyncJobData = { source, kind, trigger, runId };
  try {
    await ctx.boss.send(QUEUE, data, { id: jobId });
  } catch (err) {
    await failRun(ctx.db, runId, `could not enqueue the run: ${(err as Error).message}`);
    throw err;
  }
  return { ok: true, runId };
}

/**
 * After a 1C stock import: a push per configured source that has warehouse mappings.
 * Debounced: a burst of imports (split exchanges send several rests files) folds into one
 * push now and at most one more after the debounce window, which reads the final stock.
 */
export async function enqueuePushAfterImport(
  ctx: AppContext,
  sources: MarketplaceSource[],
): Promise<void> {
  for (const source of sources) {
    const data: StockSyncJobData = { source, kind: "push", trigger: "import" };
    await ctx.boss.sendDebounced(
      QUEUE,
      data,
      null,
      ctx.config.marketplaces.pushDebounceSeconds,
      `${source}:push:import`,
    );
  }
}
