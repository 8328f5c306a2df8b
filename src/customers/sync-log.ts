/**
 * The customer sync log: one row per sync operation on a customer (an imported counterparty,
 * an export attempt, a conflict resolution), written in the transaction that did the work.
 */
import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { SyncLogStatus, SyncOperation } from "../../db/schema-customers.ts";

export interface SyncLogEntry {
  customerId: string | null;
  operation: SyncOperation;
  status: SyncLogStatus;
  details?: Record<string, unknown>;
  errorMessage?: string | null;
}

export async function writeSyncLog(db: Kysely<Database>, entries: SyncLogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.insertInto("customer_sync_log").values(entries.map((e) => ({
    customer_id: e.customerId,
    operation: e.operation,
    status: e.status,
    details: JSON.stringify(e.details ?? {}),
    error_message: e.errorMessage ?? null,
  }))).execute();
}
