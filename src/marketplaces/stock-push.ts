/**
 * A stock push run: sends the pairs whose quantity changed since the last push and reads
 * back what each marketplace accepted. Rejected pairs are reported per item and stay
 * "changed", so the next push tries them again.
 */
import type { AppContext } from "../context.ts";
import type { MarketplaceSource, SyncItemError } from "../../db/schema-marketplaces.ts";
import { MarketplaceApiError, MarketplaceProtocolError } from "./errors.ts";
import { sleep } from "./http-client.ts";
import { OZON_PUSH_BATCH, OzonClient } from "./ozon.ts";
import { WB_MAX_AMOUNT, WB_PUSH_BATCH, WildberriesClient } from "./wildberries.ts";
import { planPush, type PushPair, recordPushed } from "./push-plan.ts";
import type { RunResult } from "./sync-runs.ts";
import { outboundRecorder } from "../integration-log/recording-fetch.ts";

/** `/v2/products/stocks`: "Each pair may be updated once per 30 s". */
const OZON_PAIR_INTERVAL_MS = 30_000;

interface Tally {
  updated: number;
  errors: SyncItemError[];
  /** Batches refused as a whole (HTTP errors), to tell "all failed" from "some items". */
  failedCalls: number;
  calls: number;
}

export async function pushStock(
  ctx: AppContext,
  source: MarketplaceSource,
  runId: string,
  signal?: AbortSignal,
): Promise<RunResult> {
  const cfg = ctx.config.marketplaces;
  const log = ctx.log.child({ source, runId, kind: "push" });
  // Every call of the run is a row of the integration log (issue 7).
  const record = outboundRecorder(ctx, source, { ref: `stock-sync run ${runId}` });
  const account = source === "ozon" ? cfg.ozon!.clientId : cfg.wildberries!.account;
  const plan = await planPush(ctx.db, source, account);
  const changed = plan.pairs.filter((p) => p.quantity !== p.lastQuantity);
  const tally: Tally = { updated: 0, errors: [], failedCalls: 0, calls: 0 };
  for (const u of plan.unmapped) {
    tally.errors.push({
      key: `warehouse ${u.warehouseId} / 1C offer ${u.offerOnecId}`,
      code: "UNMAPPED",
      message: "no marketplace item matches this 1C offer's article; add an article mapping",
    });
  }

  if (source === "ozon") {
    const client = new OzonClient(cfg.ozon!, cfg, log, signal, record);
    await pushOzon(ctx, client, changed, tally, signal);
  } else {
    const client = new WildberriesClient(cfg.wildberries!, cfg, log, signal, record);
    await pushWildberries(ctx, client, changed, tally);
  }

  const skipped = tally.errors.length;
  log.info(
    { pairs: plan.pairs.length, changed: changed.length, updated: tally.updated, skipped },
    "stock push",
  );
  const allRefused = tally.calls > 0 && tally.failedCalls === tally.calls;
  return {
    status: allRefused ? "failed" : skipped > 0 ? "partial" : "success",
    processed: plan.pairs.length + plan.unmapped.length,
    updated: tally.updated,
    skipped,
    errorMessage: skipped > 0
      ? `${skipped} pair(s) not updated (first: ${tally.errors[0].key}: ${tally.errors[0].code} ${
        tally.errors[0].message
      })`
      : null,
    anomaly: null,
    itemErrors: tally.errors,
  };
}

async function pushOzon(
  ctx: AppContext,
  client: OzonClient,
  changed: PushPair[],
  tally: Tally,
  signal?: AbortSignal,
): Promise<void> {
  const now = Date.now();
  const recent = (p: PushPair) =>
    p.lastPushedAt !== null && now - p.lastPushedAt.getTime() < OZON_PAIR_INTERVAL_MS;
  // Pairs set less than 30 s ago would only earn TOO_MANY_REQUESTS: they go last, after the
  // wait has passed.
  const ready = changed.filter((p) => !recent(p));
  const held = changed.filter(recent);
  await sendOzon(ctx, client, ready, tally);
  if (held.length > 0) {
    const waitMs = Math.max(
      ...held.map((p) => p.lastPushedAt!.getTime() + OZON_PAIR_INTERVAL_MS - Date.now()),
    );
    await sleep(waitMs, signal);
    await sendOzon(ctx, client, held, tally);
  }
}

async function sendOzon(
  ctx: AppContext,
  client: OzonClient,
  pairs: PushPair[],
  tally: Tally,
): Promise<void> {
  for (let i = 0; i < pairs.length; i += OZON_PUSH_BATCH) {
    const batch = pairs.slice(i, i + OZON_PUSH_BATCH);
    tally.calls++;
    try {
      const outcomes = await client.pushStocks(batch.map((p) => ({
        offerId: p.itemKey,
        warehouseId: p.warehouseId,
        stock: p.quantity,
      })));
      const accepted: PushPair[] = [];
      outcomes.forEach((o, j) => {
        if (o.updated) accepted.push(batch[j]);
        else {
          for (const e of o.errors) {
            tally.errors.push({
              key: `warehouse ${o.item.warehouseId} / offer ${o.item.offerId}`,
              code: e.code,
              message: e.message,
            });
          }
        }
      });
      await recordPushed(ctx.db, "ozon", client.account, accepted);
      tally.updated += accepted.length;
    } catch (err) {
      if (!(err instanceof MarketplaceApiError || err instanceof MarketplaceProtocolError)) {
        throw err;
      }
      tally.failedCalls++;
      for (const p of batch) {
        tally.errors.push({
          key: `warehouse ${p.warehouseId} / offer ${p.itemKey}`,
          code: err instanceof MarketplaceApiError && err.status ? `HTTP_${err.status}` : "ERROR",
          message: err.message,
        });
      }
    }
  }
}

async function pushWildberries(
  ctx: AppContext,
  client: WildberriesClient,
  changed: PushPair[],
  tally: Tally,
): Promise<void> {
  const byWarehouse = Map.groupBy(changed, (p) => p.warehouseId);
  for (const [warehouseId, pairs] of byWarehouse) {
    for (let i = 0; i < pairs.length; i += WB_PUSH_BATCH) {
      await sendWildberriesBatch(
        ctx,
        client,
        warehouseId,
        pairs.slice(i, i + WB_PUSH_BATCH),
        tally,
      );
    }
  }
}

/**
 * One PUT. A 409 names the offending chrtIds and rejects the whole request ("The whole
 * request fails or succeeds together"), so the rest is sent once more without them.
 */
async function sendWildberriesBatch(
  ctx: AppContext,
  client: WildberriesClient,
  warehouseId: string,
  batch: PushPair[],
  tally: Tally,
): Promise<void> {
  const key = (chrtId: string) => `warehouse ${warehouseId} / chrtId ${chrtId}`;
  let pending = batch;
  for (let attempt = 0; attempt < 2 && pending.length > 0; attempt++) {
    tally.calls++;
    let outcome;
    try {
      outcome = await client.pushStocks(
        warehouseId,
        // "amount (0..100000)": more is an UploadDataLimit conflict for the whole request.
        pending.map((p) => ({ chrtId: p.itemKey, amount: Math.min(p.quantity, WB_MAX_AMOUNT) })),
      );
    } catch (err) {
      if (!(err instanceof MarketplaceApiError)) throw err;
      tally.failedCalls++;
      for (const p of pending) {
        tally.errors.push({
          key: key(p.itemKey),
          code: err.status ? `HTTP_${err.status}` : "ERROR",
          message: err.message,
        });
      }
      return;
    }
    if (outcome.ok) {
      await recordPushed(ctx.db, "wildberries", client.account, pending);
      tally.updated += pending.length;
      return;
    }
    const named = new Set(outcome.errors.flatMap((e) => e.chrtIds));
    const general = outcome.errors.filter((e) => e.chrtIds.length === 0);
    if (general.length > 0 || named.size === 0 || attempt === 1) {
      // StoreIsProcessing and the like: nothing in this request was taken.
      tally.failedCalls++;
      const why = general[0] ?? outcome.errors[0] ??
        { code: "Conflict", message: "409", chrtIds: [] };
      for (const p of pending) {
        const own = outcome.errors.find((e) => e.chrtIds.includes(p.itemKey)) ?? why;
        tally.errors.push({ key: key(p.itemKey), code: own.code, message: own.message });
      }
      return;
    }
    for (const e of outcome.errors) {
      for (const chrtId of e.chrtIds) {
        tally.errors.push({ key: key(chrtId), code: e.code, message: e.message });
      }
    }
    pending = pending.filter((p) => !named.has(p.itemKey));
  }
}
