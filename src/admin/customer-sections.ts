/**
 * The admin page's customer sections: sync stats (src/customers/sync-stats.ts) and the
 * conflict queue with its resolve actions (src/customers/conflicts.ts).
 */
import { syncStats } from "../customers/sync-stats.ts";
import { listConflicts, resolveConflict } from "../customers/conflicts.ts";
import type { AdminActionHandler, AdminSection } from "./section-types.ts";

const show = (v: unknown) => (v === null || v === undefined ? "—" : JSON.stringify(v));

export const customerSyncSection: AdminSection = {
  id: "customer-sync",
  title: "Customer sync stats",
  async load(ctx) {
    const s = await syncStats(ctx.db, ctx.config.customers.timeZone);
    const rate = s.successRate === null ? "—" : `${Math.round(s.successRate * 100)} %`;
    const avg = s.averageSecondsToSynced === null
      ? "—"
      : `${Math.round(s.averageSecondsToSynced)} s`;
    return {
      available: true,
      summary: `Since ${s.since}.`,
      table: {
        columns: [
          "Exported today",
          "Failed attempts",
          "Success rate",
          "Pending",
          "Dead-lettered",
          "Errors",
          "Open conflicts",
          "Registration → synced",
        ],
        rows: [{
          cells: [
            String(s.exportedToday),
            String(s.failedAttemptsToday),
            rate,
            String(s.pending),
            String(s.deadLettered),
            String(s.errors),
            String(s.openConflicts),
            avg,
          ],
        }],
        empty: "",
      },
    };
  },
};

export const conflictSection: AdminSection = {
  id: "conflicts",
  title: "Customer conflict queue",
  async load(ctx) {
    const { items } = await listConflicts(ctx.db, { status: "open" }, 100);
    return {
      available: true,
      table: {
        columns: ["Conflict", "Customer", "Kind", "1C Ид", "Platform", "1C", "Since"],
        rows: items.map((c) => ({
          cells: [
            `#${c.id}`,
            c.customerId,
            c.kind,
            c.onecId ?? "—",
            show(c.platformValues),
            show(c.onecValues),
            c.createdAt,
          ],
          actions: (["keep_platform", "take_1c", "merge"] as const).map((resolution) => ({
            name: "resolve-conflict",
            label: resolution,
            fields: { id: String(c.id), resolution },
          })),
        })),
        empty: "No open conflict.",
      },
    };
  },
};

export const resolveConflictAction: AdminActionHandler = async (ctx, fields) => {
  const resolution = fields.resolution;
  if (!/^\d{1,15}$/.test(fields.id ?? "")) return { ok: false, message: "Bad conflict id." };
  if (resolution !== "keep_platform" && resolution !== "take_1c" && resolution !== "merge") {
    return { ok: false, message: "Bad resolution." };
  }
  const r = await resolveConflict(ctx, fields.id, resolution);
  return r.ok
    ? { ok: true, message: `Conflict #${fields.id} resolved: ${resolution}.` }
    : { ok: false, message: r.detail };
};
