/**
 * Applies a document file from 1C (`type=sale&mode=file` / `mode=import`) to our orders.
 *
 * - Matching: "match by `Номер` first, then `Ид`" (spec §6.7): Номер is our number, Ид our
 *   id (УНФ sends its own GUID there, so it only helps when Номер is missing or foreign).
 * - Idempotent: an update writes only when a value differs, so a document sent again counts
 *   as unchanged. 1C's changes never bump the order's version: they are not sent back to 1C.
 * - A document for an order we do not know is listed in the run, never fatal.
 * - One transaction per file: a broken file (bad XML, truncated) changes nothing.
 * - One run row per processed file; asking again for the same upload answers from it.
 */
import { sql, type Transaction } from "kysely";
import type { AppContext } from "../context.ts";
import type { Database } from "../../db/schema.ts";
import type { Selectable } from "kysely";
import type { OrderImportRunTable, UnknownDocument } from "../../db/schema-orders.ts";
import { readUpload } from "../exchange/uploads.ts";
import { CmlError } from "../commerceml/records.ts";
import { readSaleDocuments, type SaleDocument, SaleDocumentReader } from "./document-reader.ts";
import {
  CHANGE_COLUMN_TYPES,
  changesFromDocument,
  isOrderDocument,
  type OrderChanges,
  relatedKind,
} from "./document-changes.ts";
import {
  type BuyerResolver,
  type DocumentBuyer,
  resolveThroughCustomers,
} from "./buyer-resolution.ts";

export type OrderImportRun = Selectable<OrderImportRunTable>;

export interface SaleFile {
  sessionId: string | null;
  generation: number;
  fileName: string;
  fileId: string;
  fileSize: number;
  requestId?: string | null;
}

export interface SaleImportResult {
  ok: boolean;
  /** The protocol answer's lines after success/failure. */
  message: string;
  run: OrderImportRun;
}

interface Counts {
  documents: number;
  applied: number;
  unchanged: number;
  unknown: number;
  skipped: number;
  unknownDocuments: UnknownDocument[];
  buyers: DocumentBuyer[];
  /** Remarks for the run and for 1C's log (sections this import does not read). */
  notes: string[];
}

/** Most unknown documents listed by number in the run and the answer to 1C. */
const MAX_LISTED = 50;

export async function importSaleFile(
  ctx: AppContext,
  file: SaleFile,
  resolveBuyers: BuyerResolver = resolveThroughCustomers,
): Promise<SaleImportResult> {
  if (file.fileSize === 0) {
    // Bitrix: "Empty file → `failure\nФайл для импорта пуст.`" (spec §3.6).
    const run = await recordRun(ctx, file, "failed", emptyCounts(), "Файл для импорта пуст.");
    return { ok: false, message: `${file.fileName}: Файл для импорта пуст.`, run };
  }
  try {
    const done = await ctx.db.transaction().execute(async (tx) => {
      // The same file asked for twice at once (1C retrying on a timeout) is processed once.
      await sql`SELECT pg_advisory_xact_lock(hashtext('sale-import'),
        hashtext(${`${file.sessionId}/${file.generation}/${file.fileName}`}))`.execute(tx);
      const prior = await tx.selectFrom("order_import_runs").selectAll()
        .where("session_id", file.sessionId === null ? "is" : "=", file.sessionId)
        .where("generation", "=", file.generation)
        .where("file_name", "=", file.fileName)
        .where("status", "=", "success")
        .orderBy("id", "desc").executeTakeFirst();
      // Same upload (same size) → the recorded answer; a re-sent, different file runs anew.
      if (prior && Number(prior.file_size) === file.fileSize) return { run: prior, buyers: [] };
      const counts = await applyFile(ctx, tx, file);
      return { run: await insertRun(tx, file, "success", counts, null), buyers: counts.buyers };
    });
    if (done.buyers.length > 0) await resolveBuyers(ctx, done.buyers);
    return { ok: true, message: summary(file.fileName, done.run), run: done.run };
  } catch (e) {
    if (!(e instanceof CmlError)) throw e;
    const run = await recordRun(ctx, file, "failed", emptyCounts(), e.message);
    return { ok: false, message: `${file.fileName}: ${e.message}`, run };
  }
}

function emptyCounts(): Counts {
  return {
    documents: 0,
    applied: 0,
    unchanged: 0,
    unknown: 0,
    skipped: 0,
    unknownDocuments: [],
    buyers: [],
    notes: [],
  };
}

async function applyFile(
  ctx: AppContext,
  tx: Transaction<Database>,
  file: SaleFile,
): Promise<Counts> {
  const counts = emptyCounts();
  // Documents of one Контейнер belong together (the order and its payments / shipments);
  // they are held until the container is complete, whatever chunk they arrived in.
  let group: SaleDocument[] = [];
  const flush = async () => {
    if (group.length > 0) await applyGroup(tx, group, counts);
    group = [];
  };
  const reader = new SaleDocumentReader();
  for await (const docs of readSaleDocuments(readUpload(ctx.pool, file.fileId), reader)) {
    for (const doc of docs) {
      counts.documents++;
      if (group.length > 0 && (doc.container === null || doc.container !== group[0].container)) {
        await flush();
      }
      group.push(doc);
      if (doc.container === null) await flush();
    }
  }
  await flush();
  for (const [section, n] of Object.entries(reader.skippedSections)) {
    // Контрагенты (the counterparty directory) belongs to the customers capability.
    counts.notes.push(`${n} ${section} section(s) not imported with the orders`);
  }
  return counts;
}

async function applyGroup(tx: Transaction<Database>, group: SaleDocument[], counts: Counts) {
  const orders = group.filter(isOrderDocument);
  const related = group.filter((d) => !isOrderDocument(d));
  // Payments and shipments with no order beside them tell us nothing we can match.
  counts.skipped += related.filter((d) => orders.length === 0 || relatedKind(d) === null).length;
  for (const doc of orders) {
    const changes = changesFromDocument(doc, orders.length === 1 ? related : []);
    const r = await applyChanges(tx, doc, changes);
    if (r === "unknown") {
      counts.unknown++;
      if (counts.unknownDocuments.length < MAX_LISTED) {
        counts.unknownDocuments.push({ number: doc.number, id: doc.id });
      }
      continue;
    }
    if (r.applied) counts.applied++;
    else counts.unchanged++;
    if (doc.buyer) counts.buyers.push({ orderId: r.orderId, buyer: doc.buyer });
  }
}

async function applyChanges(
  tx: Transaction<Database>,
  doc: SaleDocument,
  changes: OrderChanges,
): Promise<"unknown" | { orderId: string; applied: boolean }> {
  const numericId = doc.id !== null && /^\d{1,18}$/.test(doc.id) ? doc.id : null;
  if (doc.number === null && numericId === null) return "unknown";
  const entries = Object.entries(changes) as [keyof OrderChanges, unknown][];
  const value = (k: keyof OrderChanges, v: unknown) =>
    CHANGE_COLUMN_TYPES[k] === "boolean" ? sql`${v}::boolean` : sql`${v}::text`;
  const assignments = entries.map(([k, v]) => sql`${sql.ref(k)} = ${value(k, v)}`);
  const differs = entries.length === 0
    ? sql`false`
    : sql`(${sql.join(entries.map(([k]) => sql.ref(`o.${k}`)))}) IS DISTINCT FROM (${
      sql.join(entries.map(([k, v]) => value(k, v)))
    })`;
  const r = await sql<{ target: string | null; updated: string | null }>`
    WITH target AS (
      SELECT id FROM (
        SELECT id, 1 AS preference FROM orders WHERE number = ${doc.number}
        UNION ALL
        SELECT id, 2 FROM orders WHERE id = ${numericId}::bigint
      ) candidates ORDER BY preference LIMIT 1
    ), updated AS (
      UPDATE orders o SET ${sql.join(assignments)}${assignments.length ? sql`,` : sql``}
        onec_updated_at = now(), updated_at = now()
      FROM target WHERE o.id = target.id AND ${differs}
      RETURNING o.id
    )
    SELECT (SELECT id FROM target) AS target, (SELECT id FROM updated) AS updated
  `.execute(tx);
  const row = r.rows[0];
  if (!row?.target) return "unknown";
  return { orderId: row.target, applied: row.updated !== null };
}

async function insertRun(
  tx: Transaction<Database>,
  file: SaleFile,
  status: "success" | "failed",
  c: Counts,
  error: string | null,
): Promise<OrderImportRun> {
  return await tx.insertInto("order_import_runs").values({
    session_id: file.sessionId,
    generation: file.generation,
    file_name: file.fileName,
    file_size: file.fileSize,
    status,
    documents: c.documents,
    applied: c.applied,
    unchanged: c.unchanged,
    unknown: c.unknown,
    skipped: c.skipped,
    unknown_documents: JSON.stringify(c.unknownDocuments),
    errors: JSON.stringify(c.notes),
    error,
    request_id: file.requestId ?? null,
    finished_at: sql<Date>`now()`,
  }).returningAll().executeTakeFirstOrThrow();
}

async function recordRun(
  ctx: AppContext,
  file: SaleFile,
  status: "success" | "failed",
  c: Counts,
  error: string | null,
): Promise<OrderImportRun> {
  return await ctx.db.transaction().execute((tx) => insertRun(tx, file, status, c, error));
}

/** The line 1C writes to its log, e.g. `to.xml: 1 document(s): 1 order(s) updated, …`. */
export function summary(fileName: string, run: OrderImportRun): string {
  const parts = [
    `${run.applied} order(s) updated`,
    `${run.unchanged} unchanged`,
  ];
  if (run.unknown > 0) {
    const listed = run.unknown_documents.map((d) => d.number ?? d.id ?? "?").join(", ");
    parts.push(
      `${run.unknown} for unknown orders (${listed}${
        run.unknown > run.unknown_documents.length ? ", …" : ""
      })`,
    );
  }
  if (run.skipped > 0) parts.push(`${run.skipped} skipped (not orders)`);
  const notes = run.errors.length > 0 ? ` (${run.errors.join("; ")})` : "";
  return `${fileName}: ${run.documents} document(s): ${parts.join(", ")}${notes}`;
}
