/**
 * Bearer tokens from API_TOKENS. Comparison is constant-time so a token cannot be guessed
 * byte by byte from response times.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import type { ApiRole } from "../config.ts";
import { problem } from "./problem.ts";
import { timingSafeEqualStr } from "../security/constant-time.ts";
import { lockedOutFor, recordFailure } from "../security/login-throttle.ts";
import { clientIp } from "./client-ip.ts";
import type pg from "pg";

export function apiAuth(
  tokens: { role: ApiRole; token: string }[],
  pool: pg.Pool,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const client = clientIp(c) ?? "unknown";
    const wait = await lockedOutFor(pool, client, "api-token");
    if (wait > 0) {
      c.var.log.warn({ clientIp: client }, "api token throttled: too many failures");
      c.header("Retry-After", String(wait));
      return problem(c, 429, `Too many invalid tokens from ${client}; try again in ${wait} s.`);
    }
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      c.header("WWW-Authenticate", 'Bearer realm="api"');
      return problem(c, 401, "Send Authorization: Bearer <token> (one of API_TOKENS).");
    }
    let role: ApiRole | undefined;
    for (const t of tokens) {
      // Compare against every token, always, so timing does not reveal which one matched.
      if (timingSafeEqualStr(match[1], t.token) && role === undefined) role = t.role;
    }
    if (!role) {
      const failures = await recordFailure(pool, client, "api-token");
      c.var.log.warn({ clientIp: client, failures }, "api token refused");
      c.header("WWW-Authenticate", 'Bearer realm="api", error="invalid_token"');
      return problem(c, 401, "The bearer token is not valid.");
    }
    c.set("apiRole", role);
    await next();
  };
}

/** Route guard: the caller's role must be one of `allowed`. */
export function requireRole(...allowed: ApiRole[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!allowed.includes(c.var.apiRole)) {
      return problem(c, 403, `This needs one of the roles: ${allowed.join(", ")}.`);
    }
    await next();
  };
}
