/**
 * The HTTP side: small sub-apps composed with `app.route`. Tests drive it in-process with
 * `app.request(...)`; src/main.ts serves it.
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppContext, AppEnv } from "./context.ts";
import { requestId } from "./http/request-id.ts";
import { problem } from "./http/problem.ts";
import { isDatabaseUnavailable } from "../db/unavailable.ts";
import { healthRoutes } from "../routes/health.ts";
import { exchangeRoutes } from "../routes/exchange.ts";
import { apiRoutes } from "../routes/api/index.ts";
import { adminRoutes } from "../routes/admin/index.ts";
import { imageRoutes } from "../routes/images.ts";
import { metricsRoutes } from "../routes/metrics.ts";

export function createApp(ctx: AppContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requestId(ctx.log));
  app.route("/", healthRoutes(ctx));
  app.route("/", exchangeRoutes(ctx));
  app.route("/", metricsRoutes(ctx));
  app.route("/", imageRoutes(ctx));
  app.route("/", adminRoutes(ctx));
  app.route("/", apiRoutes(ctx));
  app.notFound((c) => problem(c, 404, `No route for ${c.req.method} ${c.req.path}.`));
  app.onError((err, c) => {
    // Hono's own client errors (malformed JSON, body too large…) keep their status.
    if (err instanceof HTTPException && err.status < 500) {
      return problem(c, err.status, err.message || "The request could not be read.");
    }
    if (isDatabaseUnavailable(err)) {
      (c.var.log ?? ctx.log).warn({ err: err.message }, "database unavailable");
      c.header("Retry-After", "5");
      return problem(c, 503, "The database is unavailable; retry shortly.", {
        requestId: c.var.requestId,
      });
    }
    (c.var.log ?? ctx.log).error({ err: err.message, stack: err.stack }, "unhandled error");
    return problem(c, 500, "Internal error; the request id identifies it in the logs.", {
      requestId: c.var.requestId,
    });
  });
  return app;
}
