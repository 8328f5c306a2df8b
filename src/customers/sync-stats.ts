/**
 * GET /api/v1/customers/sync-stats: "exported today, success rate, pending count,
 * dead-lettered count, average time from registration to synced" (issue 4).
 */
import { sql } from "kysely";
import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import { startOfDay } from "./zoned-time.ts";

/** Registrations this recent make up the average: it should describe the sync as it is now. */
export const AVERAGE_WINDOW_DAYS = 30;

export interface SyncStats {
  /** Start of "today" in CUSTOMER_SYNC_TIMEZONE. */
  since: string;
  /** Successful requests to 1C since `since` (created or updated customers). */
  exportedToday: number;
  /** Export attempts since `since` that failed (each retry counts). */
  failedAttemptsToday: number;
  /** exportedToday / (exportedToday + failedAttemptsToday); null without attempts. */
  successRate: number | null;
  /** Customers waiting to be sent (including ones between retries). */
  pending: number;
  /** Customers whose export ran out of retries and waits in the dead letter queue. */
  deadLettered: number;
  /** Customers 1C rejected or that were dead-lettered (syncStatus=error). */
  errors: number;
  openConflicts: number;
  /** Mean seconds from registration on the platform to 1C's confirmation, recent registrations. */
  averageSecondsToSynced: number | null;
}

export async function syncStats(
  db: Kysely<Database>,
  timeZone: string,
  now = new Date(),
): Promise<SyncStats> {
  const since = startOfDay(now, timeZone);
  const attempts = await db.selectFrom("customer_sync_log")
    .select([
      sql<string>`count(*) FILTER (WHERE status = 'success')`.as("ok"),
      sql<string>`count(*) FILTER (WHERE status = 'error')`.as("failed"),
    ])
    .where("operation", "=", "export_to_1c").where("created_at", ">=", since)
    .executeTakeFirstOrThrow();
  const customers = await db.selectFrom("customers")
    .select([
      sql<string>`count(*) FILTER (WHERE needs_1c_export AND sync_status = 'pending')`.as(
        "pending",
      ),
      sql<string>`count(*) FILTER (WHERE export_dead_lettered_at IS NOT NULL)`.as("dead"),
      sql<string>`count(*) FILTER (WHERE sync_status = 'error')`.as("errors"),
      sql<number | null>`extract(epoch FROM avg(first_synced_at - created_at) FILTER (
        WHERE NOT created_in_1c AND first_synced_at IS NOT NULL
          AND created_at >= ${now}::timestamptz - make_interval(days => ${AVERAGE_WINDOW_DAYS})
      ))::float8`.as("avg"),
    ]).executeTakeFirstOrThrow();
  const conflicts = await db.selectFrom("customer_conflicts")
    .select(sql<string>`count(*)`.as("n")).where("status", "=", "open")
    .executeTakeFirstOrThrow();
  const ok = Number(attempts.ok);
  const failed = Number(attempts.failed);
  return {
    since: since.toISOString(),
    exportedToday: ok,
    failedAttemptsToday: failed,
    successRate: ok + failed === 0 ? null : ok / (ok + failed),
    pending: Number(customers.pending),
    deadLettered: Number(customers.dead),
    errors: Number(customers.errors),
    openConflicts: Number(conflicts.n),
    averageSecondsToSynced: customers.avg === null ? null : Number(customers.avg),
  };
}
