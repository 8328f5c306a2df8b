/**
 * Every request gets an X-Request-Id (the caller's, if it sent a sane one), echoed back and
 * bound into a child logger so every log line of the request carries it.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import type { Logger } from "../log.ts";
import { metrics } from "../metrics/registry.ts";

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestId(log: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const id = incoming && SANE_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", id);
    c.set("log", log.child({ requestId: id }));
    c.header("X-Request-Id", id);
    const started = performance.now();
    await next();
    c.header("X-Request-Id", id);
    metrics.httpRequests.inc({
      method: c.req.method,
      status: `${Math.floor(c.res.status / 100)}xx`,
    });
    // The exchange logs its own richer line; keep the access log for everything else short.
    c.var.log.debug({
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
    }, "request");
  };
}
