/**
 * Shared by the orders tests: a small catalog written straight into the tables the catalog
 * import fills, orders created through the real API, 1C's side through OneCClient, and the
 * query document read back with @xmldom/xmldom (an independent parser, not ours).
 */
import { DOMParser, type Element } from "@xmldom/xmldom";
import { sql } from "kysely";
import type { Harness } from "../helpers/harness.ts";
import { inProcess, OneCClient } from "../../src/onec/exchange-client.ts";

export const PLATFORM = "dev-platform-token";
export const READER = "dev-reader-token";
export const ADMIN = "dev-admin-token";

export const SAMPLES = new URL("../../../shared/samples/commerceml/", import.meta.url).pathname;

/** Catalog ids used across the tests. */
export const CATALOG = {
  tv: "dee6e19a-55bc-11d9-848a-00112f43529a",
  boots: "bd72d913-55bc-11d9-848a-00112f43529a",
  bootsBeige: "bd72d913-55bc-11d9-848a-00112f43529a#b02e2814-720f-11df-b436-0015e92f2802",
  /** An offer whose Ид repeats the product's Ид after `#`. */
  cable: "c0ffee00-0000-0000-0000-000000000001",
  cableSame: "c0ffee00-0000-0000-0000-000000000001#c0ffee00-0000-0000-0000-000000000001",
  gone: "dead0000-0000-0000-0000-000000000000",
  bag: "bag-1",
} as const;

export async function seedCatalog(h: Harness): Promise<void> {
  await sql`
    INSERT INTO units (code, name, full_name, international) VALUES
      ('796', 'шт', 'Штука', 'PCE'), ('715', 'пар', 'Пара (2 шт.)', 'NPR')
  `.execute(h.ctx.db);
  await sql`
    INSERT INTO products (onec_id, name, sku, hash, base_unit, is_active) VALUES
      (${CATALOG.tv}, 'Телевизор "JVC"', 'TV-1', 'h', '796', true),
      (${CATALOG.boots}, 'Ботинки женские', 'B-35', 'h', '715', true),
      (${CATALOG.cable}, 'Кабель HDMI', NULL, 'h', 'м', true),
      (${CATALOG.gone}, 'Снят с продажи', NULL, 'h', NULL, false),
      (${CATALOG.bag}, 'Пакет', NULL, 'h', NULL, true)
  `.execute(h.ctx.db);
  await sql`
    INSERT INTO offers (onec_id, product_id, name, sku, hash) VALUES
      (${CATALOG.tv}, ${CATALOG.tv}, NULL, NULL, 'h'),
      (${CATALOG.bootsBeige}, ${CATALOG.boots}, 'Ботинки женские (35, Бежевый)', 'B-35-BG', 'h'),
      (${CATALOG.cableSame}, ${CATALOG.cable}, NULL, NULL, 'h')
  `.execute(h.ctx.db);
}

export function api(
  h: Harness,
  method: string,
  path: string,
  body?: unknown,
  opts: { token?: string | null; headers?: Record<string, string> } = {},
): Promise<Response> {
  const token = opts.token === undefined ? PLATFORM : opts.token;
  const headers: Record<string, string> = { ...opts.headers };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return Promise.resolve(h.app.request(`/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  }));
}

export interface OrderBody {
  id: string;
  number: string;
  status: string;
  version: number;
  total: number;
  itemsTotal: number;
  items: { offerId: string; quantity: number; price: number; amount: number; name: string }[];
  exportedAt: string | null;
  exportedVersion: number | null;
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
  customerOnecId: string | null;
  comment: string | null;
  updatedAt: string;
}

export const simpleOrder = (extra: Record<string, unknown> = {}) => ({
  customer: { email: "buyer@example.com", firstName: "Иван", lastName: "Петров" },
  items: [{ offerId: CATALOG.tv, quantity: 1, price: 6394.47 }],
  currency: "RUB",
  ...extra,
});

export async function createOrder(h: Harness, body: unknown = simpleOrder()): Promise<OrderBody> {
  const res = await api(h, "POST", "/orders", body);
  if (res.status !== 201) throw new Error(`create order: ${res.status} ${await res.text()}`);
  return await res.json();
}

/** An order whose id (and so its number) is `id`: the next value of the id sequence is set. */
export async function createOrderWithId(
  h: Harness,
  id: number,
  body: unknown = simpleOrder(),
): Promise<OrderBody> {
  await sql`SELECT setval(pg_get_serial_sequence('orders', 'id'), ${id - 1})`.execute(h.ctx.db);
  const o = await createOrder(h, body);
  if (o.id !== String(id)) throw new Error(`expected order ${id}, got ${o.id}`);
  return o;
}

export async function getOrder(h: Harness, id: string): Promise<OrderBody> {
  const res = await api(h, "GET", `/orders/${id}`, undefined, { token: READER });
  if (res.status !== 200) throw new Error(`get order ${id}: ${res.status}`);
  return await res.json();
}

export async function saleClient(
  h: Harness,
  opts: { version?: string; app?: Harness["app"] } = {},
): Promise<OneCClient> {
  const c = new OneCClient(inProcess(opts.app ?? h.app), { type: "sale" });
  const auth = await c.checkauth();
  if (auth.lines[0] !== "success") throw new Error(`checkauth: ${auth.lines.join(" | ")}`);
  const init = await c.call(
    opts.version ? { mode: "init", version: opts.version } : {
      mode: "init",
    },
  );
  if (!init.lines[0].startsWith("zip=")) throw new Error(`init: ${init.lines.join(" | ")}`);
  return c;
}

export interface QueryDoc {
  status: number;
  contentType: string | null;
  contentLength: string | null;
  raw: Uint8Array;
  text: string;
  root: Element;
  documents: Element[];
}

/** mode=query, decoded by the charset it declares and parsed with xmldom. */
export async function query(c: OneCClient): Promise<QueryDoc> {
  const a = await c.call({ mode: "query" });
  const contentType = a.headers.get("content-type");
  const charset = /charset=([\w-]+)/.exec(contentType ?? "")?.[1] ?? "utf-8";
  const text = new TextDecoder(charset, { fatal: true }).decode(a.raw);
  const dom = new DOMParser({
    onError: (level, msg) => {
      if (level !== "warning") throw new Error(`query document: ${msg}`);
    },
  }).parseFromString(text, "text/xml");
  const root = dom.documentElement!;
  return {
    status: a.status,
    contentType,
    contentLength: a.headers.get("content-length"),
    raw: a.raw,
    text,
    root,
    documents: children(root, "Документ"),
  };
}

export function children(el: Element, name: string): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).localName === name) out.push(n as Element);
  }
  return out;
}

export function child(el: Element, name: string): Element | undefined {
  return children(el, name)[0];
}

export function textOf(el: Element | undefined, name?: string): string | undefined {
  const target = name === undefined ? el : el && child(el, name);
  return target?.textContent ?? undefined;
}

/** ЗначенияРеквизитов of an element as name → value. */
export function requisites(el: Element): Record<string, string> {
  const out: Record<string, string> = {};
  const list = child(el, "ЗначенияРеквизитов");
  if (!list) return out;
  for (const r of children(list, "ЗначениеРеквизита")) {
    out[textOf(r, "Наименование")!] = textOf(r, "Значение") ?? "";
  }
  return out;
}

export async function success(c: OneCClient): Promise<string[]> {
  return (await c.call({ mode: "success" })).lines;
}

export async function readSample(rel: string): Promise<Uint8Array> {
  return await Deno.readFile(SAMPLES + rel);
}
