/**
 * The integration log as the API and the admin page read it: newest first, narrowed by kind,
 * status, a start time and a text, one page at a time (cursor on (at, id), the order of the
 * table's indexes).
 */
import { sql } from "kysely";
import type { Db } from "../../db/pool.ts";
import type {
  IntegrationDirection,
  IntegrationKind,
  IntegrationStatus,
} from "../../db/schema-integration-log.ts";

export interface IntegrationLogView {
  id: number;
  at: string;
  kind: IntegrationKind;
  direction: IntegrationDirection;
  method: string;
  url: string;
  exchangeType: string | null;
  mode: string | null;
  file: string | null;
  status: IntegrationStatus;
  httpStatus: number | null;
  durationMs: number;
  requestId: string | null;
  ref: string | null;
  clientIp: string | null;
  requestBytes: number | null;
  requestBody: string | null;
  responseBody: string | null;
  error: string | null;
}

export interface IntegrationLogFilter {
  kind?: IntegrationKind;
  status?: IntegrationStatus;
  /** Rows at or after this time. */
  since?: Date;
  /** Matched, case-insensitively and literally, in the URL, file, mode, answer and error. */
  text?: string;
}

/** Where the previous page ended: (at with microseconds, id). */
export interface IntegrationLogCursor {
  at: string;
  id: number;
}

export interface IntegrationLogPage {
  items: IntegrationLogView[];
  next: IntegrationLogCursor | null;
}

export async function listIntegrationLog(
  db: Db,
  filter: IntegrationLogFilter,
  limit: number,
  cursor?: IntegrationLogCursor,
): Promise<IntegrationLogPage> {
  let q = db.selectFrom("integration_log").selectAll().select(
    sql<string>`to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as("at_key"),
  ).orderBy("at", "desc").orderBy("id", "desc").limit(limit + 1);
  if (filter.kind) q = q.where("kind", "=", filter.kind);
  if (filter.status) q = q.where("status", "=", filter.status);
  if (filter.since) q = q.where("at", ">=", filter.since);
  if (filter.text) {
    const like = `%${filter.text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    q = q.where((eb) =>
      eb.or([
        eb("url", "ilike", like),
        eb("file", "ilike", like),
        eb("mode", "ilike", like),
        eb("ref", "ilike", like),
        eb("request_id", "ilike", like),
        eb("response_body", "ilike", like),
        eb("error", "ilike", like),
      ])
    );
  }
  if (cursor) q = q.where(sql<boolean>`(at, id) < (${cursor.at}::timestamptz, ${cursor.id})`);
  const rows = await q.execute();
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      id: Number(r.id),
      at: r.at.toISOString(),
      kind: r.kind,
      direction: r.direction,
      method: r.method,
      url: r.url,
      exchangeType: r.exchange_type,
      mode: r.mode,
      file: r.file,
      status: r.status,
      httpStatus: r.http_status,
      durationMs: r.duration_ms,
      requestId: r.request_id,
      ref: r.ref,
      clientIp: r.client_ip,
      requestBytes: r.request_bytes === null ? null : Number(r.request_bytes),
      requestBody: r.request_body,
      responseBody: r.response_body,
      error: r.error,
    })),
    next: more && last ? { at: last.at_key, id: Number(last.id) } : null,
  };
}
