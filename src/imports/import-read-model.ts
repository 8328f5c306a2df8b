/**
 * The import audit as the read API shows it: one row per (session, file) import run, newest
 * first.
 */
import { sql } from "kysely";
import type { Db } from "../../db/pool.ts";
import type { ImportCounts } from "../../db/schema.ts";

export type ImportStatus = "queued" | "running" | "success" | "failed";

export interface ImportRunView {
  id: number;
  sessionId: string | null;
  fileName: string;
  kind: string | null;
  status: ImportStatus;
  progress: string | null;
  fileSize: number | null;
  bytesRead: number;
  fullExchange: boolean | null;
  counts: ImportCounts;
  errors: string[];
  error: string | null;
  requestId: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationSeconds: number | null;
}

/** Where the previous page ended: (created_at with microseconds, id). */
export interface ImportCursor {
  at: string;
  id: number;
}

export interface ImportPage {
  items: ImportRunView[];
  next: ImportCursor | null;
}

function runs(db: Db) {
  return db.selectFrom("import_runs").select([
    "id",
    "session_id",
    "file_name",
    "kind",
    "status",
    "progress",
    "file_size",
    "bytes_read",
    "full_exchange",
    "counts",
    "errors",
    "error",
    "request_id",
    "created_at",
    "started_at",
    "finished_at",
    sql<string>`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as(
      "created_key",
    ),
  ]);
}

export async function listImports(
  db: Db,
  filter: { status?: ImportStatus },
  limit: number,
  cursor?: ImportCursor,
): Promise<ImportPage> {
  // Same order as the import_runs_created index, so a page is an index range scan.
  let q = runs(db).orderBy("created_at", "desc").orderBy("id", "desc").limit(limit + 1);
  if (filter.status) q = q.where("status", "=", filter.status);
  if (cursor) {
    q = q.where(sql<boolean>`(created_at, id) < (${cursor.at}::timestamptz, ${cursor.id})`);
  }
  const rows = await q.execute();
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  return {
    items: page.map(view),
    next: more ? { at: last.created_key, id: Number(last.id) } : null,
  };
}

export async function getImport(db: Db, id: number): Promise<ImportRunView | undefined> {
  const row = await runs(db).where(sql<boolean>`id = ${id}`).executeTakeFirst();
  return row ? view(row) : undefined;
}

type RunRow = Awaited<ReturnType<ReturnType<typeof runs>["executeTakeFirstOrThrow"]>>;

function view(r: RunRow): ImportRunView {
  const started = r.started_at === null ? null : toDate(r.started_at);
  const finished = r.finished_at === null ? null : toDate(r.finished_at);
  return {
    id: Number(r.id),
    sessionId: r.session_id,
    fileName: r.file_name,
    kind: r.kind,
    status: r.status as ImportStatus,
    progress: r.progress,
    fileSize: r.file_size === null ? null : Number(r.file_size),
    bytesRead: Number(r.bytes_read),
    fullExchange: r.full_exchange,
    counts: asObject(r.counts) as ImportCounts,
    errors: Array.isArray(r.errors) ? r.errors.map(String) : [],
    error: r.error,
    requestId: r.request_id,
    createdAt: toDate(r.created_at).toISOString(),
    startedAt: started?.toISOString() ?? null,
    finishedAt: finished?.toISOString() ?? null,
    durationSeconds: started && finished ? (finished.getTime() - started.getTime()) / 1000 : null,
  };
}

/** pg returns timestamptz as Date; db/schema.ts's Generated<> wrapping hides that from types. */
function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : {};
}
