/**
 * The admin page's integration log: the newest rows of `integration_log` (every request of
 * 1C's exchange, every call to 1C's HTTP service, Ozon and Wildberries), filtered by kind,
 * status and text. The same read model as GET /api/v1/integration-log.
 */
import * as v from "valibot";
import {
  INTEGRATION_KINDS,
  INTEGRATION_STATUSES,
  type IntegrationKind,
} from "../../db/schema-integration-log.ts";
import { type IntegrationLogView, listIntegrationLog } from "../integration-log/read-model.ts";
import { formatBytes, formatTime } from "./format.ts";
import { type AdminSection, filterValue, type SectionContent } from "./section-types.ts";

/** Rows shown; the API pages through the rest. */
const ROWS = 100;
/** Characters of an answer or error shown in a cell. */
const DETAIL_CHARS = 300;

const KIND_LABELS: Record<IntegrationKind, string> = {
  "exchange": "1C exchange",
  "onec-http": "1C HTTP service",
  "ozon": "Ozon",
  "wildberries": "Wildberries",
};

const Filter = v.object({
  kind: v.optional(v.picklist(INTEGRATION_KINDS)),
  status: v.optional(v.picklist(INTEGRATION_STATUSES)),
  q: v.optional(v.pipe(v.string(), v.maxLength(200))),
});

/** Exchange: "catalog import offers.xml"; outbound: "POST /v2/products/stocks". */
function request(e: IntegrationLogView): string {
  if (e.kind === "exchange") {
    const size = e.requestBytes === null ? "" : ` (${formatBytes(e.requestBytes)})`;
    return [e.exchangeType, e.mode, e.file].filter(Boolean).join(" ") + size || e.url;
  }
  let path = e.url;
  try {
    const u = new URL(e.url);
    path = u.pathname + u.search;
  } catch { /* shown as stored */ }
  return `${e.method} ${path}`;
}

/** What came back: the answer's lines after 1C's verdict, the HTTP status, or the error. */
function detail(e: IntegrationLogView): string {
  const squeeze = (s: string) => {
    const t = s.replace(/\s+/g, " ").trim();
    return t.length > DETAIL_CHARS ? `${t.slice(0, DETAIL_CHARS)}…` : t;
  };
  if (e.kind === "exchange") {
    const lines = (e.responseBody ?? "").split("\n");
    const said = e.responseBody?.startsWith("<") ? "XML document" : lines.slice(1).join(" · ");
    return squeeze([said, e.error].filter(Boolean).join(" — "));
  }
  const status = e.httpStatus === null ? "no answer" : `HTTP ${e.httpStatus}`;
  const why = e.error ?? (e.status === "success" ? "" : e.responseBody ?? "");
  return squeeze([status, e.ref, why].filter(Boolean).join(" · "));
}

export const integrationLogSection: AdminSection = {
  id: "log",
  title: "Integration log",
  async load(ctx, query): Promise<SectionContent> {
    const raw = {
      kind: filterValue(query, "log", "kind") || undefined,
      status: filterValue(query, "log", "status") || undefined,
      q: filterValue(query, "log", "q") || undefined,
    };
    const parsed = v.safeParse(Filter, raw);
    const filter = parsed.success ? parsed.output : {};
    const page = await listIntegrationLog(
      ctx.db,
      { kind: filter.kind, status: filter.status, text: filter.q },
      ROWS,
    );
    const days = ctx.config.integrationLog.retentionDays;
    return {
      available: true,
      filters: [
        {
          name: "kind",
          label: "Kind",
          value: filter.kind ?? "",
          options: [
            { value: "", label: "all kinds" },
            ...INTEGRATION_KINDS.map((k) => ({ value: k, label: KIND_LABELS[k] })),
          ],
        },
        {
          name: "status",
          label: "Status",
          value: filter.status ?? "",
          options: [
            { value: "", label: "any status" },
            ...INTEGRATION_STATUSES.map((s) => ({ value: s, label: s })),
          ],
        },
        { name: "q", label: "Text", value: filter.q ?? "" },
      ],
      note: (parsed.success ? "" : "Unknown filter values were ignored. ") +
        `The newest ${ROWS} matching entries; all of them (kept ${days} days) at ` +
        "GET /api/v1/integration-log.",
      table: {
        columns: ["Time", "Kind", "Status", "Request", "Detail", "Duration"],
        empty: "Nothing logged matches.",
        rows: page.items.map((e) => ({
          cells: [
            formatTime(e.at),
            KIND_LABELS[e.kind],
            e.status,
            request(e),
            detail(e),
            `${e.durationMs} ms`,
          ],
        })),
      },
    };
  },
};
