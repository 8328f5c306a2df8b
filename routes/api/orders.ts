/** /api/v1 routes of the orders capability. */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppContext, AppEnv } from "../../src/context.ts";

export function ordersRoutes(_ctx: AppContext): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>();
}
