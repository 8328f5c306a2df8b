/** The audit of documents 1C sent: GET /api/v1/order-imports. */
import type { Db } from "../../db/pool.ts";
import type { OrderImportRun } from "./status-import.ts";

export interface OrderImportRunView {
  id: string;
  sessionId: string | null;
  fileName: string;
  fileSize: number | null;
  status: "success" | "failed";
  documents: number;
  applied: number;
  unchanged: number;
  unknown: number;
  skipped: number;
  unknownDocuments: { number: string | null; id: string | null }[];
  notes: string[];
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export function importRunView(r: OrderImportRun): OrderImportRunView {
  return {
    id: r.id,
    sessionId: r.session_id,
    fileName: r.file_name,
    fileSize: r.file_size === null ? null : Number(r.file_size),
    status: r.status,
    documents: r.documents,
    applied: r.applied,
    unchanged: r.unchanged,
    unknown: r.unknown,
    skipped: r.skipped,
    unknownDocuments: r.unknown_documents,
    notes: r.errors,
    error: r.error,
    createdAt: r.created_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}

/** Newest first; the cursor is the last id seen. */
export async function listOrderImports(
  db: Db,
  limit: number,
  before: string | undefined,
): Promise<{ items: OrderImportRunView[]; next: string | null }> {
  let q = db.selectFrom("order_import_runs").selectAll().orderBy("id", "desc").limit(limit + 1);
  if (before !== undefined) q = q.where("id", "<", before);
  const rows = await q.execute();
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { items: page.map(importRunView), next: more ? page[page.length - 1].id : null };
}
