/**
 * A fake Ozon Seller API on a local port, built from /work/shared/spec/marketplaces.md §1 and
 * its fake-server checklist (§3): Client-Id/Api-Key auth (401 code 16, 403 code 7), a
 * per-second limiter and forced 429s with `Retry-After`, forced 5xx, cursor paging with
 * `has_next` + `cursor`, `last_id` paging, input limits (400), the disabled paths (404), and
 * `/v2/products/stocks` with its per-item errors inside a 200.
 *
 * Records are kept raw (`unknown`), so a test can plant an invalid one.
 */
import { json, MarketplaceFake } from "./serve.ts";

type Raw = Record<string, unknown>;

export interface OzonRequest {
  path: string;
  body: Raw;
  status: number;
  at: number;
}

const DISABLED = new Set([
  "/v1/warehouse/list",
  "/v1/product/info/stocks-by-warehouse/fbs",
  "/v1/analytics/manage/stocks",
]);

const rpc = (code: number, message: string) => ({ code, message, details: [] });

export class OzonFake extends MarketplaceFake<OzonRequest> {
  clientId = "123456";
  apiKey = "ozon-key-0000-1111-2222-333344445555";
  /** `/v2/warehouse/list` rows. */
  warehouses: Raw[] = [];
  /** FBS/rFBS stock per seller warehouse id (as a string). */
  stocks = new Map<string, Raw[]>();
  /** `/v3/product/list` items. */
  products: Raw[] = [];
  /** `/v1/warehouse/ozon/list` rows. */
  fboWarehouses: Raw[] = [];
  /** FBO rows, filtered by the `skus` of each request. */
  fbo: Raw[] = [];

  /** The next N requests answer 429 with `Retry-After: retryAfterSeconds`. */
  throttleNext = 0;
  retryAfterSeconds = 1;
  /** The next N requests answer 500. */
  failNext = 0;
  /** Requests per second per Client-Id before a 429 ("at most 50 requests per second"). */
  perSecond = 50;
  /** A deactivated key: 403 on everything. */
  keyDeactivated = false;
  /** As if the headers never arrived: 401 code 16 on everything. */
  unauthenticated = false;
  /** Holds every answer while closed. */
  /** Answers this late (a stalled connection). */
  delayMs = 0;

  /** What the seller's FBS/rFBS stock is set to, per `warehouse:offer`. */
  readonly pushed = new Map<string, { stock: number; at: number }>();
  /** "Each pair can be updated once per 30 s". */
  pairIntervalMs = 30_000;
  /** Shifts the fake's clock, to let "30 s" pass without waiting. */
  clockOffsetMs = 0;

  /** Paths in order of arrival, before any answer (stalled ones included). */
  readonly arrived: string[] = [];
  #second = { start: 0, count: 0 };

  /** The stock pushes' bodies, flattened to their pairs. */
  pushedPairs(): Raw[] {
    return this.calls("/v2/products/stocks").filter((r) => r.status === 200)
      .flatMap((r) => r.body.stocks as Raw[]);
  }

  protected async handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    this.arrived.push(path);
    let body: Raw = {};
    try {
      body = await req.json();
    } catch {
      // Some methods take an empty body.
    }
    await this.gate.wait();
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    const res = this.#answer(req, path, body);
    this.requests.push({ path, body, status: res.status, at: Date.now() });
    return res;
  }

  #answer(req: Request, path: string, body: Raw): Response {
    const clientId = req.headers.get("client-id");
    const apiKey = req.headers.get("api-key");
    if (!clientId || !apiKey || this.unauthenticated) {
      return json(rpc(16, "Client-Id and Api-Key headers are required"), 401);
    }
    if (clientId !== this.clientId || apiKey !== this.apiKey) {
      return json(rpc(7, "Invalid Api-Key, please check the key and try again"), 403);
    }
    if (this.keyDeactivated) {
      return json(rpc(7, "Api-key is deactivated, use another one or generate a new one"), 403);
    }
    const now = Date.now();
    if (now - this.#second.start >= 1000) this.#second = { start: now, count: 0 };
    this.#second.count++;
    if (this.throttleNext > 0 || this.#second.count > this.perSecond) {
      if (this.throttleNext > 0) this.throttleNext--;
      return json(rpc(8, "You have reached request rate limit per second"), 429, {
        "Retry-After": String(this.retryAfterSeconds),
        "Ratelimit-Remaining": "0",
      });
    }
    if (this.failNext > 0) {
      this.failNext--;
      return json(rpc(13, "Internal error"), 500);
    }
    if (DISABLED.has(path)) return json(rpc(5, "method is disabled"), 404);
    if (req.method !== "POST") return json(rpc(5, "Not Found"), 404);
    switch (path) {
      case "/v2/warehouse/list":
        return this.#cursorPage(body, this.warehouses, "warehouses", 200);
      case "/v1/product/info/warehouse/stocks": {
        if (body.warehouse_id === undefined) return json(rpc(3, "warehouse_id is required"), 400);
        return this.#cursorPage(body, this.stocks.get(String(body.warehouse_id)) ?? [], "stocks");
      }
      case "/v3/product/list":
        return this.#productList(body);
      case "/v1/warehouse/ozon/list":
        return json({ warehouses: this.fboWarehouses });
      case "/v1/product/info/stocks-by-warehouse/fbo": {
        const skus = (body.skus ?? []) as string[];
        const offers = (body.offer_ids ?? []) as string[];
        if (skus.length > 1000 || offers.length > 1000) {
          return json(rpc(3, "skus: at most 1000"), 400);
        }
        const wanted = new Set(skus.map(String));
        const rows = wanted.size === 0 && offers.length === 0
          ? this.fbo
          : this.fbo.filter((r) =>
            wanted.has(String(r.sku)) || offers.includes(String(r.offer_id))
          );
        return this.#cursorPage(body, rows, "products");
      }
      case "/v2/products/stocks":
        return this.#pushStocks(body);
      default:
        return json(rpc(5, "Not Found"), 404);
    }
  }

  /** `has_next` + `cursor` paging; the cursor is the next offset, opaque to the client. */
  #cursorPage(body: Raw, rows: Raw[], field: string, maxLimit = 1000): Response {
    const limit = Number(body.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) {
      return json(rpc(3, `limit must be 1..${maxLimit}`), 400);
    }
    const start = body.cursor ? Number(atob(String(body.cursor))) : 0;
    const page = rows.slice(start, start + limit);
    const next = start + page.length;
    const hasNext = next < rows.length;
    return json({ [field]: page, cursor: hasNext ? btoa(String(next)) : "", has_next: hasNext });
  }

  #productList(body: Raw): Response {
    const limit = Number(body.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      return json(rpc(3, "limit must be 1..1000"), 400);
    }
    const start = body.last_id ? Number(atob(String(body.last_id))) : 0;
    const items = this.products.slice(start, start + limit);
    const next = start + items.length;
    return json({
      result: {
        items,
        last_id: next < this.products.length ? btoa(String(next)) : "",
        total: this.products.length,
        total_items: this.products.length,
      },
    });
  }

  #pushStocks(body: Raw): Response {
    const stocks = body.stocks as Raw[] | undefined;
    if (!Array.isArray(stocks) || stocks.length === 0 || stocks.length > 100) {
      return json(rpc(3, "Request validation error: stocks must have 1..100 items"), 400);
    }
    const now = Date.now() + this.clockOffsetMs;
    const warehouseIds = new Set(this.warehouses.map((w) => String(w.warehouse_id)));
    const offers = new Map(this.products.map((p) => [String(p.offer_id), p]));
    const result = stocks.map((s) => {
      if (s.warehouse_id === undefined) return null;
      const wh = String(s.warehouse_id);
      const offer = String(s.offer_id);
      const product = offers.get(offer);
      const out = {
        warehouse_id: s.warehouse_id,
        product_id: product?.product_id ?? 0,
        offer_id: offer,
        updated: false,
        errors: [] as { code: string; message: string }[],
      };
      const key = `${wh}:${offer}`;
      const last = this.pushed.get(key);
      if (!warehouseIds.has(wh)) {
        out.product_id = 0;
        out.errors.push({ code: "WAREHOUSE_NOT_FOUND", message: `warehouse has wrong id: ${wh}` });
      } else if (!product) {
        out.errors.push({ code: "offer_id_not_found", message: "Offer not found" });
      } else if (Number(s.stock) >= 1_000_000) {
        out.errors.push({ code: "STOCK_TOO_BIG", message: "stock must be less than 1000000" });
      } else if (last && now - last.at < this.pairIntervalMs) {
        out.errors.push({ code: "TOO_MANY_REQUESTS", message: "Stock is updated too frequently" });
      } else {
        this.pushed.set(key, { stock: Number(s.stock), at: now });
        out.updated = true;
      }
      return out;
    });
    if (result.includes(null)) {
      return json(
        rpc(
          3,
          "Request validation error: invalid ProductsStocksRequest.Stocks[0]: embedded message failed validation",
        ),
        400,
      );
    }
    return json({ result });
  }
}
