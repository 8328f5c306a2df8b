/**
 * What every part of the service is handed by the composition root (src/main.ts) or by a
 * test: configuration, the database, the queue, the logger.
 */
import type pg from "pg";
import type { PgBoss } from "pg-boss";
import type { Config } from "./config.ts";
import type { Db } from "../db/pool.ts";
import type { Logger } from "./log.ts";

export interface AppContext {
  config: Config;
  pool: pg.Pool;
  db: Db;
  /** null in a web-only process that has not started the queue yet. */
  boss: PgBoss;
  log: Logger;
  /** Set by main.ts once the queue is started; /readyz reports it. */
  state: { queueStarted: boolean; shuttingDown: boolean };
}

/** Hono variables set by src/http/request-id.ts for every request. */
export type AppEnv = {
  Variables: {
    requestId: string;
    log: Logger;
    apiRole: "admin" | "platform" | "reader";
    /** The API token's identity (its role and a digest of it), set with apiRole. */
    apiCaller: string;
  };
};
