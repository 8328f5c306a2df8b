/**
 * Composition root: config → database (embedded when DATABASE_URL is unset) → migrations →
 * queue → HTTP and/or workers (ROLE=web|worker|all) → graceful shutdown on SIGTERM/SIGINT.
 */
import { ConfigError, loadConfig } from "./config.ts";
import { createLogger, maskUrl } from "./log.ts";
import { createDb, createPool } from "../db/pool.ts";
import { migrateToLatest } from "../db/migrate.ts";
import { startEmbeddedPostgres } from "../db/embedded.ts";
import { createBoss, ensureQueues } from "./queue.ts";
import { createApp } from "./app.ts";
import type { AppContext } from "./context.ts";
import { startWorkers } from "../workers/index.ts";
import type { Kysely } from "kysely";

let config;
try {
  config = loadConfig();
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(`configuration error: ${e.message}`);
    Deno.exit(1);
  }
  throw e;
}
const log = createLogger(config.logLevel);

let stopEmbedded = () => Promise.resolve();
let databaseUrl = config.databaseUrl;
if (!databaseUrl) {
  const pg = await startEmbeddedPostgres({
    dir: `${config.dataDir}/pg`,
    port: 54320,
    database: "onec_exchange",
    log: (m) => log.warn({ embedded: m }, "embedded postgres"),
  });
  databaseUrl = pg.url;
  stopEmbedded = pg.stop;
  log.info(
    { url: maskUrl(databaseUrl) },
    "DATABASE_URL unset: started embedded PostgreSQL under .data/",
  );
}

const pool = createPool(databaseUrl, config.role === "web" ? 10 : 12);
const db = createDb(pool);
await migrateToLatest(db as unknown as Kysely<unknown>);
const boss = createBoss(pool, log);
const ctx: AppContext = {
  config,
  pool,
  db,
  boss,
  log,
  state: { queueStarted: false, shuttingDown: false },
};
await boss.start();
await ensureQueues(boss);
ctx.state.queueStarted = true;

if (config.role !== "web") await startWorkers(ctx);

let server: Deno.HttpServer | null = null;
if (config.role !== "worker") {
  const app = createApp(ctx);
  server = Deno.serve({
    port: config.port,
    hostname: "0.0.0.0",
    onListen: ({ port }) => log.info({ port, role: config.role }, "listening"),
  }, app.fetch);
} else {
  log.info({ role: config.role }, "worker started");
}

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  ctx.state.shuttingDown = true;
  log.info({ signal }, "shutting down: no new requests or jobs; finishing what runs");
  // Stop accepting, let in-flight requests finish.
  await server?.shutdown();
  // Running jobs get 20 s to finish; then pg-boss fails them (to be retried) and aborts their
  // signal, the import's transaction rolls back, and the next worker starts it again clean.
  // Nothing is lost or half-applied. (Fly's kill_timeout is 60 s.)
  await boss.stop({ graceful: true, timeout: 20_000 });
  await db.destroy();
  await stopEmbedded();
  log.info("stopped");
  Deno.exit(0);
}
Deno.addSignalListener("SIGTERM", () => shutdown("SIGTERM"));
Deno.addSignalListener("SIGINT", () => shutdown("SIGINT"));
