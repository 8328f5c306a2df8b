/** /api/v1 routes of the customers capability. */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppContext, AppEnv } from "../../src/context.ts";

export function customersRoutes(_ctx: AppContext): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>();
}
