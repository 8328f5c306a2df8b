/**
 * Raw exchange files are kept for the last N exchanges (replay, audit) and no longer:
 * storage must not grow with every exchange. Runs stay (the audit trail); their files go.
 */
import type pg from "pg";

export async function pruneOldExchanges(pool: pg.Pool, keep: number): Promise<number> {
  const r = await pool.query(
    `DELETE FROM upload_files WHERE session_id IN (
       SELECT s.id FROM exchange_sessions s
       WHERE EXISTS (SELECT 1 FROM upload_files u WHERE u.session_id = s.id)
       ORDER BY s.created_at DESC OFFSET $1)
     AND session_id NOT IN (SELECT session_id FROM import_runs
       WHERE status IN ('queued', 'running') AND session_id IS NOT NULL)`,
    [keep],
  );
  // What old runs saw is only needed by mode=deactivate within an exchange.
  await pool.query(
    `DELETE FROM import_seen WHERE run_id IN (
       SELECT id FROM import_runs WHERE created_at < now() - interval '7 days')`,
  );
  return r.rowCount ?? 0;
}
