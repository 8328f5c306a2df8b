/**
 * Opens everything a process needs on one database: pool, Kysely, migrations, pg-boss with
 * its queues. Shared by the service (src/main.ts), the CLIs and the tests.
 */
import type { Kysely } from "kysely";
import type { Config } from "./config.ts";
import type { Logger } from "./log.ts";
import type { AppContext } from "./context.ts";
import { createDb, createPool } from "../db/pool.ts";
import { migrateToLatest } from "../db/migrate.ts";
import { createBoss, ensureQueues, QUEUES } from "./queue.ts";

export interface OpenedContext extends AppContext {
  /** Stops the queue (gracefully, running jobs get `graceMs`) and closes the pool. */
  close(graceMs?: number): Promise<void>;
}

export async function openContext(
  config: Config,
  log: Logger,
  databaseUrl: string,
  poolMax = 10,
): Promise<OpenedContext> {
  const pool = createPool(databaseUrl, poolMax);
  const db = createDb(pool);
  await migrateToLatest(db as unknown as Kysely<unknown>);
  const boss = createBoss(pool, log, { superviseSeconds: config.import.superviseSeconds });
  const state = { queueStarted: false, shuttingDown: false };
  await boss.start();
  await ensureQueues(boss, log, {
    [QUEUES.catalogImport.name]: { heartbeatSeconds: config.import.heartbeatSeconds },
  });
  state.queueStarted = true;
  return {
    config,
    pool,
    db,
    boss,
    log,
    state,
    async close(graceMs = 20_000) {
      state.shuttingDown = true;
      await boss.stop({ graceful: true, timeout: graceMs });
      await db.destroy();
    },
  };
}
