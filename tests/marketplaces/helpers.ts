/**
 * Shared pieces of the marketplace tests: the environment that points the service at the
 * fakes (with tiny retry delays and no client-side pacing), catalog seeding, and waiting for
 * a run through the API the way a client would.
 */
import assert from "node:assert/strict";
import type { Harness } from "../helpers/harness.ts";
import type { OzonFake } from "./fakes/ozon-fake.ts";
import type { WildberriesFake } from "./fakes/wildberries-fake.ts";

export const ADMIN = "dev-admin-token";
export const READER = "dev-reader-token";

export function marketplaceEnv(opts: {
  ozon?: OzonFake;
  wb?: WildberriesFake;
  webhookUrl?: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    MARKETPLACE_RETRY_BASE_MS: "20",
    MARKETPLACE_PACING_SCALE: "0",
    MARKETPLACE_HTTP_TIMEOUT_MS: "5000",
    ...(opts.ozon
      ? {
        OZON_CLIENT_ID: opts.ozon.clientId,
        OZON_API_KEY: opts.ozon.apiKey,
        OZON_BASE_URL: opts.ozon.url,
      }
      : {}),
    ...(opts.wb
      ? {
        WB_TOKEN: opts.wb.token,
        WB_MARKETPLACE_BASE_URL: opts.wb.url,
        WB_ANALYTICS_BASE_URL: opts.wb.url,
        WB_CONTENT_BASE_URL: opts.wb.url,
      }
      : {}),
    ...(opts.webhookUrl ? { ALERT_WEBHOOK_URL: opts.webhookUrl } : {}),
    ...opts.extra,
  };
}

export async function api(
  h: Harness,
  method: string,
  path: string,
  body?: unknown,
  token = ADMIN,
): Promise<Response> {
  return await h.app.request(path, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export interface RunBody {
  id: number;
  source: string;
  kind: string;
  trigger: string;
  status: string;
  recordsProcessed: number;
  recordsUpdated: number;
  recordsSkipped: number;
  errorMessage: string | null;
  anomaly: string | null;
  itemErrors: { key: string; code: string; message: string }[];
  startedAt: string;
  completedAt: string | null;
  durationSeconds: number | null;
}

/** Polls GET /stock-syncs/{id} until the run is no longer running. */
export async function waitForRun(h: Harness, id: number, timeoutMs = 30_000): Promise<RunBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api(h, "GET", `/api/v1/stock-syncs/${id}`, undefined, READER);
    assert.equal(res.status, 200);
    const run: RunBody = await res.json();
    if (run.status !== "running") return run;
    if (Date.now() > deadline) throw new Error(`run ${id} still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** POST /stock-syncs and wait for the run to finish. */
export async function syncNow(
  h: Harness,
  source: "ozon" | "wildberries",
  kind: "read" | "push" = "read",
): Promise<RunBody> {
  const res = await api(h, "POST", "/api/v1/stock-syncs", { source, kind });
  assert.equal(res.status, 202, await res.clone().text());
  const started: RunBody = await res.json();
  return await waitForRun(h, started.id);
}

export interface InventoryBody {
  source: string;
  account: string;
  sku: string | null;
  offerId: string | null;
  nmId: string | null;
  chrtId: string | null;
  productOnecId: string | null;
  offerOnecId: string | null;
  warehouseId: string;
  warehouseName: string | null;
  stockType: string;
  present: number;
  reserved: number | null;
  available: number;
  snapshotDate: string;
  lastSyncAt: string;
}

/** Every inventory item matching the query, following nextCursor. */
export async function allInventory(h: Harness, query = ""): Promise<InventoryBody[]> {
  const items: InventoryBody[] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams(query);
    params.set("limit", "1000");
    if (cursor) params.set("cursor", cursor);
    const res = await api(h, "GET", `/api/v1/inventory?${params}`, undefined, READER);
    assert.equal(res.status, 200, await res.clone().text());
    const page: { items: InventoryBody[]; nextCursor: string | null } = await res.json();
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** Catalog rows the way the 1C import leaves them (only the columns that matter here). */
export async function seedCatalog(
  h: Harness,
  products: {
    onecId: string;
    sku: string | null;
    barcode?: string;
    offers: (string | { onecId: string; sku?: string; barcode?: string })[];
  }[],
): Promise<void> {
  for (let i = 0; i < products.length; i += 1000) {
    const batch = products.slice(i, i + 1000);
    await h.ctx.db.insertInto("products").values(batch.map((p) => ({
      onec_id: p.onecId,
      sku: p.sku,
      barcode: p.barcode ?? null,
      name: p.onecId,
      hash: "h",
      group_ids: [],
      images: [],
      property_values: "[]",
      requisites: "{}",
      characteristics: "{}",
    }))).execute();
    const offers = batch.flatMap((p) =>
      p.offers.map((o) => {
        const offer = typeof o === "string" ? { onecId: o } : o;
        return {
          onec_id: offer.onecId,
          product_id: p.onecId,
          sku: offer.sku ?? null,
          barcode: offer.barcode ?? null,
          hash: "h",
          characteristics: "{}",
        };
      })
    );
    if (offers.length) await h.ctx.db.insertInto("offers").values(offers).execute();
  }
}

/** 1C stock per (offer, 1C warehouse), replacing what was there — as a rests import does. */
export async function setOnecStock(
  h: Harness,
  rows: { offer: string; warehouse: string; quantity: number }[],
): Promise<void> {
  for (const r of rows) {
    await h.ctx.db.insertInto("stocks").values({
      offer_id: r.offer,
      warehouse_id: r.warehouse,
      quantity: r.quantity,
    }).onConflict((oc) =>
      oc.columns(["offer_id", "warehouse_id"]).doUpdateSet({ quantity: r.quantity })
    ).execute();
  }
}
