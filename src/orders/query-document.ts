/**
 * The `type=sale&mode=query` answer: one CommerceML `Документ` per order, in the shape of the
 * official example (from.xml, "Заказ с сайта") and of Bitrix's answers, which every 1C
 * configuration reads. Spec §6.6:
 *   "`Ид` (site order id), `Номер` (site number), `Дата` (`YYYY-MM-DD`), `Время` (`HH:MM:SS`),
 *    `ХозОперация` = `Заказ товара`, `Роль` = `Продавец`, `Валюта` (`руб`), `Курс` (`1`),
 *    `Сумма`, `Комментарий`."
 */
import type { OrderStatus } from "../../db/schema-orders.ts";
import type { XmlWriter } from "./xml-writer.ts";

export interface ExportLine {
  offer_id: string;
  name: string;
  sku: string | null;
  unit_code: string | null;
  unit_name: string | null;
  unit_full_name: string | null;
  unit_international: string | null;
  quantity: string;
  price: string;
  amount: string;
}

export interface ExportOrder {
  id: string;
  number: string;
  currency: string;
  total: string;
  comment: string | null;
  /** Wall-clock creation date and time in SALE_EXCHANGE_TIMEZONE. */
  local_date: string;
  local_time: string;
  local_status_changed: string;
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
  paid: boolean;
  paid_at: string | null;
  payment_number: string | null;
  shipped: boolean;
  cancelled: boolean;
  delivery_allowed: boolean;
  status: OrderStatus;
  lines: ExportLine[];
}

/**
 * Statuses as "[id] name", Bitrix's form, which 1C's status mapping matches on; the same list
 * is what mode=info offers.
 */
export const STATUS_LABELS: Record<OrderStatus, { id: string; name: string }> = {
  new: { id: "N", name: "Принят" },
  accepted: { id: "N", name: "Принят" },
  paid: { id: "P", name: "Оплачен" },
  shipped: { id: "F", name: "Выполнен" },
  cancelled: { id: "C", name: "Отменен" },
};

/** Delivery travels as a service line with this Ид (spec §6.6, from.xml). */
export const DELIVERY_LINE_ID = "ORDER_DELIVERY";

/**
 * The root element. The format attributes are Bitrix's: they tell 1C how to read dates and
 * numbers, and 1C versions that expect them find them.
 */
export function rootAttributes(schemaVersion: string, generatedAt: string) {
  return {
    "ВерсияСхемы": schemaVersion,
    "ДатаФормирования": generatedAt,
    "ФорматДаты": "ДФ=yyyy-MM-dd; ДЛФ=DT",
    "ФорматВремени": "ДФ=ЧЧ:мм:сс; ДЛФ=T",
    "РазделительДатаВремя": "T",
    "ФорматСуммы": "ЧЦ=18; ЧДЦ=2; ЧРД=.",
    "ФорматКоличества": "ЧЦ=18; ЧДЦ=3; ЧРД=.",
  };
}

/**
 * "if there is no characteristic send the plain product Ид — sending `guid#guid` with
 * identical halves makes 1C try to create a characteristic" (spec §6.6).
 */
export function lineId(offerId: string): string {
  const hash = offerId.indexOf("#");
  if (hash < 0) return offerId;
  const product = offerId.slice(0, hash);
  const characteristic = offerId.slice(hash + 1);
  return characteristic === "" || characteristic === product ? product : offerId;
}

/**
 * Who 1C should book the order to: its own Ид once it told us; otherwise a stable site-side
 * Ид (1C creates the counterparty under it and finds it again on the buyer's next order).
 */
export function buyerId(o: ExportOrder): string {
  if (o.customer_onec_id) return o.customer_onec_id;
  if (o.customer_id) return `customer:${o.customer_id}`;
  if (o.buyer_email) return `email:${o.buyer_email}`;
  if (o.buyer_phone) return `phone:${o.buyer_phone.replace(/[^\d+]/g, "")}`;
  return `order:${o.number}`;
}

function buyerName(o: ExportOrder): string {
  const person = [o.buyer_last_name, o.buyer_first_name].filter(Boolean).join(" ");
  return o.buyer_company_name ?? (person || o.buyer_email || o.buyer_phone ||
    (o.customer_id ? `Покупатель ${o.customer_id}` : `Покупатель заказа ${o.number}`));
}

function requisite(w: XmlWriter, name: string, value: string) {
  w.open("ЗначениеРеквизита").leaf("Наименование", name).leaf("Значение", value).close();
}

function lineRequisites(w: XmlWriter, kind: "Товар" | "Услуга") {
  w.open("ЗначенияРеквизитов");
  requisite(w, "ВидНоменклатуры", kind);
  requisite(w, "ТипНоменклатуры", kind);
  w.close();
}

type Unit = Pick<ExportLine, "unit_code" | "unit_name" | "unit_full_name" | "unit_international">;

/** The unit of a service line, as in from.xml. */
const PIECE: Unit = {
  unit_code: "796",
  unit_name: "шт",
  unit_full_name: "Штука",
  unit_international: "PCE",
};

/** `<БазоваяЕдиница Код="796" НаименованиеПолное="Штука" МеждународноеСокращение="PCE">шт</…>` */
function baseUnit(w: XmlWriter, u: Unit) {
  const attrs: Record<string, string> = {};
  if (u.unit_code) attrs["Код"] = u.unit_code;
  if (u.unit_full_name) attrs["НаименованиеПолное"] = u.unit_full_name;
  if (u.unit_international) attrs["МеждународноеСокращение"] = u.unit_international;
  w.leaf("БазоваяЕдиница", u.unit_name ?? u.unit_code ?? "шт", attrs);
}

export function writeOrder(w: XmlWriter, o: ExportOrder): void {
  w.open("Документ")
    .leaf("Ид", o.id)
    .leaf("Номер", o.number)
    .leaf("Дата", o.local_date)
    .leaf("Время", o.local_time)
    .leaf("ХозОперация", "Заказ товара")
    .leaf("Роль", "Продавец")
    .leaf("Валюта", o.currency)
    .leaf("Курс", "1")
    .leaf("Сумма", o.total);

  // Контрагенты/Контрагент: the buyer, "Роль = Покупатель" (spec §6.6).
  w.open("Контрагенты").open("Контрагент");
  const name = buyerName(o);
  w.leaf("Ид", buyerId(o)).leaf("Наименование", name);
  if (o.buyer_company_name) w.leaf("ОфициальноеНаименование", o.buyer_company_name);
  else w.leaf("ПолноеНаименование", name);
  w.leaf("Роль", "Покупатель")
    .optional("Фамилия", o.buyer_last_name)
    .optional("Имя", o.buyer_first_name)
    .optional("ИНН", o.buyer_tax_id);
  if (o.buyer_email || o.buyer_phone) {
    w.open("Контакты");
    if (o.buyer_email) {
      w.open("Контакт").leaf("Тип", "Электронная почта").leaf("Значение", o.buyer_email).close();
    }
    if (o.buyer_phone) {
      w.open("Контакт").leaf("Тип", "Телефон рабочий").leaf("Значение", o.buyer_phone).close();
    }
    w.close();
  }
  w.close().close();

  w.leaf("Комментарий", o.comment);

  w.open("Товары");
  const deliveryPrice = o.delivery_price === null ? 0 : Number(o.delivery_price);
  if (deliveryPrice > 0) {
    // "Delivery is sent as an extra Товар with Ид = ORDER_DELIVERY, name "Доставка заказа",
    // both requisites = Услуга" (spec §6.6).
    w.open("Товар")
      .leaf("Ид", DELIVERY_LINE_ID)
      .leaf("Наименование", "Доставка заказа");
    baseUnit(w, PIECE);
    w.leaf("ЦенаЗаЕдиницу", o.delivery_price)
      .leaf("Количество", "1")
      .leaf("Сумма", o.delivery_price);
    lineRequisites(w, "Услуга");
    w.close();
  }
  for (const l of o.lines) {
    w.open("Товар").leaf("Ид", lineId(l.offer_id)).optional("Артикул", l.sku)
      .leaf("Наименование", l.name);
    baseUnit(w, l);
    w.leaf("ЦенаЗаЕдиницу", l.price).leaf("Количество", l.quantity).leaf("Сумма", l.amount);
    lineRequisites(w, "Товар");
    w.close();
  }
  w.close();

  // Document requisites, "names exactly as 1C expects them" (spec §6.6).
  const label = STATUS_LABELS[o.status];
  w.open("ЗначенияРеквизитов");
  if (o.payment_method) requisite(w, "Метод оплаты", o.payment_method);
  requisite(w, "Заказ оплачен", String(o.paid));
  if (o.paid_at) requisite(w, "Дата оплаты", o.paid_at.replace("T", " "));
  if (o.payment_number) requisite(w, "Номер платежного документа", o.payment_number);
  requisite(w, "Доставка разрешена", String(o.delivery_allowed));
  if (o.delivery_method) requisite(w, "Способ доставки", o.delivery_method);
  if (o.delivery_address) requisite(w, "Адрес доставки", o.delivery_address);
  requisite(w, "Отменен", String(o.cancelled));
  requisite(w, "Финальный статус", String(o.cancelled || o.shipped));
  requisite(w, "Статус заказа", `[${label.id}] ${label.name}`);
  requisite(w, "Статуса заказа ИД", label.id);
  requisite(w, "Дата изменения статуса", o.local_status_changed);
  w.close();

  w.close();
}
