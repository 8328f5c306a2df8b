/**
 * Orders the platform creates and changes. Every change made here bumps the order's version,
 * which is what makes the next `type=sale&mode=query` send it to 1C again; changes 1C reports
 * (src/orders/status-import.ts) never do.
 */
import { sql, type Transaction } from "kysely";
import type { Db } from "../../db/pool.ts";
import type { Database } from "../../db/schema.ts";
import type { OrdersConfig } from "./config.ts";
import {
  checkMoney,
  type Issue,
  type ItemInput,
  type ResolvedLine,
  resolveLines,
} from "./order-lines.ts";
import { formatScaled, fromNumeric } from "./money.ts";

export interface BuyerInput {
  email?: string;
  phone?: string;
  firstName?: string;
  lastName?: string;
  companyName?: string;
  taxId?: string;
}

export interface DeliveryInput {
  method?: string;
  address?: string;
  price?: number;
}

export interface CreateOrderInput {
  customerId?: string;
  customer?: BuyerInput;
  items: ItemInput[];
  currency: string;
  delivery?: DeliveryInput;
  paymentMethod?: string;
  comment?: string;
}

export interface UpdateOrderInput {
  customer?: BuyerInput;
  items?: ItemInput[];
  delivery?: DeliveryInput | null;
  paymentMethod?: string | null;
  comment?: string | null;
  /** Paid on the platform (an online payment): sent to 1C as "Заказ оплачен". */
  paid?: boolean;
  /** Cancelled on the platform: sent to 1C as "Отменен". */
  cancelled?: boolean;
}

export type WriteResult =
  | { ok: true; id: string; changed: boolean }
  | { ok: false; status: 404 | 409 | 422; detail: string; issues?: Issue[] };

type Executor = Db | Transaction<Database>;

const clean = (s: string | null | undefined): string | null => {
  const t = s?.trim();
  return t ? t : null;
};

function buyerColumns(b: BuyerInput | undefined) {
  return {
    buyer_email: clean(b?.email)?.toLowerCase() ?? null,
    buyer_phone: clean(b?.phone),
    buyer_first_name: clean(b?.firstName),
    buyer_last_name: clean(b?.lastName),
    buyer_company_name: clean(b?.companyName),
    buyer_tax_id: clean(b?.taxId),
  };
}

function checkBuyer(b: BuyerInput | undefined, customerId: string | null, issues: Issue[]) {
  const cols = buyerColumns(b);
  if (b === undefined && customerId === null) {
    issues.push({ path: "customer", message: "give customerId or customer (the buyer's data)" });
    return;
  }
  if (b === undefined) return;
  if (
    !cols.buyer_email && !cols.buyer_phone && !cols.buyer_first_name && !cols.buyer_last_name &&
    !cols.buyer_company_name
  ) {
    issues.push({
      path: "customer",
      message: "needs at least one of email, phone, firstName, lastName, companyName",
    });
  }
  if (cols.buyer_email && !/^[^\s@]+@[^\s@]+$/.test(cols.buyer_email)) {
    issues.push({ path: "customer.email", message: "is not an e-mail address" });
  }
}

function deliveryColumns(d: DeliveryInput | null | undefined, issues: Issue[]) {
  if (!d) return { delivery_method: null, delivery_address: null, delivery_price: null, cents: 0n };
  const cents = d.price === undefined ? null : checkMoney(d.price, "delivery.price", issues);
  return {
    delivery_method: clean(d.method),
    delivery_address: clean(d.address),
    delivery_price: cents === null ? null : formatScaled(cents, 2),
    cents: cents ?? 0n,
  };
}

async function insertLines(db: Executor, orderId: string, lines: ResolvedLine[]) {
  await sql`
    INSERT INTO order_lines (order_id, line_no, offer_id, product_id, name, sku, unit_code,
      unit_name, unit_full_name, unit_international, quantity, price, amount)
    SELECT ${orderId}::bigint, * FROM unnest(
      ${lines.map((l) => l.lineNo)}::int[], ${lines.map((l) => l.offerId)}::text[],
      ${lines.map((l) => l.productId)}::text[], ${lines.map((l) => l.name)}::text[],
      ${lines.map((l) => l.sku)}::text[], ${lines.map((l) => l.unitCode)}::text[],
      ${lines.map((l) => l.unitName)}::text[], ${lines.map((l) => l.unitFullName)}::text[],
      ${lines.map((l) => l.unitInternational)}::text[], ${lines.map((l) => l.quantity)}::numeric[],
      ${lines.map((l) => l.price)}::numeric[], ${lines.map((l) => l.amount)}::numeric[])
  `.execute(db);
}

export async function createOrder(
  db: Executor,
  config: OrdersConfig,
  input: CreateOrderInput,
): Promise<WriteResult> {
  const issues: Issue[] = [];
  const customerId = clean(input.customerId);
  checkBuyer(input.customer, customerId, issues);
  const currency = clean(input.currency);
  if (!currency) issues.push({ path: "currency", message: "must not be empty" });
  const delivery = deliveryColumns(input.delivery, issues);
  const { lines, itemsTotalCents } = await resolveLines(db, input.items, issues);
  if (issues.length > 0) {
    return { ok: false, status: 422, detail: issueSummary(issues), issues };
  }
  const b = buyerColumns(input.customer);
  const row = await sql<{ id: string }>`
    INSERT INTO orders (id, number, currency, customer_id, buyer_email, buyer_phone,
      buyer_first_name, buyer_last_name, buyer_company_name, buyer_tax_id, delivery_method,
      delivery_address, delivery_price, payment_method, comment, items_total, total)
    SELECT n.id, ${config.numberPrefix} || n.id, ${currency}, ${customerId},
      ${b.buyer_email}, ${b.buyer_phone}, ${b.buyer_first_name}, ${b.buyer_last_name},
      ${b.buyer_company_name}, ${b.buyer_tax_id},
      ${delivery.delivery_method}, ${delivery.delivery_address},
      ${delivery.delivery_price}::numeric, ${clean(input.paymentMethod)}, ${clean(input.comment)},
      ${formatScaled(itemsTotalCents, 2)}::numeric,
      ${formatScaled(itemsTotalCents + delivery.cents, 2)}::numeric
    FROM (SELECT nextval(pg_get_serial_sequence('orders', 'id')) AS id) n
    RETURNING id
  `.execute(db);
  const id = row.rows[0].id;
  await insertLines(db, id, lines);
  return { ok: true, id, changed: true };
}

interface CurrentOrder {
  id: string;
  status: string;
  items_total: string;
  delivery_price: string | null;
  paid: boolean;
  cancelled: boolean;
  [column: string]: unknown;
}

/**
 * A platform-side change. Only what the body names changes; when nothing actually differs
 * the version stays, so a repeated PATCH does not send the order to 1C again.
 */
export async function updateOrder(
  tx: Transaction<Database>,
  id: string,
  input: UpdateOrderInput,
): Promise<WriteResult> {
  const current = (await sql<CurrentOrder>`
    SELECT * FROM orders WHERE id = ${id}::bigint FOR UPDATE
  `.execute(tx)).rows[0];
  if (!current) return { ok: false, status: 404, detail: `No order ${id}.` };

  const issues: Issue[] = [];
  const changes: Record<string, unknown> = {};
  const set = (column: string, value: unknown) => {
    if (!sameValue(current[column], value)) changes[column] = value;
  };
  const goodsChange = input.items !== undefined || input.delivery !== undefined;
  if (goodsChange && (current.status === "shipped" || current.status === "cancelled")) {
    return {
      ok: false,
      status: 409,
      detail: `Order ${id} is ${current.status}: its items and delivery can no longer change.`,
    };
  }
  if (input.customer !== undefined) {
    checkBuyer(input.customer, null, issues);
    for (const [k, v] of Object.entries(buyerColumns(input.customer))) set(k, v);
  }
  let itemsTotalCents = fromNumeric(current.items_total, 2);
  let deliveryCents = current.delivery_price === null ? 0n : fromNumeric(current.delivery_price, 2);
  let newLines: ResolvedLine[] | null = null;
  if (input.items !== undefined) {
    const r = await resolveLines(tx, input.items, issues);
    newLines = r.lines;
    itemsTotalCents = r.itemsTotalCents;
  }
  if (input.delivery !== undefined) {
    const d = deliveryColumns(input.delivery, issues);
    set("delivery_method", d.delivery_method);
    set("delivery_address", d.delivery_address);
    set("delivery_price", d.delivery_price);
    deliveryCents = d.cents;
  }
  if (issues.length > 0) return { ok: false, status: 422, detail: issueSummary(issues), issues };
  if (input.paymentMethod !== undefined) set("payment_method", clean(input.paymentMethod));
  if (input.comment !== undefined) set("comment", clean(input.comment));
  if (input.paid !== undefined) set("paid", input.paid);
  if (input.cancelled !== undefined) set("cancelled", input.cancelled);

  let linesChanged = false;
  if (newLines !== null) {
    const old = (await sql<{ offer_id: string; quantity: string; price: string }>`
      SELECT offer_id, quantity::text, price::text FROM order_lines
      WHERE order_id = ${id}::bigint ORDER BY line_no
    `.execute(tx)).rows;
    linesChanged = old.length !== newLines.length ||
      old.some((o, i) =>
        o.offer_id !== newLines![i].offerId ||
        Number(o.quantity) !== Number(newLines![i].quantity) ||
        Number(o.price) !== Number(newLines![i].price)
      );
    set("items_total", formatScaled(itemsTotalCents, 2));
  }
  set("total", formatScaled(itemsTotalCents + deliveryCents, 2));

  if (Object.keys(changes).length === 0 && !linesChanged) return { ok: true, id, changed: false };
  if (linesChanged) {
    await sql`DELETE FROM order_lines WHERE order_id = ${id}::bigint`.execute(tx);
    await insertLines(tx, id, newLines!);
  }
  const assignments = Object.entries(changes).map(([column, value]) =>
    sql`${sql.ref(column)} = ${value}`
  );
  await sql`
    UPDATE orders SET ${sql.join(assignments)}${assignments.length ? sql`,` : sql``}
      version = version + 1, updated_at = now()
    WHERE id = ${id}::bigint
  `.execute(tx);
  return { ok: true, id, changed: true };
}

/** Numeric columns arrive as strings: "10.00" and "10" are the same amount. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === "string" && typeof b === "string" && /^-?\d+(\.\d+)?$/.test(a)) {
    return /^-?\d+(\.\d+)?$/.test(b) && Number(a) === Number(b);
  }
  return false;
}

function issueSummary(issues: Issue[]): string {
  const first = issues[0];
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more, see issues)` : "";
  return `The order cannot be accepted: ${first.path} ${first.message}${more}.`;
}
