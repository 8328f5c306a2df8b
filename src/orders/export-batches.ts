/**
 * Two-phase export of orders to 1C. Spec §3.3: "[Bitrix] records a provisional export time
 * at `query` and commits it only at `success`. Copy this two-phase logic: mark orders as
 * exported only when `mode=success` arrives."
 *
 * `query` records a batch: exactly which order versions its answer carries. `success`
 * confirms the session's latest batch, and in it only the orders whose version is still the
 * one sent (an order edited in between stays pending and goes again). So:
 *  - an order created between query and success is in no batch: the next query sends it;
 *  - a query never followed by success confirms nothing: its orders come again;
 *  - an order version is confirmed once: a second success (a late one from an older session,
 *    or a repeated one) finds it already confirmed and leaves it.
 */
import { sql } from "kysely";
import type { AppContext } from "../context.ts";
import type { Db } from "../../db/pool.ts";
import { encodeCp1251 } from "../text/cp1251.ts";
import { XmlWriter } from "./xml-writer.ts";
import { type ExportLine, type ExportOrder, rootAttributes, writeOrder } from "./query-document.ts";
import { wallClock } from "./dates.ts";

/** Orders read and written per round trip while the answer is built. */
const PAGE = 500;

/** Batches older than this are dropped (their orders' state lives on the orders). */
const BATCH_RETENTION_DAYS = 30;

export interface QueryAnswer {
  batchId: string;
  orders: number;
  /** The encoded document in pieces (one per page of orders); `bytes` is their total size. */
  chunks: Uint8Array[];
  bytes: number;
}

/**
 * Records the batch and builds the answer in one REPEATABLE READ transaction: the document
 * shows each order exactly as the version the batch records, even while the platform edits it.
 * The document is built page by page with a streaming writer and kept only as encoded bytes
 * (1C needs a Content-Length, so the answer is sent once complete).
 */
export async function queryOrders(
  ctx: AppContext,
  sessionId: string,
  schemaVersion: string,
): Promise<QueryAnswer> {
  const cfg = ctx.config.orders;
  const utf8 = new TextEncoder();
  const encode = cfg.saleEncoding === "windows-1251"
    ? encodeCp1251
    : (text: string) => utf8.encode(text);
  const answer = await ctx.db.transaction().setIsolationLevel("repeatable read").execute(
    async (tx) => {
      const batch = await tx.insertInto("order_export_batches").values({ session_id: sessionId })
        .returning("id").executeTakeFirstOrThrow();
      const picked = await sql<{ n: number }>`
        WITH picked AS (
          INSERT INTO order_export_items (batch_id, order_id, order_version)
          SELECT ${batch.id}::bigint, id, version FROM orders
          WHERE exported_version IS DISTINCT FROM version
          ORDER BY id LIMIT ${cfg.queryLimit}
          RETURNING 1
        )
        SELECT count(*)::int AS n FROM picked
      `.execute(tx);
      const count = picked.rows[0].n;
      await tx.updateTable("order_export_batches").set({ order_count: count })
        .where("id", "=", batch.id).execute();

      const chunks: Uint8Array[] = [];
      let bytes = 0;
      const w = new XmlWriter(cfg.saleEncoding);
      const flush = () => {
        const piece = encode(w.take());
        chunks.push(piece);
        bytes += piece.length;
      };
      const now = wallClock(new Date(), cfg.timeZone);
      w.declaration().open(
        "КоммерческаяИнформация",
        rootAttributes(schemaVersion, `${now.date}T${now.time}`),
      );
      let after = "0";
      for (let done = 0; done < count;) {
        const page = await readPage(tx, batch.id, after, cfg.timeZone);
        if (page.length === 0) break;
        for (const order of page) writeOrder(w, order);
        flush();
        done += page.length;
        after = page[page.length - 1].id;
      }
      w.close();
      flush();
      return { batchId: batch.id, orders: count, chunks, bytes };
    },
  );
  await ctx.db.deleteFrom("order_export_batches")
    .where("queried_at", "<", sql<Date>`now() - make_interval(days => ${BATCH_RETENTION_DAYS})`)
    .execute();
  return answer;
}

async function readPage(
  db: Db,
  batchId: string,
  after: string,
  timeZone: string,
): Promise<ExportOrder[]> {
  const orders = (await sql<Omit<ExportOrder, "lines">>`
    SELECT o.id, o.number, o.currency, o.total::text, o.comment,
      to_char(o.created_at AT TIME ZONE ${timeZone}, 'YYYY-MM-DD') AS local_date,
      to_char(o.created_at AT TIME ZONE ${timeZone}, 'HH24:MI:SS') AS local_time,
      to_char(o.status_changed_at AT TIME ZONE ${timeZone}, 'YYYY-MM-DD HH24:MI:SS')
        AS local_status_changed,
      o.customer_id, o.customer_onec_id, o.buyer_email, o.buyer_phone, o.buyer_first_name,
      o.buyer_last_name, o.buyer_company_name, o.buyer_tax_id, o.delivery_method,
      o.delivery_address, o.delivery_price::text, o.payment_method, o.paid, o.paid_at,
      o.payment_number, o.shipped, o.cancelled, o.delivery_allowed, o.status
    FROM order_export_items i JOIN orders o ON o.id = i.order_id
    WHERE i.batch_id = ${batchId}::bigint AND i.order_id > ${after}::bigint
    ORDER BY i.order_id
    LIMIT ${PAGE}
  `.execute(db)).rows;
  if (orders.length === 0) return [];
  const lines = (await sql<ExportLine & { order_id: string }>`
    SELECT order_id, offer_id, name, sku, unit_code, unit_name, unit_full_name,
      unit_international, quantity::text, price::text, amount::text
    FROM order_lines WHERE order_id = ANY(${orders.map((o) => o.id)}::bigint[])
    ORDER BY order_id, line_no
  `.execute(db)).rows;
  const byOrder = new Map<string, ExportLine[]>();
  for (const l of lines) {
    let list = byOrder.get(l.order_id);
    if (!list) byOrder.set(l.order_id, list = []);
    list.push(l);
  }
  return orders.map((o) => ({ ...o, lines: byOrder.get(o.id) ?? [] }));
}

export type ConfirmResult =
  | { kind: "no-query" }
  | { kind: "already-confirmed"; batchId: string; confirmed: number }
  | { kind: "confirmed"; batchId: string; sent: number; confirmed: number; changed: number };

/** mode=success: confirms what the session's last query sent, and nothing else. */
export async function confirmLastQuery(db: Db, sessionId: string): Promise<ConfirmResult> {
  return await db.transaction().execute(async (tx) => {
    const batch = (await sql<{ id: string; order_count: number; confirmed_count: number | null }>`
      SELECT id, order_count, confirmed_count FROM order_export_batches
      WHERE session_id = ${sessionId} ORDER BY id DESC LIMIT 1 FOR UPDATE
    `.execute(tx)).rows[0];
    if (!batch) return { kind: "no-query" };
    if (batch.confirmed_count !== null) {
      return { kind: "already-confirmed", batchId: batch.id, confirmed: batch.confirmed_count };
    }
    // Row locks in id order: two sessions confirming overlapping batches cannot deadlock.
    await sql`
      SELECT 1 FROM orders WHERE id IN (
        SELECT order_id FROM order_export_items WHERE batch_id = ${batch.id}::bigint)
      ORDER BY id FOR NO KEY UPDATE
    `.execute(tx);
    const confirmed = (await sql<{ id: string }>`
      UPDATE orders o
      SET exported_version = i.order_version, exported_at = now(), updated_at = now()
      FROM order_export_items i
      WHERE i.batch_id = ${batch.id}::bigint AND o.id = i.order_id
        AND o.version = i.order_version
        AND (o.exported_version IS NULL OR o.exported_version < o.version)
      RETURNING o.id
    `.execute(tx)).rows.map((r) => r.id);
    if (confirmed.length > 0) {
      await sql`
        UPDATE order_export_items SET confirmed = true
        WHERE batch_id = ${batch.id}::bigint AND order_id = ANY(${confirmed}::bigint[])
      `.execute(tx);
    }
    // The rest were edited since (they stay pending) or confirmed by another session already.
    const changed = (await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM order_export_items i JOIN orders o ON o.id = i.order_id
      WHERE i.batch_id = ${batch.id}::bigint AND o.version <> i.order_version
    `.execute(tx)).rows[0].n;
    await tx.updateTable("order_export_batches")
      .set({ confirmed_at: sql<Date>`now()`, confirmed_count: confirmed.length })
      .where("id", "=", batch.id).execute();
    return {
      kind: "confirmed",
      batchId: batch.id,
      sent: batch.order_count,
      confirmed: confirmed.length,
      changed,
    };
  });
}
