/**
 * The hook the catalog import worker calls after each 1C stock import: "A push runs after
 * each 1C stock import". A no-op when no marketplace is configured or none has a warehouse
 * mapping (there is nowhere to push to).
 */
import type { AppContext } from "../context.ts";
import type { MarketplaceSource } from "../../db/schema-marketplaces.ts";
import { isConfigured, SOURCES } from "./health.ts";
import { enqueuePushAfterImport } from "./sync-jobs.ts";

export async function enqueueStockPushAfterImport(ctx: AppContext): Promise<void> {
  const configured = SOURCES.filter((s) => isConfigured(ctx, s));
  if (configured.length === 0) return;
  const mapped = await ctx.db.selectFrom("marketplace_warehouse_mappings")
    .select("source").distinct().where("source", "in", configured).execute();
  if (mapped.length === 0) return;
  await enqueuePushAfterImport(ctx, mapped.map((m) => m.source as MarketplaceSource));
}
