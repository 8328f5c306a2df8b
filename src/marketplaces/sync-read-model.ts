/** The sync log as GET /api/v1/stock-syncs shows it: newest first, cursor-paged. */
import type { Db } from "../../db/pool.ts";
import type {
  MarketplaceSource,
  SyncItemError,
  SyncKind,
  SyncStatus,
  SyncTrigger,
} from "../../db/schema-marketplaces.ts";

export interface SyncRunView {
  id: number;
  source: MarketplaceSource;
  kind: SyncKind;
  trigger: SyncTrigger;
  status: SyncStatus;
  recordsProcessed: number;
  recordsUpdated: number;
  recordsSkipped: number;
  errorMessage: string | null;
  anomaly: string | null;
  itemErrors: SyncItemError[];
  startedAt: string;
  completedAt: string | null;
  durationSeconds: number | null;
}

export interface SyncRunFilter {
  source?: MarketplaceSource;
  status?: SyncStatus;
  kind?: SyncKind;
}

const COLUMNS = [
  "id",
  "source",
  "kind",
  "trigger",
  "status",
  "records_processed",
  "records_updated",
  "records_skipped",
  "error_message",
  "anomaly",
  "item_errors",
  "started_at",
  "completed_at",
] as const;

type Row = {
  id: string;
  source: MarketplaceSource;
  kind: SyncKind;
  trigger: SyncTrigger;
  status: SyncStatus;
  records_processed: number;
  records_updated: number;
  records_skipped: number;
  error_message: string | null;
  anomaly: string | null;
  item_errors: SyncItemError[];
  started_at: Date;
  completed_at: Date | null;
};

function view(r: Row): SyncRunView {
  const started = new Date(r.started_at);
  const completed = r.completed_at ? new Date(r.completed_at) : null;
  return {
    id: Number(r.id),
    source: r.source,
    kind: r.kind,
    trigger: r.trigger,
    status: r.status,
    recordsProcessed: r.records_processed,
    recordsUpdated: r.records_updated,
    recordsSkipped: r.records_skipped,
    errorMessage: r.error_message,
    anomaly: r.anomaly,
    itemErrors: r.item_errors,
    startedAt: started.toISOString(),
    completedAt: completed?.toISOString() ?? null,
    durationSeconds: completed ? (completed.getTime() - started.getTime()) / 1000 : null,
  };
}

export async function listSyncRuns(
  db: Db,
  f: SyncRunFilter,
  limit: number,
  beforeId?: number,
): Promise<{ items: SyncRunView[]; next: number | null }> {
  let q = db.selectFrom("stock_sync_runs").select(COLUMNS);
  if (f.source) q = q.where("source", "=", f.source);
  if (f.status) q = q.where("status", "=", f.status);
  if (f.kind) q = q.where("kind", "=", f.kind);
  if (beforeId !== undefined) q = q.where("id", "<", String(beforeId));
  // Ids grow with creation, so id order is newest-first and a stable cursor.
  const rows = await q.orderBy("id", "desc").limit(limit + 1).execute();
  const shown = rows.slice(0, limit).map(view);
  return { items: shown, next: rows.length > limit ? shown.at(-1)!.id : null };
}

export async function getSyncRun(db: Db, id: number): Promise<SyncRunView | null> {
  const r = await db.selectFrom("stock_sync_runs").select(COLUMNS)
    .where("id", "=", String(id)).executeTakeFirst();
  return r ? view(r) : null;
}
