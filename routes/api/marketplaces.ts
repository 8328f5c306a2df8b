/**
 * /api/v1 routes of the marketplaces capability: the inventory read from Ozon and
 * Wildberries, the stock sync log and its health, starting a run, and the warehouse and
 * article mappings a push needs.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppContext, AppEnv } from "../../src/context.ts";
import { requireRole } from "../../src/http/api-auth.ts";
import {
  BadCursorError,
  clampLimit,
  decodeOptionalCursor,
  encodeCursor,
} from "../../src/http/pagination.ts";
import {
  apiProblem,
  badCursor,
  cursorParam,
  errorResponses,
  limitParam,
  nextCursor,
  security,
} from "./schemas.ts";
import { listInventory } from "../../src/marketplaces/inventory-read-model.ts";
import { getSyncRun, listSyncRuns } from "../../src/marketplaces/sync-read-model.ts";
import { isConfigured, sourceHealth, SOURCES } from "../../src/marketplaces/health.ts";
import { startRunNow } from "../../src/marketplaces/sync-jobs.ts";
import {
  deleteArticleMapping,
  listArticleMappings,
  listWarehouseMappings,
  MappingConflictError,
  setWarehouseMapping,
  upsertArticleMappings,
} from "../../src/marketplaces/mappings.ts";

const TAG = "Marketplaces";
const admin = requireRole("admin");

const Source = z.enum(["ozon", "wildberries"]).openapi({ description: "The marketplace." });
const StockType = z.enum(["FBO", "FBS", "realFBS"]);
const SyncStatus = z.enum(["running", "success", "partial", "failed"]);
const SyncKind = z.enum(["read", "push"]);
const timestamp = z.string().openapi({ format: "date-time" });
const mpId = (description: string) =>
  z.string().nullable().openapi({
    description: `${description} Exact decimal string (int64 ids may exceed JSON's safe ` +
      "integers); null where the marketplace has no such id.",
  });

const InventoryItemSchema = z.object({
  source: Source,
  account: z.string().openapi({
    description: "Ozon: the Client-Id; Wildberries: WB_ACCOUNT (default `default`).",
  }),
  sku: mpId("Ozon SKU."),
  offerId: z.string().nullable().openapi({
    description: "The seller's article at the marketplace: Ozon offer_id, WB vendorCode.",
  }),
  nmId: mpId("WB card id (nmID)."),
  chrtId: mpId("WB size id (chrtID)."),
  productOnecId: z.string().nullable().openapi({
    description: "Our product (1C Ид) whose article matches; null if none matches.",
  }),
  offerOnecId: z.string().nullable().openapi({
    description: "Our offer (1C Ид) whose article or barcode matches; null if none or several.",
  }),
  warehouseId: z.string().openapi({
    description: "Marketplace warehouse id as given; WB's combined WB-warehouse row is -999999.",
  }),
  warehouseName: z.string().nullable(),
  stockType: StockType,
  present: z.number().int(),
  reserved: z.number().int().nullable().openapi({
    description: "Null where the marketplace reports no reserve (Wildberries).",
  }),
  available: z.number().int(),
  snapshotDate: timestamp.openapi({
    description: "When the marketplace's figure is from (Ozon FBS `updated_at`), otherwise " +
      "the start of the read that fetched it.",
  }),
  lastSyncAt: timestamp.openapi({
    description: "The last read that confirmed or changed this row (a vanished row is zeroed).",
  }),
}).openapi("InventoryItem");

const InventoryPageSchema = z.object({
  items: z.array(InventoryItemSchema),
  nextCursor,
  total: z.number().int(),
}).openapi("InventoryPage");

const SyncRunSchema = z.object({
  id: z.number().int(),
  source: Source,
  kind: SyncKind.openapi({ description: "`read`: inventory read; `push`: stock push." }),
  trigger: z.enum(["schedule", "manual", "import"]),
  status: SyncStatus.openapi({
    description: "`partial`: invalid records skipped, pairs rejected, or an anomaly held back.",
  }),
  recordsProcessed: z.number().int().openapi({
    description: "Read: every record received (warehouses, catalogue, stock). Push: pairs " +
      "considered, changed or not.",
  }),
  recordsUpdated: z.number().int().openapi({
    description: "Read: inventory rows inserted, changed or zeroed. Push: pairs accepted.",
  }),
  recordsSkipped: z.number().int().openapi({
    description: "Read: invalid records. Push: pairs rejected or 1C offers without a mapping.",
  }),
  errorMessage: z.string().nullable(),
  anomaly: z.string().nullable().openapi({
    description: "Set when the read looked like an anomaly and was not applied.",
  }),
  itemErrors: z.array(z.object({ key: z.string(), code: z.string(), message: z.string() }))
    .openapi({ description: "The first 100 skipped records or rejected pairs." }),
  startedAt: timestamp,
  completedAt: timestamp.nullable(),
  durationSeconds: z.number().nullable(),
}).openapi("StockSyncRun");

const SyncRunPageSchema = z.object({ items: z.array(SyncRunSchema), nextCursor })
  .openapi("StockSyncRunPage");

const HealthSchema = z.object({
  items: z.array(
    z.object({
      source: Source,
      configured: z.boolean().openapi({
        description: "Credentials are set; otherwise not synced.",
      }),
      lastSuccessAt: timestamp.nullable().openapi({
        description: "The last read whose stock was applied.",
      }),
      stale: z.boolean().openapi({
        description: "Configured, and no applied read for two sync intervals (or ever).",
      }),
      successRate24h: z.number().nullable().openapi({
        description: "Share of runs finished in the last 24 h with status success or partial.",
      }),
      lastError: z.object({
        runId: z.number().int(),
        message: z.string().nullable(),
        at: timestamp,
      })
        .nullable(),
      anomaly: z.object({ runId: z.number().int(), message: z.string(), at: timestamp })
        .nullable().openapi({ description: "The latest read was held back as an anomaly." }),
      lastPushAt: timestamp.nullable(),
      running: z.array(z.object({ runId: z.number().int(), kind: SyncKind })),
    }).openapi("StockSyncSourceHealth"),
  ),
}).openapi("StockSyncHealth");

const WarehouseMappingSchema = z.object({
  source: Source,
  marketplaceWarehouseId: z.string(),
  onecWarehouseIds: z.array(z.string()),
}).openapi("MarketplaceWarehouseMapping");

const ArticleMappingSchema = z.object({
  source: Source,
  article: z.string(),
  marketplaceId: z.string(),
}).openapi("MarketplaceArticleMapping");

const InventoryCursorShape = z.object({
  s: z.string(),
  a: z.string(),
  w: z.string(),
  t: z.string(),
  k: z.string(),
}).strict();
const RunCursorShape = z.object({ id: z.number().int().positive() }).strict();
const ArticleCursorShape = z.object({ s: z.string(), a: z.string() }).strict();

const runId = z.string().regex(/^\d{1,15}$/, "must be a run id (digits)");

/** In a path, a marketplace that does not exist is a resource that does not exist: 404. */
const SourceParam = z.string().openapi({
  description: "`ozon` or `wildberries`; anything else is 404.",
  example: "ozon",
});
const knownSource = (s: string): s is z.infer<typeof Source> => (SOURCES as string[]).includes(s);

const inventoryRoute = createRoute({
  method: "get",
  path: "/inventory",
  tags: [TAG],
  summary: "Stock the marketplaces hold and report, per warehouse and item",
  description: "Rows from the last inventory reads, ordered by source, account, warehouse, " +
    "stock type and item. Rows the marketplace stopped listing are zeroed, not removed.",
  security,
  request: {
    query: z.object({
      source: Source.optional(),
      stockType: StockType.optional(),
      warehouse: z.string().min(1).optional().openapi({
        description: "A warehouse id or its exact name.",
      }),
      sku: z.string().min(1).optional().openapi({
        description: "Any marketplace id of the item: Ozon sku or offer_id, WB nmId, chrtId " +
          "or vendorCode.",
      }),
      limit: limitParam,
      cursor: cursorParam,
    }),
  },
  responses: {
    200: {
      description: "A page.",
      content: { "application/json": { schema: InventoryPageSchema } },
    },
    400: errorResponses[400],
    401: errorResponses[401],
    500: errorResponses[500],
  },
});

const listRunsRoute = createRoute({
  method: "get",
  path: "/stock-syncs",
  tags: [TAG],
  summary: "The stock sync log, newest first",
  security,
  request: {
    query: z.object({
      source: Source.optional(),
      status: SyncStatus.optional(),
      kind: SyncKind.optional(),
      limit: limitParam,
      cursor: cursorParam,
    }),
  },
  responses: {
    200: { description: "A page.", content: { "application/json": { schema: SyncRunPageSchema } } },
    400: errorResponses[400],
    401: errorResponses[401],
    500: errorResponses[500],
  },
});

const healthRoute = createRoute({
  method: "get",
  path: "/stock-syncs/health",
  tags: [TAG],
  summary: "Per marketplace: last success, staleness, 24 h success rate, last error",
  security,
  responses: {
    200: {
      description: "Both marketplaces.",
      content: { "application/json": { schema: HealthSchema } },
    },
    401: errorResponses[401],
    500: errorResponses[500],
  },
});

const getRunRoute = createRoute({
  method: "get",
  path: "/stock-syncs/{id}",
  tags: [TAG],
  summary: "One stock sync run",
  security,
  request: { params: z.object({ id: runId }) },
  responses: {
    200: { description: "The run.", content: { "application/json": { schema: SyncRunSchema } } },
    400: errorResponses[400],
    401: errorResponses[401],
    404: errorResponses[404],
    500: errorResponses[500],
  },
});

const startRunRoute = createRoute({
  method: "post",
  path: "/stock-syncs",
  tags: [TAG],
  summary: "Start a stock sync run now (admin)",
  description: "Queues a read (or a push) of one marketplace and answers with the run; " +
    "follow it at GET /api/v1/stock-syncs/{id}. 409 with `runningRunId` while a run of the " +
    "same marketplace and kind is running; 422 when the marketplace has no credentials.",
  security,
  middleware: [admin] as const,
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({ source: Source, kind: SyncKind.default("read") }).strict(),
        },
      },
    },
  },
  responses: {
    202: { description: "Queued.", content: { "application/json": { schema: SyncRunSchema } } },
    400: errorResponses[400],
    401: errorResponses[401],
    403: errorResponses[403],
    409: errorResponses[409],
    422: errorResponses[422],
    500: errorResponses[500],
  },
});

const listWarehouseMappingsRoute = createRoute({
  method: "get",
  path: "/marketplace-warehouse-mappings",
  tags: [TAG],
  summary: "Which 1C warehouses feed each marketplace warehouse",
  security,
  request: { query: z.object({ source: Source.optional() }) },
  responses: {
    200: {
      description: "All mappings.",
      content: {
        "application/json": { schema: z.object({ items: z.array(WarehouseMappingSchema) }) },
      },
    },
    400: errorResponses[400],
    401: errorResponses[401],
    500: errorResponses[500],
  },
});

const putWarehouseMappingRoute = createRoute({
  method: "put",
  path: "/marketplace-warehouse-mappings/{source}/{marketplaceWarehouseId}",
  tags: [TAG],
  summary: "Set the 1C warehouses of a marketplace warehouse (admin)",
  description: "A push sends the sum of these 1C warehouses' stock to the marketplace " +
    "warehouse (an Ozon FBS/rFBS warehouse_id, a WB seller warehouse id). An empty list " +
    "removes the mapping.",
  security,
  middleware: [admin] as const,
  request: {
    params: z.object({
      source: SourceParam,
      marketplaceWarehouseId: z.string().regex(/^-?\d{1,20}$/, "must be a warehouse id"),
    }),
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({
            onecWarehouseIds: z.array(z.string().min(1)).max(1000).openapi({
              description: "1C warehouse Ид (GET /api/v1/warehouses).",
            }),
          }).strict(),
        },
      },
    },
  },
  responses: {
    200: {
      description: "The mapping as stored.",
      content: { "application/json": { schema: WarehouseMappingSchema } },
    },
    400: errorResponses[400],
    401: errorResponses[401],
    403: errorResponses[403],
    404: errorResponses[404],
    500: errorResponses[500],
  },
});

const listArticleMappingsRoute = createRoute({
  method: "get",
  path: "/marketplace-article-mappings",
  tags: [TAG],
  summary: "1C article → Ozon offer_id / WB chrtId, where they differ",
  security,
  request: {
    query: z.object({
      source: Source.optional(),
      article: z.string().min(1).optional(),
      limit: limitParam,
      cursor: cursorParam,
    }),
  },
  responses: {
    200: {
      description: "A page.",
      content: {
        "application/json": {
          schema: z.object({ items: z.array(ArticleMappingSchema), nextCursor }),
        },
      },
    },
    400: errorResponses[400],
    401: errorResponses[401],
    500: errorResponses[500],
  },
});

const putArticleMappingsRoute = createRoute({
  method: "put",
  path: "/marketplace-article-mappings/{source}",
  tags: [TAG],
  summary: "Add or change article mappings (admin)",
  description: "`article` is a 1C Артикул (of the offer, or of a product with one offer) or a " +
    "1C offer Ид (for characteristics that share the product's article). Without a mapping, " +
    "Ozon's offer_id is the article itself and WB's chrtId is found by barcode or vendorCode.",
  security,
  middleware: [admin] as const,
  request: {
    params: z.object({ source: SourceParam }),
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({
            items: z.array(
              z.object({
                article: z.string().min(1),
                marketplaceId: z.string().min(1).openapi({
                  description: "Ozon: offer_id; Wildberries: chrtId (digits).",
                }),
              }).strict(),
            ).min(1).max(1000),
          }).strict(),
        },
      },
    },
  },
  responses: {
    200: {
      description: "Stored.",
      content: {
        "application/json": { schema: z.object({ items: z.array(ArticleMappingSchema) }) },
      },
    },
    400: errorResponses[400],
    401: errorResponses[401],
    403: errorResponses[403],
    404: errorResponses[404],
    409: errorResponses[409],
    500: errorResponses[500],
  },
});

const deleteArticleMappingRoute = createRoute({
  method: "delete",
  path: "/marketplace-article-mappings/{source}/{article}",
  tags: [TAG],
  summary: "Remove an article mapping (admin)",
  security,
  middleware: [admin] as const,
  request: { params: z.object({ source: SourceParam, article: z.string().min(1) }) },
  responses: {
    204: { description: "Removed." },
    401: errorResponses[401],
    403: errorResponses[403],
    404: errorResponses[404],
    500: errorResponses[500],
  },
});

export function marketplacesRoutes(ctx: AppContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(inventoryRoute, async (c) => {
    const q = c.req.valid("query");
    const cursor = decodeOptionalCursor(q.cursor, InventoryCursorShape);
    if (cursor instanceof BadCursorError) return badCursor(c, cursor);
    const page = await listInventory(
      ctx.db,
      { source: q.source, stockType: q.stockType, warehouse: q.warehouse, sku: q.sku },
      clampLimit(q.limit),
      cursor,
    );
    return c.json({
      items: page.items,
      nextCursor: page.next ? encodeCursor({ ...page.next }) : null,
      total: page.total,
    }, 200);
  });

  // Registered before /stock-syncs/{id}, which would not match "health" anyway (digits only).
  app.openapi(healthRoute, async (c) => {
    const items = [];
    for (const source of SOURCES) items.push(await sourceHealth(ctx, source));
    return c.json({ items }, 200);
  });

  app.openapi(listRunsRoute, async (c) => {
    const q = c.req.valid("query");
    const decoded = decodeOptionalCursor(q.cursor, RunCursorShape);
    if (decoded instanceof BadCursorError) return badCursor(c, decoded);
    const before = decoded?.id;
    const page = await listSyncRuns(
      ctx.db,
      { source: q.source, status: q.status, kind: q.kind },
      clampLimit(q.limit),
      before,
    );
    return c.json({
      items: page.items,
      nextCursor: page.next === null ? null : encodeCursor({ id: page.next }),
    }, 200);
  });

  app.openapi(getRunRoute, async (c) => {
    const { id } = c.req.valid("param");
    const run = await getSyncRun(ctx.db, Number(id));
    if (!run) return apiProblem(c, 404, `No stock sync run ${id}.`);
    return c.json(run, 200);
  });

  app.openapi(startRunRoute, async (c) => {
    const { source, kind } = c.req.valid("json");
    if (!isConfigured(ctx, source)) {
      const vars = source === "ozon" ? "OZON_CLIENT_ID and OZON_API_KEY" : "WB_TOKEN";
      return apiProblem(c, 422, `${source} has no credentials configured (set ${vars}).`);
    }
    const started = await startRunNow(ctx, source, kind);
    if (!started.ok) {
      return apiProblem(
        c,
        409,
        `a ${source} ${kind} run is already running` +
          (started.runningRunId ? `: run ${started.runningRunId}` : ""),
        started.runningRunId ? { runningRunId: Number(started.runningRunId) } : {},
      );
    }
    const run = await getSyncRun(ctx.db, Number(started.runId));
    return c.json(run!, 202);
  });

  app.openapi(listWarehouseMappingsRoute, async (c) => {
    const { source } = c.req.valid("query");
    return c.json({ items: await listWarehouseMappings(ctx.db, source) }, 200);
  });

  app.openapi(putWarehouseMappingRoute, async (c) => {
    const { source, marketplaceWarehouseId } = c.req.valid("param");
    if (!knownSource(source)) return apiProblem(c, 404, `No marketplace "${source}".`);
    const { onecWarehouseIds } = c.req.valid("json");
    await setWarehouseMapping(ctx.db, { source, marketplaceWarehouseId, onecWarehouseIds });
    const stored = (await listWarehouseMappings(ctx.db, source))
      .find((m) => m.marketplaceWarehouseId === marketplaceWarehouseId);
    return c.json(stored ?? { source, marketplaceWarehouseId, onecWarehouseIds: [] }, 200);
  });

  app.openapi(listArticleMappingsRoute, async (c) => {
    const q = c.req.valid("query");
    const after = decodeOptionalCursor(q.cursor, ArticleCursorShape);
    if (after instanceof BadCursorError) return badCursor(c, after);
    const page = await listArticleMappings(
      ctx.db,
      { source: q.source, article: q.article },
      clampLimit(q.limit),
      after,
    );
    return c.json({
      items: page.items,
      nextCursor: page.next ? encodeCursor(page.next) : null,
    }, 200);
  });

  app.openapi(putArticleMappingsRoute, async (c) => {
    const { source } = c.req.valid("param");
    if (!knownSource(source)) return apiProblem(c, 404, `No marketplace "${source}".`);
    const { items } = c.req.valid("json");
    if (source === "wildberries") {
      const bad = items.findIndex((i) => !/^\d{1,20}$/.test(i.marketplaceId));
      if (bad >= 0) {
        return apiProblem(c, 400, "A Wildberries mapping names a chrtId (digits).", {
          issues: [{ path: `items.${bad}.marketplaceId`, message: "must be a chrtId (digits)" }],
        });
      }
    }
    try {
      await upsertArticleMappings(ctx.db, source, items);
    } catch (e) {
      if (!(e instanceof MappingConflictError)) throw e;
      return apiProblem(c, 409, e.message);
    }
    return c.json({ items: items.map((i) => ({ source, ...i })) }, 200);
  });

  app.openapi(deleteArticleMappingRoute, async (c) => {
    const { source, article } = c.req.valid("param");
    if (!knownSource(source)) return apiProblem(c, 404, `No marketplace "${source}".`);
    if (!(await deleteArticleMapping(ctx.db, source, article))) {
      return apiProblem(c, 404, `No ${source} mapping for article "${article}".`);
    }
    return c.body(null, 204);
  });

  return app;
}
