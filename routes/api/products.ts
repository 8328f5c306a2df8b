/**
 * GET /api/v1/products and /api/v1/products/{onecId}.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppContext, AppEnv } from "../../src/context.ts";
import {
  getProduct,
  listProducts,
  type ProductCursor,
} from "../../src/catalog/product-read-model.ts";
import {
  BadCursorError,
  clampLimit,
  CursorTimestamp,
  decodeOptionalCursor,
  encodeCursor,
} from "../../src/http/pagination.ts";
import {
  apiProblem,
  badCursor,
  cursorParam,
  errorResponses,
  limitParam,
  ProductPageSchema,
  ProductSchema,
  security,
} from "./schemas.ts";

const IdCursor = z.object({ id: z.string() }).strict();
const ChangeCursor = z.object({ at: CursorTimestamp, id: z.string() }).strict();

const listRoute = createRoute({
  method: "get",
  path: "/products",
  tags: ["Catalog"],
  summary: "List products with their offers",
  description: "Cursor-paginated, ordered by Ид. With `updatedSince` the list is ordered by " +
    "change time (then Ид) and holds the products changed at or after it, where a product's " +
    "change time is the latest `updated_at` of the product row, its offers, their prices and " +
    "their stocks — so a price or stock update from offers.xml makes the product reappear. " +
    "`updatedAt` in each item is that same change time; feed the largest one seen back as " +
    "`updatedSince` for the next incremental sync.",
  security,
  request: {
    query: z.object({
      limit: limitParam,
      cursor: cursorParam,
      category: z.string().min(1).optional().openapi({
        description: "A group Ид: products in that group or any group below it.",
      }),
      active: z.enum(["true", "false"]).optional().openapi({
        description: "Only active (`true`) or inactive (`false`) products; both when omitted.",
      }),
      updatedSince: z.iso.datetime({ offset: true }).optional().openapi({
        description: "ISO 8601 date-time with zone (`Z` or `+03:00`, the `+` URL-encoded).",
        example: "2024-05-01T00:00:00Z",
      }),
    }),
  },
  responses: {
    200: {
      description: "A page of products.",
      content: { "application/json": { schema: ProductPageSchema } },
    },
    400: errorResponses[400],
    401: errorResponses[401],
    500: errorResponses[500],
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/products/{onecId}",
  tags: ["Catalog"],
  summary: "One product with its offers",
  description: "`updatedAt` is the latest change to the product, its offers, prices or stocks.",
  security,
  request: {
    params: z.object({
      onecId: z.string().min(1).openapi({ description: "The product's 1C Ид." }),
    }),
  },
  responses: {
    200: {
      description: "The product.",
      content: { "application/json": { schema: ProductSchema } },
    },
    401: errorResponses[401],
    404: errorResponses[404],
    500: errorResponses[500],
  },
});

export function productRoutes(ctx: AppContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const updatedSince = q.updatedSince === undefined ? undefined : new Date(q.updatedSince);
    // A cursor only fits the ordering it was issued for.
    const cursor = decodeOptionalCursor<ProductCursor>(
      q.cursor,
      updatedSince ? ChangeCursor : IdCursor,
    );
    if (cursor instanceof BadCursorError) return badCursor(c, cursor);
    const page = await listProducts(
      ctx.db,
      {
        category: q.category,
        active: q.active === undefined ? undefined : q.active === "true",
        updatedSince,
      },
      clampLimit(q.limit),
      cursor,
    );
    return c.json({
      items: page.items,
      nextCursor: page.next ? encodeCursor(page.next) : null,
      total: page.total,
    }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { onecId } = c.req.valid("param");
    const product = await getProduct(ctx.db, onecId);
    if (!product) return apiProblem(c, 404, `No product with Ид ${onecId}.`);
    return c.json(product, 200);
  });

  return app;
}
