/** /api/v1 routes of the marketplaces capability. */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppContext, AppEnv } from "../../src/context.ts";

export function marketplacesRoutes(_ctx: AppContext): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>();
}
