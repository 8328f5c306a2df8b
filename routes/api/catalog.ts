/**
 * Catalog reference data: GET /api/v1/categories, /api/v1/price-types, /api/v1/warehouses.
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppContext, AppEnv } from "../../src/context.ts";
import { categoryTree, priceTypes, warehouses } from "../../src/catalog/catalog-read-model.ts";
import {
  CategoryListSchema,
  errorResponses,
  PriceTypeListSchema,
  security,
  WarehouseListSchema,
} from "./schemas.ts";

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
  summary: "Price types (ТипыЦен)",
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

const warehousesRoute = createRoute({
  method: "get",
  path: "/warehouses",
  tags: ["Catalog"],
  summary: "Warehouses (Склады)",
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

export function catalogRoutes(ctx: AppContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(categoriesRoute, async (c) => c.json({ items: await categoryTree(ctx.db) }, 200));
  app.openapi(priceTypesRoute, async (c) => c.json({ items: await priceTypes(ctx.db) }, 200));
  app.openapi(warehousesRoute, async (c) => c.json({ items: await warehouses(ctx.db) }, 200));
  return app;
}
