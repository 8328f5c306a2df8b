/**
 * A fake Wildberries API on one local port serving the three hosts' paths (Marketplace,
 * Analytics, Content), built from /work/shared/spec/marketplaces.md §2 and §3: raw or Bearer
 * token (401 problem+json otherwise), forced 429s with `X-Ratelimit-Retry` /
 * `X-Ratelimit-Reset` and no `Retry-After`, forced 5xx, the analytics stock reports with
 * offset paging and 204 at the end, item cards with their cursor, `PUT /api/v3/stocks` with
 * 204, unknown field names ignored, and 409 arrays; the disabled statistics method is 404.
 */
import { json, MarketplaceFake } from "./serve.ts";

type Raw = Record<string, unknown>;

export interface WbRequest {
  method: string;
  path: string;
  body: unknown;
  status: number;
  at: number;
}

const problem = (status: number, title: string, detail: string) => ({
  title,
  detail,
  code: "fake",
  requestId: crypto.randomUUID(),
  origin: "fake-wb",
  status,
  statusText: title,
  timestamp: new Date().toISOString(),
});

export class WildberriesFake extends MarketplaceFake<WbRequest> {
  token = "wb.jwt.token-abcdefghijklmnop";
  /** `GET /api/v3/warehouses`. */
  warehouses: Raw[] = [];
  /** Content cards, in the order the cursor walks them. */
  cards: Raw[] = [];
  /** `stocks-report/seller-warehouses` rows. */
  sellerStocks: Raw[] = [];
  /** `stocks-report/wb-warehouses` rows. */
  wbStocks: Raw[] = [];
  /** Seller-warehouse stock as set by PUT, per `warehouse:chrtId`. */
  readonly amounts = new Map<string, number>();
  /** Warehouses with `isProcessing=true`: 409 StoreIsProcessing. */
  readonly processing = new Set<string>();

  /** The next N requests answer 429 with `X-Ratelimit-Retry: retrySeconds`. */
  throttleNext = 0;
  retrySeconds = 1;
  /** The next N requests answer 502. */
  failNext = 0;

  /** The chrtIds a test's catalogue knows: every size of every card. */
  knownChrtIds(): Set<string> {
    return new Set(
      this.cards.flatMap((c) => (c.sizes as Raw[] ?? []).map((s) => String(s.chrtID))),
    );
  }

  protected async handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    let body: unknown = null;
    try {
      body = await req.json();
    } catch {
      // GET and empty bodies.
    }
    await this.gate.wait();
    const res = this.#answer(req, path, body);
    this.requests.push({ method: req.method, path, body, status: res.status, at: Date.now() });
    return res;
  }

  #answer(req: Request, path: string, body: unknown): Response {
    const auth = (req.headers.get("authorization") ?? "").replace(/^Bearer\s+/i, "");
    if (auth !== this.token) {
      return json(problem(401, "unauthorized", "token problem; token is malformed"), 401);
    }
    if (this.throttleNext > 0) {
      this.throttleNext--;
      return json(
        problem(
          429,
          "Too Many Requests",
          "rate limit exceeded, retry after the period specified in the X-RateLimit-Retry header",
        ),
        429,
        {
          "X-Ratelimit-Limit": "1",
          "X-Ratelimit-Remaining": "0",
          "X-Ratelimit-Retry": String(this.retrySeconds),
          "X-Ratelimit-Reset": String(this.retrySeconds),
        },
      );
    }
    if (this.failNext > 0) {
      this.failNext--;
      return new Response("bad gateway", { status: 502 });
    }
    const ok = { "X-Ratelimit-Limit": "300", "X-Ratelimit-Remaining": "299" };
    const b = (body ?? {}) as Raw;
    if (path === "/api/v1/supplier/stocks") {
      return json(
        problem(
          404,
          "Not Found",
          "This method is deprecated. Link: https://dev.wildberries.ru/release-notes?id=494",
        ),
        404,
      );
    }
    if (req.method === "GET" && path === "/api/v3/warehouses") {
      return json(this.warehouses, 200, ok);
    }
    if (req.method === "POST" && path === "/content/v2/get/cards/list") return this.#cards(b);
    if (req.method === "POST" && path === "/api/analytics/v1/stocks-report/seller-warehouses") {
      return this.#report(b, this.sellerStocks);
    }
    if (req.method === "POST" && path === "/api/analytics/v1/stocks-report/wb-warehouses") {
      return this.#report(b, this.wbStocks);
    }
    const stocks = /^\/api\/v3\/stocks\/(-?\d+)$/.exec(path);
    if (stocks && req.method === "PUT") return this.#put(stocks[1], b);
    return json(problem(404, "path not found", "Please consult the docs"), 404);
  }

  #cards(b: Raw): Response {
    const settings = (b.settings ?? {}) as Raw;
    const cursor = (settings.cursor ?? {}) as Raw;
    const limit = Number(cursor.limit ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return json({ title: "Bad Request", detail: "limit must be 1..100" }, 400);
    }
    let start = 0;
    if (cursor.nmID !== undefined) {
      start = this.cards.findIndex((c) => String(c.nmID) === String(cursor.nmID)) + 1;
    }
    const page = this.cards.slice(start, start + limit);
    const last = page.at(-1);
    return json({
      cards: page,
      cursor: {
        updatedAt: last?.updatedAt ?? null,
        nmID: last?.nmID ?? null,
        total: page.length,
      },
    });
  }

  /** "offset/limit, 204 when empty". */
  #report(b: Raw, rows: Raw[]): Response {
    const limit = Number(b.limit ?? 250000);
    const offset = Number(b.offset ?? 0);
    const items = rows.slice(offset, offset + limit);
    if (items.length === 0) return new Response(null, { status: 204 });
    return json({ data: { items } }, 200, {
      "X-Ratelimit-Limit": "3",
      "X-Ratelimit-Remaining": "2",
    });
  }

  #put(warehouseId: string, b: Raw): Response {
    const items = b.stocks as Raw[] | undefined;
    if (!Array.isArray(items) || items.length === 0 || items.length > 1000) {
      return json(
        { code: "IncorrectRequestBody", message: "Incorrect required body", data: null },
        400,
      );
    }
    if (items.some((i) => "sku" in i)) {
      return json({
        code: "SKUUploadDisabled",
        message: "Uploading stock is not allowed by 'sku'. Please use the 'chrtId' key",
      }, 400);
    }
    if (!this.warehouses.some((w) => String(w.id) === warehouseId)) {
      return json({ code: "NotFound", message: "" }, 404);
    }
    if (this.processing.has(warehouseId)) {
      return json([{ code: "StoreIsProcessing", message: "The warehouse is processing" }], 409);
    }
    const known = this.knownChrtIds();
    const notFound = items.filter((i) => i.chrtId !== undefined && !known.has(String(i.chrtId)));
    const tooBig = items.filter((i) => Number(i.amount) > 100_000);
    if (notFound.length || tooBig.length) {
      const errors = [];
      const data = (xs: Raw[]) => xs.map((x) => ({ sku: "", chrtId: x.chrtId, amount: x.amount }));
      if (notFound.length) {
        errors.push({ code: "NotFound", message: "Not found", data: data(notFound) });
      }
      if (tooBig.length) {
        errors.push({
          code: "UploadDataLimit",
          message: "Upload limit exceeded.",
          data: data(tooBig),
        });
      }
      return json(errors, 409);
    }
    // "The names of request fields are *not* validated, so a typo also gets 204 and nothing
    // is updated."
    for (const i of items) {
      if (i.chrtId === undefined || typeof i.amount !== "number") continue;
      this.amounts.set(`${warehouseId}:${i.chrtId}`, i.amount);
    }
    return new Response(null, { status: 204 });
  }
}
