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
import { createHash } from "node:crypto";

/**
 * Addresses found not locked out, for a second: the API's busiest callers are the platform's
 * own servers with valid tokens, and asking Postgres on each of their reads doubled the cost
 * of a product read. A lockout therefore reaches this instance at most a second late, and at
 * once after a failure seen here (the entry is dropped). Locked-out answers are never cached.
 */
const NOT_LOCKED_TTL_MS = 1000;
const MAX_ENTRIES = 10_000;

export function apiAuth(
  tokens: { role: ApiRole; token: string }[],
  pool: pg.Pool,
): MiddlewareHandler<AppEnv> {
  const notLockedUntil = new Map<string, number>();
  const lockedOut = async (client: string): Promise<number> => {
    if ((notLockedUntil.get(client) ?? 0) > Date.now()) return 0;
    const wait = await lockedOutFor(pool, client, "api-token");
    if (wait === 0) {
      if (notLockedUntil.size >= MAX_ENTRIES) notLockedUntil.clear();
      notLockedUntil.set(client, Date.now() + NOT_LOCKED_TTL_MS);
    }
    return wait;
  };
  // Who is calling, for what belongs to one client (Idempotency-Key): a digest of its token —
  // stable when API_TOKENS is reordered, and saying nothing about the token itself.
  const callers = tokens.map((t) =>
    `${t.role}:${createHash("sha256").update(t.token).digest("hex").slice(0, 16)}`
  );
  return async (c, next) => {
    const client = clientIp(c) ?? "unknown";
    const wait = await lockedOut(client);
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
    let caller = "";
    tokens.forEach((t, i) => {
      // Compare against every token, always, so timing does not reveal which one matched.
      if (timingSafeEqualStr(match[1], t.token) && role === undefined) {
        role = t.role;
        caller = callers[i];
      }
    });
    if (!role) {
      notLockedUntil.delete(client);
      const failures = await recordFailure(pool, client, "api-token");
      c.var.log.warn({ clientIp: client, failures }, "api token refused");
      c.header("WWW-Authenticate", 'Bearer realm="api", error="invalid_token"');
      return problem(c, 401, "The bearer token is not valid.");
    }
    c.set("apiRole", role);
    c.set("apiCaller", caller);
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
