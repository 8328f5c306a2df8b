/**
 * The admin page's session: a stateless cookie `v1.<payload>.<mac>`, HMAC-SHA256 over the
 * payload. The key is derived from the configured admin tokens, so every instance of the
 * service validates every other instance's cookies without shared state, and removing or
 * rotating an admin token in API_TOKENS ends every session at once.
 */
import { Buffer } from "node:buffer";
import { createHmac, randomBytes } from "node:crypto";
import * as v from "valibot";
import type { ApiRole } from "../config.ts";
import { timingSafeEqualStr } from "../security/constant-time.ts";

export const SESSION_COOKIE = "admin_session";
export const SESSION_SECONDS = 8 * 3600;

export interface AdminSession {
  /** Unix seconds after which the cookie is refused. */
  exp: number;
  /** Echoed in every form and compared on every POST (CSRF). */
  csrf: string;
}

const Payload = v.object({
  exp: v.pipe(v.number(), v.integer()),
  csrf: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{16,64}$/)),
});

/**
 * The signing key, or null when no admin token is configured (nobody can log in). Sorted so
 * the order of API_TOKENS does not matter; a domain label so the key is never the same as
 * any other use of the tokens.
 */
export function sessionKey(tokens: { role: ApiRole; token: string }[]): Buffer | null {
  const admin = tokens.filter((t) => t.role === "admin").map((t) => t.token).sort();
  if (admin.length === 0) return null;
  return createHmac("sha256", "onec-exchange admin session key v1")
    .update(admin.join("\n")).digest();
}

const b64 = (buf: Buffer | string) => Buffer.from(buf).toString("base64url");
const mac = (key: Buffer, data: string) => createHmac("sha256", key).update(data).digest();

export function newSession(nowSeconds = Math.floor(Date.now() / 1000)): AdminSession {
  return { exp: nowSeconds + SESSION_SECONDS, csrf: randomBytes(24).toString("base64url") };
}

export function encodeSession(key: Buffer, session: AdminSession): string {
  const body = `v1.${b64(JSON.stringify(session))}`;
  return `${body}.${b64(mac(key, body))}`;
}

/** The session a cookie carries, or null when it is forged, damaged or expired. */
export function decodeSession(
  key: Buffer,
  cookie: string | undefined,
  nowSeconds = Math.floor(Date.now() / 1000),
): AdminSession | null {
  if (!cookie) return null;
  const parts = cookie.split(".");
  if (parts.length !== 3 || parts[0] !== "v1") return null;
  const body = `${parts[0]}.${parts[1]}`;
  if (!timingSafeEqualStr(parts[2], b64(mac(key, body)))) return null;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  } catch {
    return null;
  }
  const parsed = v.safeParse(Payload, json);
  if (!parsed.success || parsed.output.exp <= nowSeconds) return null;
  return parsed.output;
}

/**
 * A short message carried through a redirect (`?notice=…&sig=…`), signed with the session's
 * CSRF token so a crafted link cannot put words on the admin page.
 */
export function signNotice(key: Buffer, session: AdminSession, text: string): string {
  return b64(mac(key, `notice\n${session.csrf}\n${text}`));
}

export function noticeIsGenuine(
  key: Buffer,
  session: AdminSession,
  text: string,
  sig: string,
): boolean {
  return timingSafeEqualStr(sig, signNotice(key, session, text));
}
