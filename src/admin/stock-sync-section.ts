/** The admin page's "Stock sync health per marketplace": src/marketplaces/health.ts, as a table. */
import { sourceHealth, SOURCES } from "../marketplaces/health.ts";
import type { AdminSection } from "./section-types.ts";

const dash = (v: string | null | undefined) => v ?? "—";

export const stockSyncSection: AdminSection = {
  id: "stock-sync",
  title: "Stock sync health per marketplace",
  async load(ctx) {
    const rows = [];
    for (const source of SOURCES) {
      const h = await sourceHealth(ctx, source);
      rows.push({
        cells: [
          source,
          h.configured ? "yes" : "no credentials",
          dash(h.lastSuccessAt),
          h.stale ? "STALE" : "fresh",
          h.successRate24h === null ? "—" : `${Math.round(h.successRate24h * 100)} %`,
          h.lastError ? `#${h.lastError.runId}: ${h.lastError.message ?? "failed"}` : "—",
          h.anomaly ? `#${h.anomaly.runId}: ${h.anomaly.message}` : "—",
          dash(h.lastPushAt),
          h.running.map((r) => `#${r.runId} ${r.kind}`).join(", ") || "—",
        ],
      });
    }
    return {
      available: true,
      table: {
        columns: [
          "Source",
          "Configured",
          "Last applied read",
          "Stale",
          "Success (24 h)",
          "Last error",
          "Anomaly",
          "Last push",
          "Running",
        ],
        rows,
        empty: "No marketplace.",
      },
      note: "Start a read or a push with POST /api/v1/stock-syncs (admin).",
    };
  },
};
