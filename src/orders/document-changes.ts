/**
 * What a document from 1C says about one of our orders, as column values. Only what the
 * document states is set: an absent requisite leaves the order's value alone.
 *
 * Requisite names (spec §6.7, sample dicrtarasov orders.xml, ArgentCrusade documents-example):
 *   "Status requisites from 1C: `Номер по 1С`, `Дата по 1С`, `Проведен`, `ПометкаУдаления`,
 *    `Отменен`, `Оплачен`, `Дата оплаты по 1С`, `Номер оплаты по 1С`, `Отгружен`,
 *    `Дата отгрузки по 1С`, `Номер отгрузки по 1С`, … `Статус заказа`"
 * and the official "Заказ на сайт" example (to.xml) speaks the site's own vocabulary back:
 *   `Заказ оплачен`, `Дата оплаты`, `Номер платежного документа`, `Доставка разрешена`,
 *   `Финальный статус`, `Статус заказа`.
 */
import { normalizeOnecDate } from "./dates.ts";
import { parseFlag, type SaleDocument } from "./document-reader.ts";

export interface OrderChanges {
  onec_number?: string | null;
  onec_date?: string | null;
  onec_posted?: boolean;
  onec_deleted?: boolean;
  onec_status?: string | null;
  onec_status_id?: string | null;
  paid?: boolean;
  paid_at?: string | null;
  payment_number?: string | null;
  shipped?: boolean;
  shipped_at?: string | null;
  shipment_number?: string | null;
  delivery_allowed?: boolean;
  cancelled?: boolean;
  customer_onec_id?: string | null;
}

/** Postgres types of the columns, for typed parameters in the update. */
export const CHANGE_COLUMN_TYPES: Record<keyof OrderChanges, "text" | "boolean"> = {
  onec_number: "text",
  onec_date: "text",
  onec_posted: "boolean",
  onec_deleted: "boolean",
  onec_status: "text",
  onec_status_id: "text",
  paid: "boolean",
  paid_at: "text",
  payment_number: "text",
  shipped: "boolean",
  shipped_at: "text",
  shipment_number: "text",
  delivery_allowed: "boolean",
  cancelled: "boolean",
  customer_onec_id: "text",
};

export const ORDER_OPERATION = "Заказ товара";

/** Payment documents of a 3.x Контейнер (spec §6.7). */
const PAYMENT_OPERATIONS = new Set([
  "Выплата наличных денег",
  "Выплата безналичных денег",
  "Эквайринговая операция",
]);
/** Shipment documents of a 3.x Контейнер. */
const SHIPMENT_OPERATIONS = new Set(["Отпуск товара"]);

export function isOrderDocument(doc: SaleDocument): boolean {
  // 2.03 status documents may omit ХозОперация; they are still orders.
  return doc.operation === null || doc.operation === ORDER_OPERATION;
}

export function relatedKind(doc: SaleDocument): "payment" | "shipment" | null {
  if (doc.operation === null) return null;
  if (PAYMENT_OPERATIONS.has(doc.operation)) return "payment";
  if (SHIPMENT_OPERATIONS.has(doc.operation)) return "shipment";
  return null;
}

/** Requisites looked up by name case- and space-insensitively (1C configurations vary). */
function lookup(requisites: Record<string, string>) {
  const map = new Map<string, string>();
  for (const [k, v] of Object.entries(requisites)) {
    map.set(k.toLowerCase().replace(/\s+/g, " ").trim(), v);
  }
  return (...names: string[]): string | undefined => {
    for (const n of names) {
      const v = map.get(n.toLowerCase());
      if (v !== undefined) return v;
    }
    return undefined;
  };
}

const text = (v: string | undefined): string | null | undefined =>
  v === undefined ? undefined : (v.trim() || null);
const flag = (v: string | undefined): boolean | undefined =>
  v === undefined ? undefined : (parseFlag(v) ?? undefined);
const date = (v: string | undefined): string | null | undefined =>
  v === undefined ? undefined : normalizeOnecDate(v);

function dateTime(d: SaleDocument): string | null {
  const day = normalizeOnecDate(d.date1c ?? d.date);
  if (!day || !d.time || day.includes("T")) return day;
  return normalizeOnecDate(`${day}T${d.time}`);
}

/**
 * The changes an order document (with the payment / shipment documents of its Контейнер)
 * states. Undefined fields are not stated.
 */
export function changesFromDocument(doc: SaleDocument, related: SaleDocument[]): OrderChanges {
  const r = lookup(doc.requisites);
  const c: OrderChanges = {};
  const put = <K extends keyof OrderChanges>(key: K, value: OrderChanges[K] | undefined) => {
    if (value !== undefined) c[key] = value;
  };
  put("onec_number", text(r("Номер по 1С")) ?? doc.number1c ?? undefined);
  put("onec_date", date(r("Дата по 1С")) ?? normalizeOnecDate(doc.date1c) ?? undefined);
  put("onec_posted", flag(r("Проведен")));
  put("onec_deleted", flag(r("ПометкаУдаления")) ?? doc.deletionMark ?? undefined);
  put("cancelled", flag(r("Отменен")));
  put("onec_status", text(r("Статус заказа")));
  put("onec_status_id", text(r("Статуса заказа ИД", "Статус заказа ИД")));
  put("delivery_allowed", flag(r("Доставка разрешена")));

  // Paid: stated outright, or implied by a payment date (Bitrix reads it so).
  const paidAt = date(r("Дата оплаты по 1С", "Дата оплаты"));
  put("paid", flag(r("Оплачен", "Заказ оплачен")) ?? (paidAt ? true : undefined));
  put("paid_at", paidAt);
  put("payment_number", text(r("Номер оплаты по 1С", "Номер платежного документа")));

  // Shipped: stated, implied by a shipment date, or by a final status that is not a
  // cancellation (to.xml: "Финальный статус" true with "[F] Доставлен").
  const shippedAt = date(r("Дата отгрузки по 1С"));
  const final = flag(r("Финальный статус"));
  put(
    "shipped",
    flag(r("Отгружен")) ??
      (shippedAt ? true : final === true && c.cancelled !== true ? true : undefined),
  );
  put("shipped_at", shippedAt);
  put("shipment_number", text(r("Номер отгрузки по 1С")));

  // 3.x: payments and shipments travel as their own documents in the order's Контейнер.
  for (const d of related) {
    const kind = relatedKind(d);
    if (kind === null || d.deletionMark === true) continue;
    const posted = flag(lookup(d.requisites)("Проведен"));
    if (posted === false) continue;
    if (kind === "payment") {
      c.paid = true;
      c.paid_at ??= dateTime(d);
      c.payment_number ??= d.number1c ?? d.number;
    } else {
      c.shipped = true;
      c.shipped_at ??= dateTime(d);
      c.shipment_number ??= d.number1c ?? d.number;
    }
  }

  if (doc.buyer?.id) c.customer_onec_id = doc.buyer.id;
  return c;
}
