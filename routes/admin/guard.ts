/**
 * What every admin response gets (CSP with a per-response nonce, no caching, no framing),
 * and what every admin page needs: a valid session cookie, and on POST the session's CSRF
 * token in the form. The cookie is SameSite=Strict as well; the token also covers browsers
 * that do not honour SameSite.
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import type { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import type { AppEnv } from "../../src/context.ts";
import { type AdminSession, decodeSession, SESSION_COOKIE } from "../../src/admin/session.ts";
import { timingSafeEqualStr } from "../../src/security/constant-time.ts";

export type AdminEnv = {
  Variables: AppEnv["Variables"] & {
    cspNonce: string;
    adminSession: AdminSession;
    form: Record<string, string>;
  };
};

export function securityHeaders(): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const nonce = randomBytes(16).toString("base64");
    c.set("cspNonce", nonce);
    c.header(
      "Content-Security-Policy",
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; ` +
        "connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; " +
        "frame-ancestors 'none'",
    );
    c.header("Cache-Control", "no-store");
    c.header("X-Content-Type-Options", "nosniff");
    c.header("X-Frame-Options", "DENY");
    c.header("Referrer-Policy", "no-referrer");
    await next();
  };
}

/** No valid session: pages go to the login form, the JSON gets a 401. */
export function requireSession(key: Buffer | null): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const session = key ? decodeSession(key, getCookie(c, SESSION_COOKIE)) : null;
    if (!session) {
      if (c.req.path.endsWith(".json")) return c.json({ error: "log in at /admin/login" }, 401);
      return c.redirect("/admin/login", 303);
    }
    c.set("adminSession", session);
    await next();
  };
}

/** Reads the form once (kept in c.var.form) and refuses it without the session's token. */
export function requireCsrf(): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const form = await formFields(c);
    c.set("form", form);
    if (!timingSafeEqualStr(form.csrf ?? "", c.var.adminSession.csrf)) {
      c.var.log.warn({ path: c.req.path }, "admin form refused: missing or wrong CSRF token");
      return c.text("This form has expired or did not come from the admin page: reload it.", 403);
    }
    await next();
  };
}

/** The text fields of a urlencoded or multipart form; files are ignored. */
export async function formFields(c: Context<AdminEnv>): Promise<Record<string, string>> {
  const type = c.req.header("content-type") ?? "";
  if (
    !type.startsWith("application/x-www-form-urlencoded") && !type.startsWith("multipart/form-data")
  ) return {};
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string") out[k] = v;
  return out;
}
