/**
 * The integration log: one line per event between the service and the systems around it,
 * newest first, filtered by source, status and text. Each source is a SQL branch of one
 * query; a capability adds its own branch to SOURCES when its data exists.
 */
import { sql } from "kysely";
import * as v from "valibot";
import type { AppContext } from "../context.ts";
import { formatTime } from "./format.ts";
import { type AdminSection, filterValue, type SectionContent } from "./section-types.ts";

interface LogSource {
  id: string;
  label: string;
  /**
   * SELECT of (source, at, status, subject, detail, run_id); status is one of STATUSES.
   * Plain SQL text without parameters: the filters apply around it.
   */
  sql: string;
}

const SOURCES: LogSource[] = [
  {
    id: "exchange",
    label: "1C exchange sessions",
    sql: `SELECT 'exchange'::text AS source, s.created_at AS at,
        CASE WHEN s.closed_at IS NOT NULL THEN 'success'
             WHEN s.expires_at < now() THEN 'expired' ELSE 'active' END AS status,
        s.id AS subject,
        concat('type=', s.type, coalesce(' from ' || s.client_ip, ''), ', ',
          (SELECT count(*) FROM upload_files f WHERE f.session_id = s.id), ' kept file(s)')
          AS detail,
        NULL::bigint AS run_id
      FROM exchange_sessions s`,
  },
  {
    id: "catalog-import",
    label: "Catalog imports",
    sql: `SELECT 'catalog-import'::text, r.created_at,
        CASE WHEN r.status IN ('queued', 'running') THEN 'active' ELSE r.status END,
        r.file_name, coalesce(r.error, r.progress, ''), r.id
      FROM import_runs r`,
  },
];

/** Sources the issue names whose data this service does not record yet. */
const NOT_YET = ["customer sync", "marketplace stock pushes", "orders"];

const STATUSES = ["success", "failed", "active", "expired"] as const;

const Filter = v.object({
  source: v.optional(v.picklist(SOURCES.map((s) => s.id))),
  status: v.optional(v.picklist(STATUSES)),
  q: v.optional(v.pipe(v.string(), v.maxLength(200))),
});

export interface LogEntry {
  source: string;
  at: Date;
  status: string;
  subject: string;
  detail: string;
  runId: number | null;
}

export async function integrationLog(
  ctx: AppContext,
  filter: v.InferOutput<typeof Filter>,
  limit = 100,
): Promise<LogEntry[]> {
  const union = sql.raw(SOURCES.map((s) => s.sql).join("\nUNION ALL\n"));
  // ILIKE patterns: the typed text is matched literally.
  const like = filter.q ? `%${filter.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%` : null;
  const source = filter.source ?? null;
  const status = filter.status ?? null;
  const r = await sql<{
    source: string;
    at: Date;
    status: string;
    subject: string;
    detail: string;
    run_id: string | null;
  }>`SELECT source, at, status, subject, detail, run_id FROM (${union}) AS e
     WHERE (${source}::text IS NULL OR source = ${source})
       AND (${status}::text IS NULL OR status = ${status})
       AND (${like}::text IS NULL OR subject ILIKE ${like} OR detail ILIKE ${like})
     ORDER BY at DESC LIMIT ${limit}`.execute(ctx.db);
  return r.rows.map((row) => ({
    source: row.source,
    at: row.at,
    status: row.status,
    subject: row.subject,
    detail: row.detail,
    runId: row.run_id === null ? null : Number(row.run_id),
  }));
}

export const integrationLogSection: AdminSection = {
  id: "log",
  title: "Integration log",
  async load(ctx, query): Promise<SectionContent> {
    const raw = {
      source: filterValue(query, "log", "source") || undefined,
      status: filterValue(query, "log", "status") || undefined,
      q: filterValue(query, "log", "q") || undefined,
    };
    const parsed = v.safeParse(Filter, raw);
    const filter = parsed.success ? parsed.output : {};
    const entries = await integrationLog(ctx, filter);
    const label = (id: string) => SOURCES.find((s) => s.id === id)?.label ?? id;
    return {
      available: true,
      filters: [
        {
          name: "source",
          label: "Source",
          value: filter.source ?? "",
          options: [
            { value: "", label: "all sources" },
            ...SOURCES.map((s) => ({ value: s.id, label: s.label })),
          ],
        },
        {
          name: "status",
          label: "Status",
          value: filter.status ?? "",
          options: [
            { value: "", label: "any status" },
            ...STATUSES.map((s) => ({ value: s, label: s })),
          ],
        },
        { name: "q", label: "Text", value: filter.q ?? "" },
      ],
      note: parsed.success ? `Not recorded yet: ${NOT_YET.join(", ")}.` : "Unknown filter " +
        "values were ignored.",
      table: {
        columns: ["Time", "Source", "Status", "Subject", "Detail"],
        empty: "Nothing logged matches.",
        rows: entries.map((e) => ({
          cells: [
            formatTime(e.at),
            label(e.source),
            e.status,
            e.runId === null ? e.subject : { text: e.subject, href: `/admin/runs/${e.runId}` },
            e.detail,
          ],
        })),
      },
    };
  },
};
