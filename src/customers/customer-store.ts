/**
 * Customers as the platform registers and edits them (POST/PATCH /api/v1/customers).
 *
 * Issue 4: "POST … creates a customer with needs1cExport=true; PATCH … sets it again only when
 * a significant field changes (email, phone, names, company, tax id, КПП, role), never for
 * customers whose last change came from 1C." The last part is kept by comparing with what 1C
 * has (onec_fields_hash): an edit that only restates 1C's own data sends nothing, and 1C's
 * changes are never sent back to it. The API call never waits on 1C: the export job is queued
 * in the same transaction.
 */
import { sql } from "kysely";
import type { Kysely } from "kysely";
import type { AppContext } from "../context.ts";
import type { Database } from "../../db/schema.ts";
import type { SyncStatus } from "../../db/schema-customers.ts";
import {
  clean,
  type CustomerFields,
  type CustomerRow,
  FIELD_NAMES,
  fieldColumns,
  normalizeEmail,
  rowToFields,
  sameValue,
  SIGNIFICANT_FIELDS,
  significantHash,
} from "./customer-fields.ts";
import { enqueueExport } from "./export-queue.ts";

type Deps = Pick<AppContext, "db" | "boss" | "config">;

export interface CustomerView extends CustomerFields {
  id: string;
  onecId: string | null;
  syncStatus: SyncStatus;
  syncErrorMessage: string | null;
  lastSyncAt: string | null;
  createdIn1c: boolean;
  needs1cExport: boolean;
  createdAt: string;
  updatedAt: string;
}

export function customerView(row: CustomerRow): CustomerView {
  return {
    id: row.id,
    ...rowToFields(row),
    onecId: row.onec_id,
    syncStatus: row.sync_status,
    syncErrorMessage: row.sync_error_message,
    lastSyncAt: row.last_sync_at?.toISOString() ?? null,
    createdIn1c: row.created_in_1c,
    needs1cExport: row.needs_1c_export,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export type StoreResult =
  | { ok: true; customer: CustomerView; exportQueued: boolean }
  | { ok: false; status: 404 | 409 | 422; detail: string };

/** A person needs a name, an organisation its name: 1C cannot file a customer without. */
export function missingName(f: CustomerFields): string | null {
  if (f.customerType === "legal_entity" && clean(f.companyName) === null) {
    return "a legal_entity needs companyName";
  }
  if (f.customerType === "individual" && !clean(f.firstName) && !clean(f.lastName)) {
    return "an individual needs firstName or lastName";
  }
  return null;
}

export async function createCustomer(
  deps: Deps,
  fields: CustomerFields,
  requestId?: string,
): Promise<StoreResult> {
  const missing = missingName(fields);
  if (missing) return { ok: false, status: 422, detail: `Cannot register: ${missing}.` };
  const cc = deps.config.customers.defaultCountryCode;
  return await deps.db.transaction().execute(async (tx): Promise<StoreResult> => {
    const taken = await emailOwner(tx, fields.email, null);
    if (taken) return emailTaken(taken);
    const row = await tx.insertInto("customers").values({
      ...fieldColumns(fields, cc),
      sync_status: "pending",
      needs_1c_export: true,
      last_change_source: "platform",
    }).returningAll().executeTakeFirstOrThrow();
    const job = await enqueueExport(deps, tx, row.id, requestId);
    return { ok: true, customer: customerView(row), exportQueued: job !== null };
  }).catch(uniqueEmail);
}

export async function updateCustomer(
  deps: Deps,
  id: string,
  patch: Partial<CustomerFields>,
  requestId?: string,
): Promise<StoreResult> {
  const cc = deps.config.customers.defaultCountryCode;
  return await deps.db.transaction().execute(async (tx): Promise<StoreResult> => {
    const row = await tx.selectFrom("customers").selectAll().where("id", "=", id).forUpdate()
      .executeTakeFirst();
    if (!row) return { ok: false, status: 404, detail: `No customer ${id}.` };
    const current = rowToFields(row);
    const next: CustomerFields = { ...current };
    const changed: string[] = [];
    for (const k of FIELD_NAMES) {
      if (!(k in patch)) continue;
      const value = patch[k];
      if (value === undefined) continue;
      if (k === "customerType") {
        if (value !== current.customerType) {
          next.customerType = value as CustomerFields["customerType"];
          changed.push(k);
        }
        continue;
      }
      if (sameValue(k, current[k], value, cc) && clean(current[k]) === clean(value)) continue;
      next[k] = clean(value);
      changed.push(k);
    }
    if (changed.length === 0) {
      return { ok: true, customer: customerView(row), exportQueued: false };
    }
    const missing = missingName(next);
    if (missing) return { ok: false, status: 422, detail: `Cannot save: ${missing}.` };
    if (changed.includes("email")) {
      const taken = await emailOwner(tx, next.email, id);
      if (taken) return emailTaken(taken);
    }
    const significant = changed.some((k) => (SIGNIFICANT_FIELDS as readonly string[]).includes(k));
    // What 1C should get is "the significant fields as they are now", unless 1C has exactly
    // that already (an edit undone, or restating 1C's data).
    const needs = significant
      ? significantHash(next, cc) !== row.onec_fields_hash
      : row.needs_1c_export;
    const status: SyncStatus = row.sync_status === "conflict"
      ? "conflict"
      : significant && needs
      ? "pending"
      : !needs && row.sync_status === "pending"
      ? "synced"
      : row.sync_status;
    const saved = await tx.updateTable("customers").set({
      ...fieldColumns(next, cc),
      needs_1c_export: needs,
      sync_status: status,
      ...(significant && needs ? { sync_error_message: null, export_dead_lettered_at: null } : {}),
      last_change_source: "platform",
      updated_at: sql<Date>`now()`,
    }).where("id", "=", id).returningAll().executeTakeFirstOrThrow();
    const job = significant && needs ? await enqueueExport(deps, tx, id, requestId) : null;
    return { ok: true, customer: customerView(saved), exportQueued: job !== null };
  }).catch(uniqueEmail);
}

export async function getCustomer(
  db: Kysely<Database>,
  id: string,
): Promise<CustomerRow | undefined> {
  return await db.selectFrom("customers").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Where the previous page ended: (created_at with microseconds, id). */
export interface CustomerCursor {
  at: string;
  id: string;
}

export async function listCustomers(
  db: Kysely<Database>,
  filter: { syncStatus?: SyncStatus; needs1cExport?: boolean; email?: string; onecId?: string },
  limit: number,
  cursor?: CustomerCursor,
): Promise<{ items: CustomerView[]; next: CustomerCursor | null; total: number }> {
  let q = db.selectFrom("customers");
  if (filter.syncStatus) q = q.where("sync_status", "=", filter.syncStatus);
  if (filter.needs1cExport !== undefined) q = q.where("needs_1c_export", "=", filter.needs1cExport);
  if (filter.email) q = q.where("email_normalized", "=", normalizeEmail(filter.email));
  if (filter.onecId) q = q.where("onec_id", "=", filter.onecId);
  const total = await q.select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow();
  let page = q.selectAll().select(
    sql<string>`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as("key"),
  ).orderBy("created_at").orderBy("id").limit(limit + 1);
  if (cursor) {
    page = page.where(
      sql<boolean>`(created_at, id) > (${cursor.at}::timestamptz, ${cursor.id}::uuid)`,
    );
  }
  const rows = await page.execute();
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  const last = items[items.length - 1];
  return {
    items: items.map(customerView),
    next: more ? { at: last.key, id: last.id } : null,
    total: Number(total.n),
  };
}

async function emailOwner(
  tx: Kysely<Database>,
  email: string | null,
  except: string | null,
): Promise<{ id: string } | undefined> {
  const normalized = normalizeEmail(email);
  if (normalized === null) return undefined;
  let q = tx.selectFrom("customers").select("id").where("email_normalized", "=", normalized);
  if (except !== null) q = q.where("id", "<>", except);
  return await q.executeTakeFirst();
}

function emailTaken(owner: { id: string }): StoreResult {
  return { ok: false, status: 409, detail: `Customer ${owner.id} already has this email.` };
}

/** Two registrations of one email racing: the unique index decides, the loser gets a 409. */
function uniqueEmail(e: unknown): StoreResult {
  if ((e as { code?: string }).code === "23505") {
    return { ok: false, status: 409, detail: "A customer with this email already exists." };
  }
  throw e;
}
