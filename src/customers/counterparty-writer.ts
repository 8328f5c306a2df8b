/**
 * Applies what 1C says about customers to the customers table, one batch per transaction.
 *
 * Issue 4, "Import from 1C":
 *   "Identity resolution in this order: onecId, then email (case-insensitive, trimmed), then
 *    normalized phone (E.164) together with full name. Found → update; not found → create with
 *    createdIn1c=true, syncStatus=synced."
 *   "Conflicts: the same email already linked to another onecId → a conflict record for manual
 *    review, nothing overwritten; field mismatch → latest change wins (by 1C's version/date vs
 *    our updatedAt); a role/price-group change → manual review."
 *
 * The candidates of a batch are read (and locked) with three set-based lookups, then each
 * record is resolved in memory in file order, so a counterparty listed twice in one batch
 * (a buyer of several orders) resolves to the customer the first one created.
 */
import { sql } from "kysely";
import type { Kysely } from "kysely";
import type { AppContext } from "../context.ts";
import type { Database } from "../../db/schema.ts";
import type { ConflictKind, ConflictValues } from "../../db/schema-customers.ts";
import type { IncomingCustomer } from "./counterparty-mapping.ts";
import {
  clean,
  type CustomerFields,
  type CustomerRow,
  FIELD_NAMES,
  fieldColumns,
  nameKey,
  normalizeEmail,
  rowToFields,
  sameValue,
  sha256,
  SIGNIFICANT_FIELDS,
  significantHash,
} from "./customer-fields.ts";
import { toE164 } from "./phone.ts";
import { enqueueExport } from "./export-queue.ts";
import { type SyncLogEntry, writeSyncLog } from "./sync-log.ts";

export type MatchPath = "onec_id" | "email" | "phone_name";

export type Outcome =
  | { result: "created"; customerId: string }
  | {
    result: "updated";
    customerId: string;
    match: MatchPath;
    /** Fields 1C changed, and fields where the platform's later change was kept. */
    taken: string[];
    kept: string[];
  }
  | { result: "unchanged"; customerId: string }
  | {
    result: "conflict";
    customerId: string;
    conflictId: string;
    kind: ConflictKind;
    taken?: string[];
    kept?: string[];
  }
  | { result: "skipped"; customerId: string | null; reason: string };

type Deps = Pick<AppContext, "boss" | "config">;

interface Indexes {
  byId: Map<string, CustomerRow>;
  byEmail: Map<string, CustomerRow>;
  byPhone: Map<string, CustomerRow[]>;
}

/**
 * Resolves and writes one batch inside `tx`. The outcomes are in the order of `items`; each
 * also became a row of the sync log.
 */
export async function applyIncoming(
  deps: Deps,
  tx: Kysely<Database>,
  items: IncomingCustomer[],
  opts: { runId: string | null; requestId?: string },
): Promise<Outcome[]> {
  const cc = deps.config.customers.defaultCountryCode;
  const idx = await lockCandidates(tx, items, cc);
  const log: SyncLogEntry[] = [];
  const outcomes: Outcome[] = [];
  for (const item of items) {
    const outcome = await applyOne(deps, tx, idx, item, opts);
    outcomes.push(outcome);
    log.push(logEntry(item, outcome, opts.runId));
  }
  await writeSyncLog(tx, log);
  return outcomes;
}

async function lockCandidates(
  tx: Kysely<Database>,
  items: IncomingCustomer[],
  cc: string,
): Promise<Indexes> {
  const ids = [...new Set(items.map((i) => i.onecId))];
  const emails = [...new Set(items.flatMap((i) => normalizeEmail(i.fields.email) ?? []))];
  const phones = [...new Set(items.flatMap((i) => toE164(i.fields.phone, cc) ?? []))];
  // Locked in id order, so two transactions touching the same customers cannot deadlock.
  const rows = await tx.selectFrom("customers").selectAll()
    .where(sql<boolean>`onec_id = ANY(${ids}::text[])
      OR email_normalized = ANY(${emails}::text[])
      OR phone_e164 = ANY(${phones}::text[])`)
    .orderBy("id").forUpdate().execute();
  const idx: Indexes = { byId: new Map(), byEmail: new Map(), byPhone: new Map() };
  for (const row of rows) addToIndexes(idx, row);
  return idx;
}

function addToIndexes(idx: Indexes, row: CustomerRow): void {
  if (row.onec_id !== null) idx.byId.set(row.onec_id, row);
  if (row.email_normalized !== null) idx.byEmail.set(row.email_normalized, row);
  if (row.phone_e164 !== null) {
    const list = idx.byPhone.get(row.phone_e164) ?? [];
    idx.byPhone.set(row.phone_e164, [...list.filter((r) => r.id !== row.id), row]);
  }
}

function removeFromIndexes(idx: Indexes, row: CustomerRow): void {
  if (row.onec_id !== null && idx.byId.get(row.onec_id)?.id === row.id) {
    idx.byId.delete(row.onec_id);
  }
  if (row.email_normalized !== null && idx.byEmail.get(row.email_normalized)?.id === row.id) {
    idx.byEmail.delete(row.email_normalized);
  }
  if (row.phone_e164 !== null) {
    const list = (idx.byPhone.get(row.phone_e164) ?? []).filter((r) => r.id !== row.id);
    idx.byPhone.set(row.phone_e164, list);
  }
}

/** Identity of one record of the file: the same record imported again changes nothing. */
function incomingHash(item: IncomingCustomer): string {
  return sha256(JSON.stringify([
    item.onecId,
    item.version,
    FIELD_NAMES.map((k) => item.fields[k]),
    item.typeKnown,
    item.changedAt?.toISOString() ?? null,
  ]));
}

async function applyOne(
  deps: Deps,
  tx: Kysely<Database>,
  idx: Indexes,
  item: IncomingCustomer,
  opts: { runId: string | null; requestId?: string },
): Promise<Outcome> {
  const cc = deps.config.customers.defaultCountryCode;
  const hash = incomingHash(item);
  const email = normalizeEmail(item.fields.email);

  const byId = idx.byId.get(item.onecId);
  if (byId) return await update(deps, tx, idx, byId, item, hash, "onec_id", opts);

  const owner = email === null ? undefined : idx.byEmail.get(email);
  if (owner) {
    if (owner.onec_id !== null) {
      return await conflict(tx, idx, owner, "email_linked_to_other", item, hash, opts.runId, {
        emailHeldBy: owner.id,
      });
    }
    return await update(deps, tx, idx, owner, item, hash, "email", opts);
  }

  const phone = toE164(item.fields.phone, cc);
  const name = nameKey(item.fields);
  if (phone !== null && name !== null) {
    // Only customers 1C does not know yet: one linked to another Ид is another counterparty.
    const match = (idx.byPhone.get(phone) ?? [])
      .filter((r) => r.onec_id === null && nameKey(rowToFields(r)) === name)
      .sort((a, b) => a.created_at.getTime() - b.created_at.getTime())[0];
    if (match) return await update(deps, tx, idx, match, item, hash, "phone_name", opts);
  }

  return await create(deps, tx, idx, item, hash);
}

async function create(
  deps: Deps,
  tx: Kysely<Database>,
  idx: Indexes,
  item: IncomingCustomer,
  hash: string,
): Promise<Outcome> {
  const cc = deps.config.customers.defaultCountryCode;
  const row = await tx.insertInto("customers").values({
    ...fieldColumns(item.fields, cc),
    onec_id: item.onecId,
    onec_version: item.version,
    onec_changed_at: item.changedAt ?? sql<Date>`now()`,
    sync_status: "synced",
    last_sync_at: sql<Date>`now()`,
    first_synced_at: sql<Date>`now()`,
    created_in_1c: true,
    needs_1c_export: false,
    last_change_source: "1c",
    onec_fields_hash: significantHash(item.fields, cc),
    import_hash: hash,
  }).returningAll().executeTakeFirstOrThrow();
  addToIndexes(idx, row);
  return { result: "created", customerId: row.id };
}

async function update(
  deps: Deps,
  tx: Kysely<Database>,
  idx: Indexes,
  row: CustomerRow,
  item: IncomingCustomer,
  hash: string,
  match: MatchPath,
  opts: { runId: string | null; requestId?: string },
): Promise<Outcome> {
  const cc = deps.config.customers.defaultCountryCode;
  if (match === "onec_id" && row.import_hash === hash) {
    return { result: "unchanged", customerId: row.id };
  }
  if (
    match === "onec_id" && row.last_change_source === "1c" && row.onec_changed_at !== null &&
    item.changedAt !== null && item.changedAt < row.onec_changed_at
  ) {
    return {
      result: "skipped",
      customerId: row.id,
      reason:
        `${item.onecId}: older than the 1C data already imported (${item.changedAt.toISOString()} < ${row.onec_changed_at.toISOString()})`,
    };
  }

  const current = rowToFields(row);
  // The email 1C gives may belong to another customer: that is the email conflict, and then
  // nothing of this record is applied.
  const email = normalizeEmail(item.fields.email);
  const emailOwner = email === null ? undefined : idx.byEmail.get(email);
  if (emailOwner && emailOwner.id !== row.id) {
    return await conflict(tx, idx, row, "email_linked_to_other", item, hash, opts.runId, {
      emailHeldBy: emailOwner.id,
    });
  }

  // "Latest change wins": 1C's time is the file's ДатаФормирования (its arrival, when the file
  // has none); ours is updated_at of a customer the platform changed last.
  const onecTime = item.changedAt ?? new Date();
  const platformNewer = row.last_change_source === "platform" && row.updated_at > onecTime;
  const next: CustomerFields = { ...current };
  const taken: string[] = [];
  const kept: string[] = [];
  let roleChange: string | null = null;
  for (const k of FIELD_NAMES) {
    const incoming = k === "customerType" && !item.typeKnown ? null : item.fields[k];
    if (incoming === null || sameValue(k, current[k], incoming, cc)) continue;
    if (k === "role" && current.role !== null) {
      // A price group decides prices: a person looks at every change of it.
      roleChange = incoming;
      continue;
    }
    if (platformNewer && k !== "role") {
      kept.push(k);
      continue;
    }
    (next as unknown as Record<string, string | null>)[k] = k === "customerType"
      ? incoming
      : clean(incoming);
    taken.push(k);
  }

  let conflictId: string | null = null;
  if (roleChange !== null) {
    const opened = await openConflict(tx, row, "role_change", item, hash, opts.runId);
    // A question already answered (resolved) about this very record is not asked again.
    if (opened.status === "open") conflictId = opened.id;
  }
  const linking = row.onec_id === null;
  const keptSignificant = kept.some((k) => (SIGNIFICANT_FIELDS as readonly string[]).includes(k));
  // Sending more than needed is harmless (1C gets the current data again); sending less loses
  // a platform edit. So a pending export stays pending unless the platform has nothing newer.
  const needs = row.needs_1c_export || keptSignificant;
  // A customer 1C rejected (or that ran out of retries) stays in error until someone retries
  // it or 1C's data replaces what was rejected: an import does not resend rejected data.
  const stuck = row.sync_status === "error" && needs;
  const openConflicts = conflictId !== null || await hasOpenConflict(tx, row.id);
  const saved = await tx.updateTable("customers").set({
    ...fieldColumns(next, cc),
    onec_id: item.onecId,
    onec_version: item.version,
    onec_changed_at: onecTime,
    import_hash: hash,
    needs_1c_export: needs,
    sync_status: openConflicts ? "conflict" : stuck ? "error" : needs ? "pending" : "synced",
    ...(stuck ? {} : { sync_error_message: null, export_dead_lettered_at: null }),
    last_sync_at: sql<Date>`now()`,
    first_synced_at: sql<Date>`coalesce(first_synced_at, now())`,
    ...(needs ? {} : { onec_fields_hash: significantHash(next, cc) }),
    ...(taken.length > 0
      ? {
        updated_at: sql<Date>`now()`,
        last_change_source: kept.length > 0 ? "platform" as const : "1c" as const,
      }
      : {}),
  }).where("id", "=", row.id).returningAll().executeTakeFirstOrThrow();
  removeFromIndexes(idx, row);
  addToIndexes(idx, saved);
  // A customer that already needed export has its job; one that needs it now gets one.
  if (needs && !stuck && (!row.needs_1c_export || keptSignificant)) {
    await enqueueExport(deps, tx, saved.id, opts.requestId);
  }

  if (conflictId !== null) {
    return {
      result: "conflict",
      customerId: saved.id,
      conflictId,
      kind: "role_change",
      taken,
      kept,
    };
  }
  if (taken.length === 0 && kept.length === 0 && !linking) {
    return { result: "unchanged", customerId: saved.id };
  }
  return { result: "updated", customerId: saved.id, match, taken, kept };
}

async function hasOpenConflict(tx: Kysely<Database>, customerId: string): Promise<boolean> {
  const open = await tx.selectFrom("customer_conflicts").select("id")
    .where("customer_id", "=", customerId).where("status", "=", "open")
    .limit(1).executeTakeFirst();
  return open !== undefined;
}

async function conflict(
  tx: Kysely<Database>,
  idx: Indexes,
  customer: CustomerRow,
  kind: ConflictKind,
  item: IncomingCustomer,
  hash: string,
  runId: string | null,
  extra: ConflictValues,
): Promise<Outcome> {
  const opened = await openConflict(tx, customer, kind, item, hash, runId, extra);
  if (opened.status !== "open") {
    // Resolved before: the same 1C record does not ask again, and stays unapplied.
    return {
      result: "skipped",
      customerId: null,
      reason: `${item.onecId}: conflict #${opened.id} about it was resolved already`,
    };
  }
  if (opened.isNew && customer.sync_status !== "conflict") {
    const saved = await tx.updateTable("customers").set({ sync_status: "conflict" })
      .where("id", "=", customer.id).returningAll().executeTakeFirstOrThrow();
    removeFromIndexes(idx, customer);
    addToIndexes(idx, saved);
  }
  return { result: "conflict", customerId: customer.id, conflictId: opened.id, kind };
}

/** Platform and 1C values side by side, camelCase as the API shows them. */
export function conflictValues(f: CustomerFields, onecId: string | null): ConflictValues {
  const values: ConflictValues = { onecId };
  for (const k of FIELD_NAMES) values[k] = f[k];
  return values;
}

async function openConflict(
  tx: Kysely<Database>,
  customer: CustomerRow,
  kind: ConflictKind,
  item: IncomingCustomer,
  hash: string,
  runId: string | null,
  extra: ConflictValues = {},
): Promise<{ id: string; status: string; isNew: boolean }> {
  const inserted = await tx.insertInto("customer_conflicts").values({
    customer_id: customer.id,
    kind,
    onec_id: item.onecId,
    platform_values: JSON.stringify({
      ...conflictValues(rowToFields(customer), customer.onec_id),
      ...extra,
    }),
    onec_values: JSON.stringify(conflictValues(item.fields, item.onecId)),
    onec_changed_at: item.changedAt,
    onec_version: item.version,
    incoming_hash: hash,
    import_run_id: runId,
  }).onConflict((oc) => oc.columns(["customer_id", "kind", "onec_id", "incoming_hash"]).doNothing())
    .returning(["id", "status"]).executeTakeFirst();
  if (inserted) {
    // A newer version of the same 1C record replaces the question its older version asked.
    await tx.updateTable("customer_conflicts").set({ status: "superseded" })
      .where("customer_id", "=", customer.id).where("kind", "=", kind)
      .where("onec_id", "=", item.onecId).where("status", "=", "open")
      .where("id", "<>", inserted.id).execute();
    return { ...inserted, isNew: true };
  }
  const existing = await tx.selectFrom("customer_conflicts").select(["id", "status"])
    .where("customer_id", "=", customer.id).where("kind", "=", kind)
    .where("onec_id", "=", item.onecId).where("incoming_hash", "=", hash)
    .executeTakeFirstOrThrow();
  return { ...existing, isNew: false };
}

function logEntry(item: IncomingCustomer, o: Outcome, runId: string | null): SyncLogEntry {
  const base = { onecId: item.onecId, origin: item.origin, ...(runId ? { runId } : {}) };
  switch (o.result) {
    case "created":
      return {
        customerId: o.customerId,
        operation: "import_from_1c",
        status: "success",
        details: { ...base, action: "created" },
      };
    case "updated":
      return {
        customerId: o.customerId,
        operation: "import_from_1c",
        status: "success",
        details: { ...base, action: "updated", match: o.match, taken: o.taken, kept: o.kept },
      };
    case "unchanged":
      return {
        customerId: o.customerId,
        operation: "import_from_1c",
        status: "skipped",
        details: { ...base, action: "unchanged" },
      };
    case "conflict":
      return {
        customerId: o.customerId,
        operation: "import_from_1c",
        status: o.kind === "role_change" ? "success" : "skipped",
        details: {
          ...base,
          action: "conflict",
          kind: o.kind,
          conflictId: o.conflictId,
          ...(o.taken ? { taken: o.taken, kept: o.kept } : {}),
        },
      };
    case "skipped":
      return {
        customerId: o.customerId,
        operation: "import_from_1c",
        status: "skipped",
        details: { ...base, action: "skipped" },
        errorMessage: o.reason,
      };
  }
}
