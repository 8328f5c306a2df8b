/**
 * Catalog reference data: GET /api/v1/categories, /api/v1/price-types, /api/v1/warehouses;
 * and what the platform sets on top of it (issue 7): which price type prices each customer role
 * (PUT /api/v1/price-types/{id}, GET /api/v1/price-roles) and which warehouses serve orders
 * (PUT /api/v1/warehouses/{id}).
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppContext, AppEnv } from "../../src/context.ts";
import { requireRole } from "../../src/http/api-auth.ts";
import { categoryTree, priceTypes, warehouses } from "../../src/catalog/catalog-read-model.ts";
import {
  normalizeRole,
  priceRoles,
  ROLE_MAX_LENGTH,
  setPriceTypeRole,
} from "../../src/catalog/price-roles.ts";
import { setServesOrders } from "../../src/catalog/order-warehouses.ts";
import { apiProblem, CategoryListSchema, errorResponses, security } from "./schemas.ts";

const admin = requireRole("admin");

/**
 * A platform role: what a customer carries in `role` (GET /api/v1/customers/{id}). Validated
 * as customers' roles are (trimmed, at most 100 characters), so any customer's role can be
 * priced; the handler collapses inner runs of whitespace as the customers API stores them.
 */
export const RoleNameSchema = z.string().trim().min(1).max(ROLE_MAX_LENGTH)
  .refine((s) => !/\p{Cc}/u.test(s), "must not contain control characters")
  .openapi({
    description: "A platform customer role, exactly as customers carry it in `role`: up to " +
      `${ROLE_MAX_LENGTH} characters, no control characters, compared after trimming and ` +
      "collapsing runs of whitespace; case matters.",
    example: "wholesale-1",
  });

const PriceTypeSchema = z
  .object({
    id: z.string().openapi({ description: "Ид of the price type (ТипЦены) in 1C." }),
    name: z.string().openapi({ example: "Оптовая" }),
    currency: z.string().nullable().openapi({ example: "RUB" }),
    role: z.string().nullable().openapi({
      description: "The platform role this price type prices (products read with " +
        "`?role=` show its price); null when it serves none.",
      example: "wholesale-1",
    }),
  })
  .openapi("PriceType");

const PriceTypeListSchema = z
  .object({ items: z.array(PriceTypeSchema) })
  .openapi("PriceTypeList");

const WarehouseSchema = z
  .object({
    id: z.string().openapi({ description: "Ид of the warehouse (Склад) in 1C." }),
    name: z.string().openapi({ example: "Основной склад" }),
    servesOrders: z.boolean().openapi({
      description: "Whether its stock makes an offer orderable (`canBeOrdered`). Every " +
        "warehouse serves orders until marked otherwise with PUT /api/v1/warehouses/{id}.",
      example: true,
    }),
  })
  .openapi("Warehouse");

const WarehouseListSchema = z
  .object({ items: z.array(WarehouseSchema) })
  .openapi("WarehouseList");

const PriceRoleSchema = z
  .object({
    role: z.string().openapi({ example: "wholesale-1" }),
    priceTypeId: z.string().openapi({ description: "Ид of the price type that prices it." }),
    priceType: z.string().openapi({ example: "Оптовая" }),
    currency: z.string().nullable().openapi({ example: "RUB" }),
  })
  .openapi("PriceRole");

const PriceRoleListSchema = z
  .object({ items: z.array(PriceRoleSchema) })
  .openapi("PriceRoleList");

const categoriesRoute = createRoute({
  method: "get",
  path: "/categories",
  tags: ["Catalog"],
  summary: "The group tree",
  description: "Groups (Группы) nested under their parents; siblings ordered by their position " +
    "in 1C, then name. A group whose parent is unknown appears at the top level.",
  security,
  responses: {
    200: {
      description: "The tree.",
      content: { "application/json": { schema: CategoryListSchema } },
    },
    401: errorResponses[401],
    500: errorResponses[500],
  },
});

const priceTypesRoute = createRoute({
  method: "get",
  path: "/price-types",
  tags: ["Catalog"],
  summary: "Price types (ТипыЦен), with the platform role each prices",
  security,
  responses: {
    200: {
      description: "Every price type, by name.",
      content: { "application/json": { schema: PriceTypeListSchema } },
    },
    401: errorResponses[401],
    500: errorResponses[500],
  },
});

const setPriceTypeRoleRoute = createRoute({
  method: "put",
  path: "/price-types/{id}",
  tags: ["Catalog"],
  summary: "Set the platform role a price type prices (admin)",
  description: "Customers of that role get this price type's prices: a product read with " +
    "`?role=<role>` carries them as each offer's `price`. One price type per role and one " +
    "role per price type: a role held by another price type moves here (that one is left " +
    "without a role), and this price type's previous role, if any, is unmapped. " +
    "`role: null` unmaps this price type. The mapping is the platform's: imports from 1C " +
    "keep it. Changing it does not change products' `updatedAt`: after remapping, read the " +
    "products again in full rather than with `updatedSince`.",
  security,
  middleware: [admin] as const,
  request: {
    params: z.object({
      id: z.string().min(1).openapi({ description: "Ид of the price type." }),
    }),
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({ role: RoleNameSchema.nullable() }).strict()
            .openapi("PriceTypeRoleUpdate", { example: { role: "wholesale-1" } }),
        },
      },
    },
  },
  responses: {
    200: {
      description: "The price type with its role as now stored.",
      content: { "application/json": { schema: PriceTypeSchema } },
    },
    400: errorResponses[400],
    401: errorResponses[401],
    403: errorResponses[403],
    404: errorResponses[404],
    500: errorResponses[500],
  },
});

const priceRolesRoute = createRoute({
  method: "get",
  path: "/price-roles",
  tags: ["Catalog"],
  summary: "Platform roles with a price type",
  description: "The roles a product read accepts as `?role=`, each with the price type that " +
    "prices it. Set with PUT /api/v1/price-types/{id}.",
  security,
  responses: {
    200: {
      description: "Every mapped role, by role name.",
      content: { "application/json": { schema: PriceRoleListSchema } },
    },
    401: errorResponses[401],
    500: errorResponses[500],
  },
});

const warehousesRoute = createRoute({
  method: "get",
  path: "/warehouses",
  tags: ["Catalog"],
  summary: "Warehouses (Склады), and whether each serves orders",
  security,
  responses: {
    200: {
      description: "Every warehouse, by name.",
      content: { "application/json": { schema: WarehouseListSchema } },
    },
    401: errorResponses[401],
    500: errorResponses[500],
  },
});

const setServesOrdersRoute = createRoute({
  method: "put",
  path: "/warehouses/{id}",
  tags: ["Catalog"],
  summary: "Mark whether a warehouse serves orders (admin)",
  description: "An offer `canBeOrdered` when it has stock above zero in a warehouse that " +
    "serves orders; stock elsewhere still makes it `inStock`. Every warehouse serves orders " +
    "until marked otherwise. The mark is the platform's: imports from 1C keep it. Changing " +
    "it does not change products' `updatedAt`: read the products again in full afterwards.",
  security,
  middleware: [admin] as const,
  request: {
    params: z.object({
      id: z.string().min(1).openapi({ description: "Ид of the warehouse." }),
    }),
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({ servesOrders: z.boolean() }).strict()
            .openapi("WarehouseUpdate", { example: { servesOrders: false } }),
        },
      },
    },
  },
  responses: {
    200: {
      description: "The warehouse as now stored.",
      content: { "application/json": { schema: WarehouseSchema } },
    },
    400: errorResponses[400],
    401: errorResponses[401],
    403: errorResponses[403],
    404: errorResponses[404],
    500: errorResponses[500],
  },
});

export function catalogRoutes(ctx: AppContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(categoriesRoute, async (c) => c.json({ items: await categoryTree(ctx.db) }, 200));
  app.openapi(priceTypesRoute, async (c) => c.json({ items: await priceTypes(ctx.db) }, 200));
  app.openapi(warehousesRoute, async (c) => c.json({ items: await warehouses(ctx.db) }, 200));
  app.openapi(priceRolesRoute, async (c) => c.json({ items: await priceRoles(ctx.db) }, 200));

  app.openapi(setPriceTypeRoleRoute, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const role = body.role === null ? null : normalizeRole(body.role);
    const change = await setPriceTypeRole(ctx.db, id, role);
    if (!change) return apiProblem(c, 404, `No price type with Ид ${id}.`);
    // Who priced whom: the log is the audit of pricing changes.
    c.var.log.info({
      priceTypeId: id,
      role,
      previousRole: change.previousRole,
      roleMovedFrom: change.movedFrom,
    }, "price type role set");
    return c.json(change.priceType, 200);
  });

  app.openapi(setServesOrdersRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { servesOrders } = c.req.valid("json");
    const warehouse = await setServesOrders(ctx.db, id, servesOrders);
    if (!warehouse) return apiProblem(c, 404, `No warehouse with Ид ${id}.`);
    c.var.log.info({ warehouseId: id, servesOrders }, "warehouse marked");
    return c.json(warehouse, 200);
  });

  return app;
}
