/**
 * pg-boss in the service's own database (schema `pgboss`), on the service's pool.
 * Queue names and their policies live here so every producer and worker agrees on them.
 */
import { PgBoss, type Queue } from "pg-boss";
import type pg from "pg";
import type { Logger } from "./log.ts";
import { ORDER_QUEUES } from "./orders/queues.ts";
import { CUSTOMER_QUEUES } from "./customers/queues.ts";
import { MARKETPLACE_QUEUES } from "./marketplaces/queues.ts";
import { INTEGRATION_LOG_PRUNE_QUEUE } from "./integration-log/queues.ts";

export const QUEUES = {
  /**
   * One file of a catalog exchange. `singleton`: one active import at a time across all
   * workers, the rest wait in order — 1C's files must not interleave. The heartbeat lets a
   * crashed worker's job be retried within a minute instead of after the expiry.
   */
  catalogImport: {
    name: "catalog-import",
    policy: "singleton",
    retryLimit: 3,
    retryDelay: 5,
    retryBackoff: true,
    heartbeatSeconds: 30,
    expireInSeconds: 6 * 3600,
  },
} as const satisfies Record<string, Queue>;

export function createBoss(
  pool: pg.Pool,
  log: Logger,
  opts: { superviseSeconds?: number } = {},
): PgBoss {
  const boss = new PgBoss({
    // Crashed workers' jobs (missed heartbeats) are found on supervise ticks.
    superviseIntervalSeconds: opts.superviseSeconds ?? 15,
    db: {
      executeSql: (text: string, values?: unknown[]) => pool.query(text, values as unknown[]),
    },
    schema: "pgboss",
  });
  // While the database is down every worker loop fails about twice a second: log the first
  // failure of a kind at once, then how often it repeated, at most every 30 s.
  const repeats = new Map<string, { since: number; count: number }>();
  boss.on("error", (err: Error) => {
    const now = Date.now();
    const seen = repeats.get(err.message);
    if (!seen) {
      if (repeats.size > 100) repeats.clear();
      repeats.set(err.message, { since: now, count: 0 });
      log.error({ err: err.message }, "pg-boss error");
    } else if (now - seen.since >= 30_000) {
      log.error({ err: err.message, repeated: seen.count + 1 }, "pg-boss error (repeated)");
      repeats.set(err.message, { since: now, count: 0 });
    } else {
      seen.count++;
    }
  });
  return boss;
}

/** Every queue of every capability: created (or updated) at start, by web and worker alike. */
export const ALL_QUEUES: Queue[] = [
  ...Object.values(QUEUES),
  ...Object.values(ORDER_QUEUES),
  ...Object.values(CUSTOMER_QUEUES),
  ...Object.values(MARKETPLACE_QUEUES),
  INTEGRATION_LOG_PRUNE_QUEUE,
];

export async function ensureQueues(
  boss: PgBoss,
  log?: Logger,
  overrides: Record<string, Partial<Queue>> = {},
): Promise<void> {
  for (const q of ALL_QUEUES) {
    const { name, policy, ...options } = { ...q, ...overrides[q.name] };
    const existing = await boss.getQueue(name);
    if (!existing) {
      await boss.createQueue(name, { policy, ...options });
      continue;
    }
    // pg-boss cannot change a queue's policy once created; the other options follow the code.
    if (policy && existing.policy !== policy) {
      log?.warn({ queue: name, policy: existing.policy, wanted: policy }, "queue policy differs");
    }
    await boss.updateQueue(name, options);
  }
}

/**
 * Workers this process runs, per queue, so that a job sent from here is picked up at once
 * instead of on the next polling tick (up to `pollingIntervalSeconds` later, per file of an
 * exchange). Other instances still find it by polling.
 */
const localWorkers = new WeakMap<PgBoss, Map<string, string>>();

export function rememberLocalWorker(boss: PgBoss, queue: string, workerId: string): void {
  const workers = localWorkers.get(boss) ?? new Map<string, string>();
  workers.set(queue, workerId);
  localWorkers.set(boss, workers);
}

export function forgetLocalWorker(boss: PgBoss, queue: string): void {
  localWorkers.get(boss)?.delete(queue);
}

export function wakeLocalWorker(boss: PgBoss, queue: string): void {
  const id = localWorkers.get(boss)?.get(queue);
  if (id !== undefined) boss.notifyWorker(id);
}
