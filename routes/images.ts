/**
 * GET /images/<Картинка path>: product pictures, public like any shop's. Content addressed:
 * the ETag is the content's sha256, so browsers and CDNs revalidate cheaply when 1C re-sends.
 */
import { Hono } from "hono";
import type { AppContext, AppEnv } from "../src/context.ts";
import { findImage } from "../src/catalog/images.ts";
import { problem } from "../src/http/problem.ts";

export function imageRoutes(ctx: AppContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/images/*", async (c) => {
    const raw = c.req.path.slice("/images/".length);
    let path: string;
    try {
      path = raw.split("/").map(decodeURIComponent).join("/");
    } catch {
      return problem(c, 400, "The image path is not valid URL encoding.");
    }
    const img = await findImage(ctx.pool, path);
    if (!img) return problem(c, 404, `No image at ${path}.`);
    const etag = `"${img.sha256}"`;
    const headers = {
      "Content-Type": img.content_type,
      "ETag": etag,
      // The same path may get new content from 1C: cache, but revalidate after a day.
      "Cache-Control": "public, max-age=86400",
      "X-Content-Type-Options": "nosniff",
    };
    if (c.req.header("if-none-match") === etag) return c.body(null, 304, headers);
    return c.body(new Uint8Array(img.data) as Uint8Array<ArrayBuffer>, 200, headers);
  });
  return app;
}
