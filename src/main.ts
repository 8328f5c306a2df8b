/**
 * Composition root: config → database (embedded when DATABASE_URL is unset) → migrations →
 * queue → HTTP and/or workers (ROLE=web|worker|all) → graceful shutdown on SIGTERM/SIGINT.
 */
import { ConfigError, loadConfig } from "./config.ts";
import { createLogger, maskUrl } from "./log.ts";
import { serviceDatabase } from "../db/embedded.ts";
import { openContext } from "./bootstrap.ts";
import { createApp } from "./app.ts";
import { startWorkers } from "../workers/index.ts";
import { startMarketplaceScheduler } from "./marketplaces/scheduler.ts";

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

const database = await serviceDatabase(
  config,
  (m) => log.warn({ embedded: m }, "embedded postgres"),
);
const databaseUrl = database.url;
const stopEmbedded = database.stop;
if (database.embedded) {
  log.info(
    { url: maskUrl(databaseUrl) },
    "DATABASE_URL unset: started embedded PostgreSQL under .data/",
  );
}

const ctx = await openContext(config, log, databaseUrl, config.role === "web" ? 10 : 12);

if (config.role !== "web") await startWorkers(ctx);
// Croner fires in every instance; the jobs it enqueues are deduplicated per slot by pg-boss.
const stopScheduler = startMarketplaceScheduler(ctx);

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

/** Running jobs get this long to finish after SIGTERM (Fly's kill_timeout is 60 s). */
const GRACE_MS = 20_000;
/**
 * …and the whole shutdown at most this long. A request or job stuck in a database call that
 * does not heed its abort (a lock wait, a frozen database) would otherwise keep the pool from
 * closing, and the process alive until Fly kills it (tests/faults/sigterm-resume.test.ts).
 * Exiting is safe: its transaction was never committed and dies with the connection, and its
 * job is back in the queue (failed by pg-boss's stop, or found by the missed heartbeat).
 */
const SHUTDOWN_BOUND_MS = GRACE_MS + 5_000;

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  ctx.state.shuttingDown = true;
  log.info({ signal }, "shutting down: no new requests or jobs; finishing what runs");
  const stopped = (async () => {
    // Stop accepting, let in-flight requests finish.
    await server?.shutdown();
    stopScheduler();
    // Running jobs get GRACE_MS to finish; then pg-boss fails them (to be retried) and aborts
    // their signal, the import's transaction rolls back, and the next worker starts it again
    // clean. Nothing is lost or half-applied.
    await ctx.close(GRACE_MS);
    return true;
  })().catch((e) => {
    log.error({ err: (e as Error).message }, "shutdown: closing the queue or the pool failed");
    return true;
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((r) => timer = setTimeout(() => r(false), SHUTDOWN_BOUND_MS));
  if (!(await Promise.race([stopped, late]))) {
    log.warn(
      { afterMs: SHUTDOWN_BOUND_MS },
      "shutdown: work still stuck in the database; exiting anyway (its transaction rolls back)",
    );
  }
  clearTimeout(timer);
  await stopEmbedded();
  log.info("stopped");
  Deno.exit(0);
}
Deno.addSignalListener("SIGTERM", () => shutdown("SIGTERM"));
Deno.addSignalListener("SIGINT", () => shutdown("SIGINT"));
