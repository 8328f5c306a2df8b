/**
 * Ozon Seller API: the methods the stock sync uses, with their documented shapes and limits
 * (/work/shared/spec/marketplaces.md §1). Every method is `POST` with a JSON body and the
 * `Client-Id` + `Api-Key` headers. Disabled methods (/v1/warehouse/list,
 * /v1/product/info/stocks-by-warehouse/fbs, /v1/analytics/manage/stocks) are never called.
 */
import * as v from "valibot";
import type { Logger } from "../log.ts";
import type { MarketplacesConfig, OzonConfig } from "./config.ts";
import { MarketplaceHttp } from "./http-client.ts";
import type { OutboundRecorder } from "../integration-log/recording-fetch.ts";
import { MarketplaceProtocolError } from "./errors.ts";
import { type Pace, sharedPacer } from "./pacer.ts";
import { Count, Id, jsonInt, type Parsed, parseRecords, Text } from "./record-schemas.ts";

const Warehouse = v.object({
  warehouse_id: Id,
  name: Text,
  is_rfbs: v.boolean("is_rfbs must be true or false"),
  status: v.optional(v.string()),
});
export type OzonWarehouse = v.InferOutput<typeof Warehouse>;

const WarehouseStock = v.object({
  sku: Id,
  product_id: v.optional(Id),
  offer_id: Text,
  warehouse_id: Id,
  present: Count,
  reserved: Count,
  free_stock: Count,
  updated_at: v.optional(v.pipe(v.string(), v.isoTimestamp())),
});
export type OzonWarehouseStock = v.InferOutput<typeof WarehouseStock>;

const Product = v.object({
  product_id: Id,
  offer_id: Text,
  // "sku (added 2026-07-09)": older answers may lack it; such items have no FBO lookup.
  sku: v.optional(v.nullable(Id)),
  archived: v.optional(v.boolean()),
});
export type OzonProduct = v.InferOutput<typeof Product>;

const FboWarehouse = v.object({ warehouse_id: Id, name: Text });

const FboStock = v.object({
  sku: Id,
  product_id: v.optional(Id),
  offer_id: Text,
  warehouse_id: Id,
  present: Count,
  reserved: Count,
});
export type OzonFboStock = v.InferOutput<typeof FboStock>;

const PushResult = v.object({
  warehouse_id: v.optional(Id),
  product_id: v.optional(Id),
  offer_id: v.optional(v.string()),
  updated: v.boolean(),
  errors: v.optional(
    v.array(v.object({ code: v.optional(v.string(), ""), message: v.optional(v.string(), "") })),
    [],
  ),
});

export interface OzonPushItem {
  offerId: string;
  warehouseId: string;
  stock: number;
}

export interface OzonPushOutcome {
  item: OzonPushItem;
  updated: boolean;
  errors: { code: string; message: string }[];
}

const CursorPage = (field: string) =>
  v.looseObject({
    [field]: v.array(v.unknown()),
    cursor: v.optional(v.nullable(v.string()), ""),
    has_next: v.optional(v.nullable(v.boolean()), false),
  });

/** `/v2/warehouse/list`: "`limit` (required, ≤200)". */
const WAREHOUSE_LIST_LIMIT = 200;
/** stocks-by-warehouse/fbo: "`skus[]`: int64 as strings, ≤1000". */
const FBO_SKUS_PER_CALL = 1000;
/** `/v2/products/stocks`: "Up to 100 product–warehouse pairs per request". */
export const OZON_PUSH_BATCH = 100;

export class OzonClient {
  readonly account: string;
  readonly #http: MarketplaceHttp;
  readonly #base: string;
  readonly #pageSize: number;
  /** "at most 50 requests per second per Client-Id, across all methods". */
  readonly #global: Pace;
  /** `/v2/products/stocks`: "80 requests per minute per seller account". */
  readonly #push: Pace;

  constructor(
    cfg: OzonConfig,
    settings: MarketplacesConfig,
    log: Logger,
    signal?: AbortSignal,
    /** Records every call in the integration log. */
    record?: OutboundRecorder,
  ) {
    this.account = cfg.clientId;
    this.#base = cfg.baseUrl;
    this.#pageSize = settings.ozonPageSize;
    this.#global = { key: `ozon:${cfg.clientId}:global`, intervalMs: 20, burst: 10 };
    this.#push = { key: `ozon:${cfg.clientId}:stocks-push`, intervalMs: 750, burst: 1 };
    this.#http = new MarketplaceHttp({
      label: "Ozon",
      headers: { "Client-Id": cfg.clientId, "Api-Key": cfg.apiKey },
      secrets: [cfg.apiKey],
      authHint: "OZON_CLIENT_ID / OZON_API_KEY, and the key's role",
      settings: settings.http,
      pacer: sharedPacer(settings.http.pacingScale),
      log,
      signal,
      record,
    });
  }

  async #post(path: string, body: unknown, pace: Pace[] = [this.#global]): Promise<unknown> {
    const r = await this.#http.call({ method: "POST", url: this.#base + path, body, pace });
    return r.body;
  }

  /**
   * Walks a `has_next` + `cursor` method: "`cursor`: Если параметр пустой, данных больше нет
   * (if it is empty, there is no more data)"; "`has_next`: true means repeat the call with
   * the returned `cursor`".
   */
  async *#cursorPages<T>(
    path: string,
    field: string,
    body: (cursor: string) => unknown,
    record: v.GenericSchema<unknown, T>,
  ): AsyncGenerator<Parsed<T>> {
    let cursor = "";
    for (;;) {
      const raw = await this.#post(path, body(cursor));
      const page = v.safeParse(CursorPage(field), raw);
      if (!page.success) {
        throw new MarketplaceProtocolError(`Ozon ${path}: the answer has no ${field}[] list`);
      }
      yield parseRecords(record, page.output[field] as unknown[]);
      const next = (page.output.cursor as string | null | undefined) ?? "";
      if (!page.output.has_next || next === "") return;
      if (next === cursor) {
        throw new MarketplaceProtocolError(`Ozon ${path}: has_next with the same cursor again`);
      }
      cursor = next;
    }
  }

  /** FBS and rFBS warehouses; `is_rfbs` tells realFBS (seller delivers) from FBS. */
  warehouses(): AsyncGenerator<Parsed<OzonWarehouse>> {
    return this.#cursorPages(
      "/v2/warehouse/list",
      "warehouses",
      (cursor) => ({ limit: Math.min(WAREHOUSE_LIST_LIMIT, this.#pageSize), cursor }),
      Warehouse,
    );
  }

  /** "every item on one FBS/rFBS warehouse … it needs no SKU list". */
  warehouseStocks(warehouseId: string): AsyncGenerator<Parsed<OzonWarehouseStock>> {
    return this.#cursorPages(
      "/v1/product/info/warehouse/stocks",
      "stocks",
      (cursor) => ({ warehouse_id: jsonInt(warehouseId), limit: this.#pageSize, cursor }),
      WarehouseStock,
    );
  }

  /** The catalogue: `last_id` paging, "Stop when `items.length < limit` or `last_id` is empty". */
  async *products(): AsyncGenerator<Parsed<OzonProduct>> {
    const Page = v.object({
      result: v.looseObject({
        items: v.array(v.unknown()),
        last_id: v.optional(v.nullable(v.string()), ""),
      }),
    });
    let lastId = "";
    for (;;) {
      const raw = await this.#post("/v3/product/list", {
        filter: { visibility: "ALL" },
        last_id: lastId,
        limit: this.#pageSize,
      });
      const page = v.safeParse(Page, raw);
      if (!page.success) {
        throw new MarketplaceProtocolError("Ozon /v3/product/list: the answer has no result.items");
      }
      const { items, last_id } = page.output.result;
      yield parseRecords(Product, items);
      const next = last_id ?? "";
      if (items.length < this.#pageSize || next === "") return;
      if (next === lastId) {
        throw new MarketplaceProtocolError("Ozon /v3/product/list: the same last_id again");
      }
      lastId = next;
    }
  }

  /** Names of Ozon's own (FBO) warehouses; the FBO stock method gives ids only. */
  async fboWarehouses(): Promise<Parsed<{ warehouse_id: string; name: string }>> {
    const raw = await this.#post("/v1/warehouse/ozon/list", {});
    const page = v.safeParse(v.looseObject({ warehouses: v.array(v.unknown()) }), raw);
    if (!page.success) {
      throw new MarketplaceProtocolError("Ozon /v1/warehouse/ozon/list: no warehouses[] list");
    }
    return parseRecords(FboWarehouse, page.output.warehouses);
  }

  /** FBO stock per Ozon warehouse for these SKUs ("Передайте в запросе offer_ids или skus"). */
  async *fboStocks(skus: string[]): AsyncGenerator<Parsed<OzonFboStock>> {
    const perCall = Math.min(FBO_SKUS_PER_CALL, this.#pageSize);
    for (let i = 0; i < skus.length; i += perCall) {
      const chunk = skus.slice(i, i + perCall);
      yield* this.#cursorPages(
        "/v1/product/info/stocks-by-warehouse/fbo",
        "products",
        // Plural field names here, unlike the FBS v2 method (`sku`, `offer_id`).
        (cursor) => ({ skus: chunk, limit: this.#pageSize, cursor }),
        FboStock,
      );
    }
  }

  /**
   * `POST /v2/products/stocks`, ≤100 pairs. "The HTTP status stays 200 even when every item
   * fails": each pair's outcome is read from `result[]`.
   */
  async pushStocks(items: OzonPushItem[]): Promise<OzonPushOutcome[]> {
    if (items.length > OZON_PUSH_BATCH) throw new Error("at most 100 pairs per call");
    const raw = await this.#post(
      "/v2/products/stocks",
      {
        stocks: items.map((i) => ({
          offer_id: i.offerId,
          stock: i.stock,
          warehouse_id: jsonInt(i.warehouseId),
        })),
      },
      [this.#push, this.#global],
    );
    const page = v.safeParse(v.object({ result: v.array(v.unknown()) }), raw);
    if (!page.success) {
      throw new MarketplaceProtocolError("Ozon /v2/products/stocks: the answer has no result[]");
    }
    const results = page.output.result.map((r) => v.safeParse(PushResult, r));
    // "one entry per input": matched by position, checked against the echoed offer_id.
    return items.map((item, i) => {
      const r = results[i] ??
        results.find((x) => x.success && x.output.offer_id === item.offerId);
      if (!r || !r.success) {
        return {
          item,
          updated: false,
          errors: [{ code: "UNREADABLE_RESULT", message: "no readable result for this pair" }],
        };
      }
      const errors = r.output.errors.map((e) => ({ code: e.code, message: e.message }));
      if (!r.output.updated && errors.length === 0) {
        errors.push({ code: "NOT_UPDATED", message: "updated: false without a reason" });
      }
      return { item, updated: r.output.updated && errors.length === 0, errors };
    });
  }
}
