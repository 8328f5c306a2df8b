/**
 * 1C re-sends whole catalogs that did not change. A file byte-identical to an earlier
 * successful run, where nothing that file carries changed since (no other import wrote those
 * entities, no deactivation), would change nothing: it is recognised by its sha256 and
 * skipped without parsing — the "unchanged re-import" case costs one read of the file.
 */
import { createHash } from "node:crypto";
import type pg from "pg";

/**
 * The file's identity: a sha256 over the sha256 of each stored chunk, computed by Postgres
 * (~1 GB/s, nothing crosses the wire). Chunk boundaries follow 1C's POSTs (file_limit), so
 * the same file sent with the same settings gets the same identity; with other settings it
 * merely misses the shortcut.
 */
export async function sha256OfUpload(pool: pg.Pool, fileId: string): Promise<string> {
  const r = await pool.query<{ h: Uint8Array }>(
    "SELECT sha256(data) AS h FROM upload_chunks WHERE file_id = $1 ORDER BY seq",
    [fileId],
  );
  const h = createHash("sha256");
  for (const row of r.rows) h.update(row.h);
  return h.digest("hex");
}

export interface IdenticalRun {
  id: string;
  kind: string | null;
  full_exchange: boolean | null;
  deactivation_deferred: boolean;
  counts: Record<string, { created?: number; updated?: number; unchanged?: number }>;
}

/**
 * The earlier run whose result this file would reproduce, or null. Its seen-rows must still
 * exist when it was a full file, so that deactivation works the same.
 */
export async function findIdenticalRun(
  pool: pg.Pool,
  sha256: string,
  beforeRunId: string,
): Promise<IdenticalRun | null> {
  const r = await pool.query<IdenticalRun>(
    `SELECT r.id, r.kind, r.full_exchange, r.deactivation_deferred, r.counts
     FROM import_runs r
     WHERE r.content_sha256 = $1 AND r.status = 'success' AND r.id < $2
       AND r.progress NOT LIKE 'dry run%'
     ORDER BY r.id DESC LIMIT 1`,
    [sha256, beforeRunId],
  );
  const run = r.rows[0];
  if (!run) return null;
  const entities = Object.keys(run.counts);
  const changed = await pool.query(
    `SELECT 1 FROM catalog_changes c, import_runs r
     WHERE r.id = $1 AND c.entity = ANY($2::text[]) AND c.changed_at > r.finished_at LIMIT 1`,
    [run.id, entities],
  );
  if (changed.rowCount) return null;
  if (run.full_exchange) {
    const seen = await pool.query("SELECT 1 FROM import_seen WHERE run_id = $1 LIMIT 1", [run.id]);
    if (!seen.rowCount) return null;
  }
  return run;
}

/** The skipped run inherits what the identical one listed (for mode=deactivate). */
export async function copySeen(pool: pg.Pool, fromRunId: string, toRunId: string): Promise<void> {
  await pool.query(
    "INSERT INTO import_seen (run_id, kind, onec_id) SELECT $2, kind, onec_id FROM import_seen WHERE run_id = $1",
    [fromRunId, toRunId],
  );
}

/** Everything the identical run touched counts as unchanged now. */
export function allUnchanged(counts: IdenticalRun["counts"]) {
  const out: Record<
    string,
    { created: number; updated: number; unchanged: number; deactivated: number; skipped: number }
  > = {};
  for (const [entity, c] of Object.entries(counts)) {
    const total = (c.created ?? 0) + (c.updated ?? 0) + (c.unchanged ?? 0);
    out[entity] = { created: 0, updated: 0, unchanged: total, deactivated: 0, skipped: 0 };
  }
  return out;
}
