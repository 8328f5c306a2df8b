/**
 * Each test module gets its own database (created from DATABASE_URL, which tests/run.ts
 * provides), migrated, with its own pg-boss, so modules run in parallel without sharing
 * rows. Nothing here replaces our own code: it is the real app on a real Postgres.
 */
import pg from "pg";
import { type Config, loadConfig } from "../../src/config.ts";
import { createLogger, type Logger } from "../../src/log.ts";
import { openContext, type OpenedContext } from "../../src/bootstrap.ts";
import { createApp } from "../../src/app.ts";
import { createDatabase } from "../../db/embedded.ts";

export interface Harness {
  ctx: OpenedContext;
  app: ReturnType<typeof createApp>;
  url: string;
  /** Captured log lines (JSON strings) for assertions about what was logged. */
  logLines: string[];
  close(): Promise<void>;
}

function baseUrl(): string {
  const url = Deno.env.get("DATABASE_URL");
  if (!url) throw new Error("DATABASE_URL is not set: run the tests with `deno task test`");
  return url;
}

export async function createTestDatabase(prefix: string): Promise<string> {
  const admin = new URL(baseUrl());
  const name = `t_${prefix.replace(/[^a-z0-9]/gi, "_").toLowerCase()}_${
    crypto.randomUUID().slice(0, 8)
  }`;
  const adminUrl = new URL(admin);
  adminUrl.pathname = "/postgres";
  await createDatabase(adminUrl.toString(), name);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropTestDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = u.pathname.slice(1);
  u.pathname = "/postgres";
  const client = new pg.Client({ connectionString: u.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

class CaptureStream {
  constructor(readonly lines: string[]) {}
  write(s: string) {
    this.lines.push(s);
    if (Deno.env.get("TEST_LOG")) Deno.stderr.writeSync(new TextEncoder().encode(s));
  }
}

export async function createHarness(
  name: string,
  opts: {
    env?: Record<string, string>;
    workers?: boolean;
    /** Connect as this role instead (tests that hunt leaked secrets give it a password). */
    connectAs?: { user: string; password: string };
  } = {},
): Promise<Harness> {
  const url = await createTestDatabase(name);
  const connect = new URL(url);
  if (opts.connectAs) {
    connect.username = opts.connectAs.user;
    connect.password = opts.connectAs.password;
  }
  const config: Config = loadConfig({
    ...opts.env,
    DATABASE_URL: connect.toString(),
    LOG_LEVEL: "debug",
  });
  const logLines: string[] = [];
  const log: Logger = createLogger("debug", new CaptureStream(logLines));
  const ctx = await openContext(config, log, connect.toString(), 8);
  const stops: (() => Promise<void>)[] = [];
  if (opts.workers !== false) {
    const { startWorkers } = await import("../../workers/index.ts");
    stops.push(await startWorkers(ctx));
  }
  const app = createApp(ctx);
  return {
    ctx,
    app,
    url,
    logLines,
    async close() {
      for (const s of stops) await s();
      await ctx.close(5000);
      await dropTestDatabase(url);
    },
  };
}
