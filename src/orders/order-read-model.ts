/**
 * Orders as the API shows them: the platform's side (lines, totals, buyer) and the 1C side
 * (onecNumber, onecDate, paid, shipped, cancelled, exportedAt). Money and quantities are JSON
 * numbers converted from Postgres' exact numerics.
 */
import { sql } from "kysely";
import type { Db } from "../../db/pool.ts";
import type { OrderStatus } from "../../db/schema-orders.ts";
import { toNumber } from "./money.ts";

export interface OrderLineView {
  lineNo: number;
  offerId: string;
  productId: string;
  name: string;
  sku: string | null;
  unit: string | null;
  quantity: number;
  price: number;
  amount: number;
}

export interface OrderView {
  id: string;
  number: string;
  status: OrderStatus;
  currency: string;
  customerId: string | null;
  customerOnecId: string | null;
  customer: {
    email: string | null;
    phone: string | null;
    firstName: string | null;
    lastName: string | null;
    companyName: string | null;
    taxId: string | null;
  };
  items: OrderLineView[];
  delivery: { method: string | null; address: string | null; price: number | null } | null;
  paymentMethod: string | null;
  comment: string | null;
  itemsTotal: number;
  total: number;
  version: number;
  onecNumber: string | null;
  onecDate: string | null;
  onecStatus: string | null;
  posted: boolean | null;
  paid: boolean;
  paidAt: string | null;
  shipped: boolean;
  shippedAt: string | null;
  cancelled: boolean;
  deliveryAllowed: boolean;
  exportedAt: string | null;
  exportedVersion: number | null;
  statusChangedAt: string;
  createdAt: string;
  updatedAt: string;
}

interface OrderRow {
  id: string;
  number: string;
  status: OrderStatus;
  currency: string;
  customer_id: string | null;
  customer_onec_id: string | null;
  buyer_email: string | null;
  buyer_phone: string | null;
  buyer_first_name: string | null;
  buyer_last_name: string | null;
  buyer_company_name: string | null;
  buyer_tax_id: string | null;
  delivery_method: string | null;
  delivery_address: string | null;
  delivery_price: string | null;
  payment_method: string | null;
  comment: string | null;
  items_total: string;
  total: string;
  version: number;
  exported_version: number | null;
  exported_at: Date | null;
  onec_number: string | null;
  onec_date: string | null;
  onec_status: string | null;
  onec_posted: boolean | null;
  paid: boolean;
  paid_at: string | null;
  shipped: boolean;
  shipped_at: string | null;
  cancelled: boolean;
  delivery_allowed: boolean;
  status_changed_at: Date;
  created_at: Date;
  updated_at: Date;
  /** updated_at with microseconds, for cursors. */
  changed: string;
}

interface LineRow {
  order_id: string;
  line_no: number;
  offer_id: string;
  product_id: string;
  name: string;
  sku: string | null;
  unit_name: string | null;
  unit_code: string | null;
  quantity: string;
  price: string;
  amount: string;
}

const micros = sql<
  string
>`to_char(o.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

function view(o: OrderRow, lines: LineRow[]): OrderView {
  const hasDelivery = o.delivery_method !== null || o.delivery_address !== null ||
    o.delivery_price !== null;
  return {
    id: o.id,
    number: o.number,
    status: o.status,
    currency: o.currency,
    customerId: o.customer_id,
    customerOnecId: o.customer_onec_id,
    customer: {
      email: o.buyer_email,
      phone: o.buyer_phone,
      firstName: o.buyer_first_name,
      lastName: o.buyer_last_name,
      companyName: o.buyer_company_name,
      taxId: o.buyer_tax_id,
    },
    items: lines.map((l) => ({
      lineNo: l.line_no,
      offerId: l.offer_id,
      productId: l.product_id,
      name: l.name,
      sku: l.sku,
      unit: l.unit_name ?? l.unit_code,
      quantity: Number(l.quantity),
      price: Number(l.price),
      amount: Number(l.amount),
    })),
    delivery: hasDelivery
      ? {
        method: o.delivery_method,
        address: o.delivery_address,
        price: toNumber(o.delivery_price),
      }
      : null,
    paymentMethod: o.payment_method,
    comment: o.comment,
    itemsTotal: Number(o.items_total),
    total: Number(o.total),
    version: o.version,
    onecNumber: o.onec_number,
    onecDate: o.onec_date,
    onecStatus: o.onec_status,
    posted: o.onec_posted,
    paid: o.paid,
    paidAt: o.paid_at,
    shipped: o.shipped,
    shippedAt: o.shipped_at,
    cancelled: o.cancelled,
    deliveryAllowed: o.delivery_allowed,
    exportedAt: o.exported_at?.toISOString() ?? null,
    exportedVersion: o.exported_version,
    statusChangedAt: o.status_changed_at.toISOString(),
    createdAt: o.created_at.toISOString(),
    updatedAt: o.updated_at.toISOString(),
  };
}

async function withLines(db: Db, orders: OrderRow[]): Promise<OrderView[]> {
  if (orders.length === 0) return [];
  const lines = (await sql<LineRow>`
    SELECT order_id, line_no, offer_id, product_id, name, sku, unit_name, unit_code,
           quantity::text, price::text, amount::text
    FROM order_lines WHERE order_id = ANY(${orders.map((o) => o.id)}::bigint[])
    ORDER BY order_id, line_no
  `.execute(db)).rows;
  const byOrder = new Map<string, LineRow[]>();
  for (const l of lines) {
    let list = byOrder.get(l.order_id);
    if (!list) byOrder.set(l.order_id, list = []);
    list.push(l);
  }
  return orders.map((o) => view(o, byOrder.get(o.id) ?? []));
}

export async function getOrder(db: Db, id: string): Promise<OrderView | undefined> {
  if (!/^\d{1,18}$/.test(id)) return undefined;
  const rows = (await sql<OrderRow>`
    SELECT o.*, ${micros} AS changed FROM orders o WHERE o.id = ${id}::bigint
  `.execute(db)).rows;
  return (await withLines(db, rows))[0];
}

export type OrderCursor = { id: string } | { at: string; id: string };

export interface OrderFilter {
  status?: OrderStatus;
  updatedSince?: Date;
}

/**
 * Without `updatedSince`: by id. With it: by change time then id, so a client can feed the
 * last `updatedAt` back and see every later change (1C's status updates included).
 */
export async function listOrders(
  db: Db,
  filter: OrderFilter,
  limit: number,
  cursor: OrderCursor | undefined,
): Promise<{ items: OrderView[]; next: OrderCursor | null }> {
  const where = [sql`true`];
  if (filter.status) where.push(sql`o.status = ${filter.status}`);
  if (filter.updatedSince) where.push(sql`o.updated_at >= ${filter.updatedSince}`);
  const byChange = filter.updatedSince !== undefined;
  if (cursor && "at" in cursor) {
    where.push(sql`(o.updated_at, o.id) > (${cursor.at}::timestamptz, ${cursor.id}::bigint)`);
  } else if (cursor) {
    where.push(sql`o.id > ${cursor.id}::bigint`);
  }
  const rows = (await sql<OrderRow>`
    SELECT o.*, ${micros} AS changed FROM orders o
    WHERE ${sql.join(where, sql` AND `)}
    ORDER BY ${byChange ? sql`o.updated_at, o.id` : sql`o.id`}
    LIMIT ${limit + 1}
  `.execute(db)).rows;
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  const next: OrderCursor | null = !more || !last
    ? null
    : byChange
    ? { at: last.changed, id: last.id }
    : { id: last.id };
  return { items: await withLines(db, page), next };
}
