/**
 * Conflicts the import could not decide, and their resolution by a person
 * (GET /api/v1/customers/conflicts, POST …/conflicts/{id}/resolve).
 *
 * - email_linked_to_other: counterparty X gives an email that customer C already has while C
 *   is linked to another counterparty (or X itself maps elsewhere). Nothing was applied.
 *     keep_platform  C stays as it is; X's claim is dismissed.
 *     take_1c        C becomes counterparty X: linked to X, X's values replace C's.
 *     merge          C becomes counterparty X: linked to X, X fills only C's empty fields, and
 *                    the merged customer is sent to 1C.
 * - role_change: 1C gives another price group. Everything else was applied.
 *     keep_platform  the platform's price group stays and is sent to 1C.
 *     take_1c        1C's price group replaces it.
 *     merge          not applicable: a price group is one value (422).
 */
import { sql } from "kysely";
import type { Kysely, Selectable } from "kysely";
import type { AppContext } from "../context.ts";
import type { Database } from "../../db/schema.ts";
import type {
  ConflictResolution,
  CustomerConflictTable,
  SyncStatus,
} from "../../db/schema-customers.ts";
import {
  clean,
  type CustomerFields,
  FIELD_NAMES,
  fieldColumns,
  normalizeEmail,
  rowToFields,
  significantHash,
} from "./customer-fields.ts";
import { type CustomerView, customerView } from "./customer-store.ts";
import { enqueueExport } from "./export-queue.ts";
import { writeSyncLog } from "./sync-log.ts";

type Deps = Pick<AppContext, "db" | "boss" | "config">;
type ConflictRow = Selectable<CustomerConflictTable>;

export function conflictView(r: ConflictRow) {
  return {
    id: Number(r.id),
    customerId: r.customer_id,
    kind: r.kind,
    onecId: r.onec_id,
    platformValues: r.platform_values,
    onecValues: r.onec_values,
    onecChangedAt: r.onec_changed_at?.toISOString() ?? null,
    status: r.status,
    resolution: r.resolution,
    resolvedAt: r.resolved_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
  };
}
export type ConflictView = ReturnType<typeof conflictView>;

export async function listConflicts(
  db: Kysely<Database>,
  filter: { status?: ConflictRow["status"]; customerId?: string },
  limit: number,
  afterId?: number,
): Promise<{ items: ConflictView[]; next: number | null }> {
  let q = db.selectFrom("customer_conflicts").selectAll().orderBy("id").limit(limit + 1);
  if (filter.status) q = q.where("status", "=", filter.status);
  if (filter.customerId) q = q.where("customer_id", "=", filter.customerId);
  if (afterId !== undefined) q = q.where("id", ">", String(afterId));
  const rows = await q.execute();
  const more = rows.length > limit;
  const items = (more ? rows.slice(0, limit) : rows).map(conflictView);
  return { items, next: more ? items[items.length - 1].id : null };
}

export type ResolveResult =
  | { ok: true; conflict: ConflictView; customer: CustomerView }
  | { ok: false; status: 404 | 409 | 422; detail: string };

export async function resolveConflict(
  deps: Deps,
  id: string,
  resolution: ConflictResolution,
  requestId?: string,
): Promise<ResolveResult> {
  const cc = deps.config.customers.defaultCountryCode;
  return await deps.db.transaction().execute(async (tx): Promise<ResolveResult> => {
    const conflict = await tx.selectFrom("customer_conflicts").selectAll().where("id", "=", id)
      .forUpdate().executeTakeFirst();
    if (!conflict) return { ok: false, status: 404, detail: `No conflict ${id}.` };
    if (conflict.status !== "open") {
      return { ok: false, status: 409, detail: `Conflict ${id} is ${conflict.status} already.` };
    }
    const row = await tx.selectFrom("customers").selectAll()
      .where("id", "=", conflict.customer_id).forUpdate().executeTakeFirstOrThrow();
    const current = rowToFields(row);
    const onec = conflict.onec_values;
    let next: CustomerFields = current;
    let link = false;
    let needs = row.needs_1c_export;
    let resetOnecHash = false;

    if (conflict.kind === "role_change") {
      if (resolution === "merge") {
        return {
          ok: false,
          status: 422,
          detail: "A price group is one value: resolve with keep_platform or take_1c.",
        };
      }
      if (resolution === "keep_platform") {
        needs = true;
        resetOnecHash = true; // 1C has another role: what it has is no longer ours
      } else {
        next = { ...current, role: clean(onec.role) };
      }
    } else if (resolution !== "keep_platform") {
      const holder = await tx.selectFrom("customers").select("id")
        .where("onec_id", "=", conflict.onec_id).where("id", "<>", row.id).executeTakeFirst();
      if (holder) {
        return {
          ok: false,
          status: 409,
          detail: `Customer ${holder.id} is linked to counterparty ${conflict.onec_id}; ` +
            "resolve with keep_platform, or merge the two customers first.",
        };
      }
      link = true;
      next = { ...current };
      for (const k of FIELD_NAMES) {
        const v = k === "customerType" ? onec.customerType : clean(onec[k]);
        if (v === null || v === undefined) continue;
        if (resolution === "take_1c" || clean(current[k] as string | null) === null) {
          (next as unknown as Record<string, string | null>)[k] = v;
        }
      }
      if (normalizeEmail(next.email) !== row.email_normalized) {
        const owner = await tx.selectFrom("customers").select("id")
          .where("email_normalized", "=", normalizeEmail(next.email))
          .where("id", "<>", row.id).executeTakeFirst();
        if (owner) {
          return {
            ok: false,
            status: 409,
            detail: `Customer ${owner.id} has the email 1C gives; change it there first.`,
          };
        }
      }
      // take_1c: 1C's data is the customer's; merge: the merged result is news to 1C.
      needs = resolution === "merge" ? true : row.needs_1c_export;
      resetOnecHash = resolution === "merge";
    }

    await tx.updateTable("customer_conflicts").set({
      status: "resolved",
      resolution,
      resolved_at: sql<Date>`now()`,
    }).where("id", "=", id).execute();
    const stillOpen = await tx.selectFrom("customer_conflicts").select("id")
      .where("customer_id", "=", row.id).where("status", "=", "open").executeTakeFirst();
    const status: SyncStatus = stillOpen
      ? "conflict"
      : needs
      ? "pending"
      : row.onec_id !== null || link
      ? "synced"
      : "pending";
    const fromOnec = resolution === "take_1c";
    const saved = await tx.updateTable("customers").set({
      ...fieldColumns(next, cc),
      ...(link
        ? {
          onec_id: conflict.onec_id,
          onec_version: conflict.onec_version,
          onec_changed_at: conflict.onec_changed_at,
          // Re-applying the record X sends next time is fine now that the customer is X.
          import_hash: null,
        }
        : {}),
      needs_1c_export: needs,
      sync_status: status,
      ...(resetOnecHash ? { onec_fields_hash: null } : {}),
      ...(fromOnec && !needs ? { onec_fields_hash: significantHash(next, cc) } : {}),
      ...(next !== current
        ? {
          updated_at: sql<Date>`now()`,
          last_change_source: fromOnec ? "1c" as const : "platform" as const,
        }
        : {}),
    }).where("id", "=", row.id).returningAll().executeTakeFirstOrThrow();
    await writeSyncLog(tx, [{
      customerId: row.id,
      operation: "sync_changes",
      status: "success",
      details: { action: "conflict resolved", conflictId: id, kind: conflict.kind, resolution },
    }]);
    if (needs) await enqueueExport(deps, tx, row.id, requestId);
    const resolved = await tx.selectFrom("customer_conflicts").selectAll().where("id", "=", id)
      .executeTakeFirstOrThrow();
    return { ok: true, conflict: conflictView(resolved), customer: customerView(saved) };
  });
}
