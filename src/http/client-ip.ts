import type { Context } from "hono";
import type { AppEnv } from "../context.ts";

/** The client address: Fly's header, the proxy's, or the socket's (Deno.serve's info). */
export function clientIp(c: Context<AppEnv>): string | null {
  const forwarded = c.req.header("fly-client-ip") ??
    c.req.header("x-forwarded-for")?.split(",")[0].trim();
  if (forwarded) return forwarded;
  const info = (c.env as { remoteAddr?: Deno.NetAddr } | undefined)?.remoteAddr;
  return info?.hostname ?? null;
}
