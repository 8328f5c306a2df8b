/**
 * `mode=deactivate&timestamp=T` (newer 1C, Bitrix module): "deactivate all active products
 * and groups whose last-modified time is older than timestamp", i.e. not touched by this
 * full upload. T is our own checkauth `timestamp=` line, so no clock skew is involved.
 *
 * Our rule: products no full run since T listed become inactive — and nothing happens when
 * no full catalog run succeeded since T, or when any run since T failed (a partial exchange
 * must never deactivate).
 */
import type pg from "pg";
import { MARK_CHANGED } from "./writer-sql.ts";

export interface DeactivationResult {
  deactivated: number;
  skippedReason: string | null;
}

/**
 * @param sessionId the session asking: when T is its own checkauth timestamp, its exact start
 * is used, so runs of an earlier exchange in the same second do not count.
 */
export async function deactivateSince(
  pool: pg.Pool,
  sinceUnix: number,
  sessionId?: string,
): Promise<DeactivationResult> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    type RunRow = {
      id: string;
      status: string;
      full_exchange: boolean | null;
      kind: string | null;
    };
    const runs: { rows: RunRow[] } = await client.query(
      `SELECT id, status, full_exchange, kind FROM import_runs
       WHERE created_at >= COALESCE(
         (SELECT created_at FROM exchange_sessions WHERE id = $2 AND started_unix = $1),
         to_timestamp($1))
       ORDER BY id`,
      [sinceUnix, sessionId ?? null],
    );
    const unfinished = runs.rows.filter((r) => r.status === "queued" || r.status === "running");
    const failed = runs.rows.filter((r) => r.status === "failed");
    const fullCatalog = runs.rows.filter((r) =>
      r.status === "success" && r.full_exchange === true &&
      (r.kind === "catalog" || r.kind === "mixed")
    );
    let skippedReason: string | null = null;
    if (unfinished.length) skippedReason = `import run ${unfinished[0].id} has not finished`;
    else if (failed.length) {
      skippedReason = `import run ${failed[0].id} failed: the exchange is incomplete`;
    } else if (!fullCatalog.length) {
      skippedReason = "no full catalog was imported since the timestamp";
    }
    if (skippedReason) {
      await client.query("ROLLBACK");
      return { deactivated: 0, skippedReason };
    }
    const ids = fullCatalog.map((r) => r.id);
    const r = await client.query(
      `UPDATE products t SET is_active = false, updated_at = now() WHERE t.is_active
       AND NOT EXISTS (SELECT 1 FROM import_seen s
         WHERE s.run_id = ANY($1::bigint[]) AND s.kind = 'p' AND s.onec_id = t.onec_id)`,
      [ids],
    );
    if (r.rowCount) await client.query(MARK_CHANGED, [["products"]]);
    await client.query("COMMIT");
    return { deactivated: r.rowCount ?? 0, skippedReason: null };
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}
