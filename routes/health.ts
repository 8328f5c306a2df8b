/**
 * Fly.io health checks. /healthz: the process answers (no I/O). /readyz: it can do its job —
 * database reachable, migrations applied, queue started; 503 with the reason otherwise.
 */
import { Hono } from "hono";
import { sql } from "kysely";
import type { AppContext, AppEnv } from "../src/context.ts";
import { migrationsApplied } from "../db/migrate.ts";

export function healthRoutes(ctx: AppContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const fail = (reason: string) => c.json({ status: "unavailable", reason }, 503);
    if (ctx.state.shuttingDown) return fail("shutting down");
    try {
      await withTimeout(sql`SELECT 1`.execute(ctx.db), 2000);
    } catch (e) {
      return fail(`database unreachable: ${(e as Error).message}`);
    }
    if (!(await migrationsApplied(ctx.db))) return fail("migrations not applied");
    if (!ctx.state.queueStarted) return fail("job queue not started");
    return c.json({ status: "ready" });
  });
  return app;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
