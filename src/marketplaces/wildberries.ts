/**
 * Wildberries API: the methods the stock sync uses (/work/shared/spec/marketplaces.md §2).
 * One host per token category (Marketplace, Analytics, Content), each with its own base URL.
 * Never called: statistics `/api/v1/supplier/stocks` (DISABLED, 404 since July 2026) and the
 * `sku` (barcode) keys of `/api/v3/stocks` (DISABLED 2026-02-09).
 */
import * as v from "valibot";
import type { Logger } from "../log.ts";
import type { MarketplacesConfig, WildberriesConfig } from "./config.ts";
import { MarketplaceHttp } from "./http-client.ts";
import type { OutboundRecorder } from "../integration-log/recording-fetch.ts";
import { MarketplaceProtocolError } from "./errors.ts";
import { type Pace, sharedPacer } from "./pacer.ts";
import { Count, Id, jsonInt, type Parsed, parseRecords, Text } from "./record-schemas.ts";

const Warehouse = v.object({
  id: Id,
  name: Text,
  // 1 = FBS; 2 = DBS, 3 = DBW, 5 = C&C, 6 = EDBS (the seller delivers: realFBS).
  deliveryType: v.pipe(v.number(), v.integer()),
});
export type WbWarehouse = v.InferOutput<typeof Warehouse>;

const Card = v.object({
  nmID: Id,
  vendorCode: Text,
  sizes: v.array(
    v.object({
      // "chrtID (note the capital "ID")".
      chrtID: Id,
      skus: v.optional(v.array(v.string()), []),
    }),
  ),
});
export type WbCard = v.InferOutput<typeof Card>;

const SellerStock = v.object({
  nmId: Id,
  chrtId: Id,
  warehouseId: Id,
  warehouseName: Text,
  quantity: Count,
});
export type WbSellerStock = v.InferOutput<typeof SellerStock>;

const WbStock = v.object({
  nmId: Id,
  chrtId: Id,
  // "At present `warehouseId` can only be `-999999`" (one combined "Склад WB" row per size);
  // older answers list WB warehouses one by one. Both are stored as given.
  warehouseId: Id,
  warehouseName: Text,
  quantity: Count,
  inWayToClient: v.optional(Count),
  inWayFromClient: v.optional(Count),
});
export type WbWarehouseStock = v.InferOutput<typeof WbStock>;

const StockConflict = v.array(
  v.looseObject({
    code: v.optional(v.string(), ""),
    message: v.optional(v.string(), ""),
    data: v.optional(
      v.nullable(v.array(v.looseObject({ chrtId: v.optional(v.nullable(Id)) }))),
      null,
    ),
  }),
);

export interface WbPushItem {
  chrtId: string;
  amount: number;
}

export type WbPushOutcome =
  | { ok: true }
  | { ok: false; errors: { code: string; message: string; chrtIds: string[] }[] };

/** `PUT /api/v3/stocks/{warehouseId}`: "`stocks[]`, 1..1000 items". */
export const WB_PUSH_BATCH = 1000;
/** `amount (0..100000)`. */
export const WB_MAX_AMOUNT = 100_000;
/** Content `cards/list`: 100 cards per page. */
const CARDS_LIMIT = 100;

export class WildberriesClient {
  readonly account: string;
  readonly #http: MarketplaceHttp;
  readonly #cfg: WildberriesConfig;
  readonly #pageSize: number;
  readonly #pace: Record<"marketplace" | "sellerStocks" | "wbStocks" | "content", Pace>;

  constructor(
    cfg: WildberriesConfig,
    settings: MarketplacesConfig,
    log: Logger,
    signal?: AbortSignal,
    /** Records every call in the integration log. */
    record?: OutboundRecorder,
  ) {
    this.account = cfg.account;
    this.#cfg = cfg;
    this.#pageSize = settings.wbPageSize;
    const key = (group: string) => `wb:${cfg.account}:${group}`;
    // The documented token buckets (Personal/Service token): Period / Limit / Burst.
    this.#pace = {
      // `/api/v3/stocks/{warehouseId}` PUT, `/api/v3/warehouses`: 300 / min, burst 20.
      marketplace: { key: key("marketplace"), intervalMs: 200, burst: 20 },
      // Both stock reports: 3 / min, burst 1.
      sellerStocks: { key: key("seller-warehouses"), intervalMs: 20_000, burst: 1 },
      wbStocks: { key: key("wb-warehouses"), intervalMs: 20_000, burst: 1 },
      // Content category: 100 / min, burst 5.
      content: { key: key("content"), intervalMs: 600, burst: 5 },
    };
    this.#http = new MarketplaceHttp({
      label: "Wildberries",
      // "both `Authorization: <token>` and `Authorization: Bearer <token>` are seen working".
      headers: { Authorization: cfg.token },
      secrets: [cfg.token],
      authHint: "WB_TOKEN, with the Marketplace, Analytics and Content categories",
      settings: settings.http,
      pacer: sharedPacer(settings.http.pacingScale),
      log,
      signal,
      record,
    });
  }

  /** Seller warehouses with `deliveryType`. */
  async warehouses(): Promise<Parsed<WbWarehouse>> {
    const r = await this.#http.call({
      method: "GET",
      url: `${this.#cfg.marketplaceBaseUrl}/api/v3/warehouses`,
      pace: [this.#pace.marketplace],
    });
    if (!Array.isArray(r.body)) {
      throw new MarketplaceProtocolError("Wildberries /api/v3/warehouses: not an array");
    }
    return parseRecords(Warehouse, r.body);
  }

  /**
   * Item cards: nmID ↔ vendorCode ↔ chrtID ↔ barcodes. "On the next page, copy
   * `cursor.updatedAt` and `cursor.nmID` from the response into the request. Stop when
   * `cursor.total < limit`."
   */
  async *cards(): AsyncGenerator<Parsed<WbCard>> {
    const limit = Math.min(CARDS_LIMIT, this.#pageSize);
    const Page = v.looseObject({
      cards: v.array(v.unknown()),
      cursor: v.looseObject({
        updatedAt: v.optional(v.nullable(v.string())),
        nmID: v.optional(v.nullable(Id)),
        total: v.number(),
      }),
    });
    let after: { updatedAt?: string; nmID?: number } = {};
    for (;;) {
      const r = await this.#http.call({
        method: "POST",
        url: `${this.#cfg.contentBaseUrl}/content/v2/get/cards/list`,
        body: { settings: { cursor: { limit, ...after }, filter: { withPhoto: -1 } } },
        pace: [this.#pace.content],
      });
      const page = v.safeParse(Page, r.body);
      if (!page.success) {
        throw new MarketplaceProtocolError(
          "Wildberries /content/v2/get/cards/list: the answer has no cards[] and cursor",
        );
      }
      yield parseRecords(Card, page.output.cards);
      const { cursor } = page.output;
      if (cursor.total < limit || !cursor.updatedAt || !cursor.nmID) return;
      const next = { updatedAt: cursor.updatedAt, nmID: jsonInt(cursor.nmID) };
      if (next.updatedAt === after.updatedAt && next.nmID === after.nmID) {
        throw new MarketplaceProtocolError("Wildberries cards/list: the same cursor again");
      }
      after = next;
    }
  }

  /** Stock on the seller's own warehouses (FBS / DBS…). */
  sellerWarehouseStocks(): AsyncGenerator<Parsed<WbSellerStock>> {
    return this.#report("seller-warehouses", this.#pace.sellerStocks, SellerStock);
  }

  /** Stock on WB's warehouses (FBO / FBW). */
  wbWarehouseStocks(): AsyncGenerator<Parsed<WbWarehouseStock>> {
    return this.#report("wb-warehouses", this.#pace.wbStocks, WbStock);
  }

  /**
   * The analytics stock reports: offset paging, "Stop when `items.length < limit` or on 204"
   * ("**204**: no data (empty body)").
   */
  async *#report<T>(
    name: string,
    pace: Pace,
    record: v.GenericSchema<unknown, T>,
  ): AsyncGenerator<Parsed<T>> {
    const path = `/api/analytics/v1/stocks-report/${name}`;
    const Page = v.object({ data: v.looseObject({ items: v.array(v.unknown()) }) });
    for (let offset = 0;; offset += this.#pageSize) {
      const r = await this.#http.call({
        method: "POST",
        url: this.#cfg.analyticsBaseUrl + path,
        body: { nmIds: [], chrtIds: [], limit: this.#pageSize, offset },
        pace: [pace],
      });
      if (r.status === 204 || r.body === null) return;
      const page = v.safeParse(Page, r.body);
      if (!page.success) {
        throw new MarketplaceProtocolError(`Wildberries ${path}: the answer has no data.items[]`);
      }
      const { items } = page.output.data;
      yield parseRecords(record, items);
      if (items.length < this.#pageSize) return;
    }
  }

  /**
   * Sets absolute amounts on one seller warehouse. 204 = updated. A 409 is an array of
   * errors naming the offending chrtIds; "The whole request fails or succeeds together".
   */
  async pushStocks(warehouseId: string, items: WbPushItem[]): Promise<WbPushOutcome> {
    if (items.length > WB_PUSH_BATCH) throw new Error("at most 1000 items per call");
    const r = await this.#http.call({
      method: "PUT",
      url: `${this.#cfg.marketplaceBaseUrl}/api/v3/stocks/${encodeURIComponent(warehouseId)}`,
      body: { stocks: items.map((i) => ({ chrtId: jsonInt(i.chrtId), amount: i.amount })) },
      pace: [this.#pace.marketplace],
      accept: [409],
    });
    if (r.status !== 409) return { ok: true };
    const parsed = v.safeParse(StockConflict, r.body);
    if (!parsed.success) {
      return {
        ok: false,
        errors: [{ code: "Conflict", message: "409 with an unreadable body", chrtIds: [] }],
      };
    }
    return {
      ok: false,
      errors: parsed.output.map((e) => ({
        code: e.code,
        message: e.message,
        chrtIds: (e.data ?? []).flatMap((d) => d.chrtId ? [d.chrtId] : []),
      })),
    };
  }
}
