/**
 * GET /api/v1/products and /api/v1/products/{onecId}, optionally read for a platform role
 * (`?role=`: each offer carries that role's price).
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppContext, AppEnv } from "../../src/context.ts";
import type { Db } from "../../db/pool.ts";
import {
  getProduct,
  listProducts,
  type ProductCursor,
  type ReadOptions,
} from "../../src/catalog/product-read-model.ts";
import { normalizeRole, priceRoles, priceTypeOfRole } from "../../src/catalog/price-roles.ts";
import { RoleNameSchema } from "./catalog.ts";
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
  CatalogOfferSchema,
  CatalogProductSchema,
  cursorParam,
  errorResponses,
  limitParam,
  nextCursor,
  PriceSchema,
  security,
} from "./schemas.ts";

// The catalog's offer and product (routes/api/schemas.ts) plus what the platform reads on top:
// availability, and the price of the role asked for.
const OfferSchema = z
  .object({
    ...CatalogOfferSchema.shape,
    price: PriceSchema.nullable().optional().openapi({
      description: "Only when read with `role`: the offer's price of the price type that " +
        "prices that role (GET /api/v1/price-roles); null when the offer has no such price.",
    }),
    inStock: z.boolean().openapi({
      description: "Stock above zero in any warehouse. An offer for which 1C sent only a " +
        "total (Количество, no warehouses) is in stock when the total is above zero.",
    }),
    canBeOrdered: z.boolean().openapi({
      description: "Stock above zero in a warehouse that serves orders (GET " +
        "/api/v1/warehouses, `servesOrders`); a warehouse 1C never described counts as " +
        "serving. An offer with only a total (Количество, no warehouses) can be ordered when " +
        "the total is above zero and every warehouse serves orders (the default, also when " +
        "1C sent no warehouses): once any warehouse is marked as not serving, such a total " +
        "cannot be told apart from that warehouse's stock and does not count. Says nothing " +
        "about `isActive`.",
    }),
  })
  .openapi("Offer");

const ProductSchema = z
  .object({ ...CatalogProductSchema.shape, offers: z.array(OfferSchema) })
  .openapi("Product");

const ProductPageSchema = z
  .object({ items: z.array(ProductSchema), nextCursor, total: z.number().int() })
  .openapi("ProductPage");

const roleParam = RoleNameSchema.optional().openapi({
  description: "Read for a platform role (a customer's `role`): each offer then carries " +
    "`price`, that role's price. A role no price type serves is a 400 naming the roles that " +
    "have one (GET /api/v1/price-roles).",
  example: "wholesale-1",
});

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
      role: roleParam,
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
    query: z.object({ role: roleParam }),
  },
  responses: {
    200: {
      description: "The product.",
      content: { "application/json": { schema: ProductSchema } },
    },
    400: errorResponses[400],
    401: errorResponses[401],
    404: errorResponses[404],
    500: errorResponses[500],
  },
});

/** The read options for `?role=`, or the role nobody prices with the roles somebody does. */
async function readFor(
  db: Db,
  role: string | undefined,
): Promise<ReadOptions | { unknownRole: string; known: string[] }> {
  if (role === undefined) return {};
  const name = normalizeRole(role) ?? role;
  const priceTypeId = await priceTypeOfRole(db, name);
  if (priceTypeId !== undefined) return { priceTypeId };
  return { unknownRole: name, known: (await priceRoles(db)).map((r) => r.role) };
}

function unknownRole(c: Context, u: { unknownRole: string; known: string[] }) {
  const known = u.known.length === 0
    ? "No role has a price type yet"
    : `Roles with a price type: ${u.known.map((r) => JSON.stringify(r)).join(", ")}`;
  const message = `No price type prices the role ${JSON.stringify(u.unknownRole)}.`;
  return apiProblem(c, 400, `${message} ${known} (PUT /api/v1/price-types/{id} maps one).`, {
    issues: [{ path: "role", message }],
  });
}

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
    const opts = await readFor(ctx.db, q.role);
    if ("unknownRole" in opts) return unknownRole(c, opts);
    const page = await listProducts(
      ctx.db,
      {
        category: q.category,
        active: q.active === undefined ? undefined : q.active === "true",
        updatedSince,
      },
      clampLimit(q.limit),
      cursor,
      opts,
    );
    return c.json({
      items: page.items,
      nextCursor: page.next ? encodeCursor(page.next) : null,
      total: page.total,
    }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { onecId } = c.req.valid("param");
    const opts = await readFor(ctx.db, c.req.valid("query").role);
    if ("unknownRole" in opts) return unknownRole(c, opts);
    const product = await getProduct(ctx.db, onecId, opts);
    if (!product) return apiProblem(c, 404, `No product with Ид ${onecId}.`);
    return c.json(product, 200);
  });

  return app;
}
