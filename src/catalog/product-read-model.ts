/**
 * Products as the read API shows them: one product with its offers, prices, stocks and resolved
 * properties. A page is assembled with one query per table for the whole page, never one per
 * product, so a 1000-item page costs the same handful of round trips as a single product.
 * Read for a platform role, each offer also carries that role's price (src/catalog/price-roles.ts);
 * every offer says whether it is in stock and can be ordered (src/catalog/availability.ts).
 */
import { imageKey } from "./images.ts";
import { availability } from "./availability.ts";
import { servesOrdersOf } from "./order-warehouses.ts";
import { type RawBuilder, sql } from "kysely";
import type { Db } from "../../db/pool.ts";
import type { PropertyValueRef } from "../../db/schema.ts";

export interface PriceView {
  priceTypeId: string;
  priceType: string | null;
  value: number;
  currency: string | null;
}

export interface StockView {
  warehouseId: string;
  warehouse: string | null;
  quantity: number;
}

export interface OfferView {
  onecId: string;
  isActive: boolean;
  characteristics: Record<string, string>;
  prices: PriceView[];
  /** Only when read for a role: that role's price, null when the offer has none. */
  price?: PriceView | null;
  stocks: StockView[];
  quantity: number | null;
  inStock: boolean;
  canBeOrdered: boolean;
}

export interface ProductView {
  onecId: string;
  sku: string | null;
  barcode: string | null;
  name: string;
  description: string | null;
  categoryIds: string[];
  manufacturer: string | null;
  isActive: boolean;
  properties: Record<string, string>;
  images: string[];
  updatedAt: string;
  offers: OfferView[];
}

export interface ProductFilter {
  /** A group Ид: products in it or in any group below it. */
  category?: string;
  active?: boolean;
  /** Products whose effective change time (see changedSince) is at or after this. */
  updatedSince?: Date;
}

export interface ReadOptions {
  /** Read for a platform role: the price type that prices it (each offer's `price`). */
  priceTypeId?: string;
}

/** Where the previous page ended: by Ид, or by (change time, Ид) when filtering on updatedSince. */
export type ProductCursor = { id: string } | { at: string; id: string };

export interface ProductPage {
  items: ProductView[];
  /** The last row of the page when more rows follow; the route encodes it. */
  next: ProductCursor | null;
  total: number;
}

const IMAGE_PREFIX = "/images/";

/**
 * The one place image URLs are built; routes/images.ts serves them (public, like any shop's
 * pictures), by the Картинка path from `import_files/` on.
 */
export function imageUrl(path: string): string {
  const clean = imageKey(path);
  return IMAGE_PREFIX + clean.split("/").map(encodeURIComponent).join("/");
}

// 1C's "empty reference": a Справочник property left blank arrives as this Ид.
const EMPTY_REF = "00000000-0000-0000-0000-000000000000";

// Microseconds, so a cursor built from it compares exactly against the column.
const isoMicros = (ts: RawBuilder<unknown>) =>
  sql<string>`to_char(${ts} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

function baseQuery(db: Db, filter: ProductFilter) {
  let q = db.selectFrom("products as p");
  if (filter.updatedSince) {
    // Offers, prices and stocks change without touching the product row (an offers.xml
    // exchange), yet a client syncing "what changed since" must see those products too. Only
    // rows changed since the cut-off are aggregated, so the join stays small for incremental
    // syncs, and GREATEST(p.updated_at, t.at) is still the true latest change.
    const since = filter.updatedSince;
    const touched = sql<{ product_id: string; at: Date }>`(
      SELECT product_id, max(at) AS at FROM (
        SELECT o.product_id, o.updated_at AS at FROM offers o WHERE o.updated_at >= ${since}
        UNION ALL
        SELECT o.product_id, pr.updated_at FROM prices pr
          JOIN offers o ON o.onec_id = pr.offer_id WHERE pr.updated_at >= ${since}
        UNION ALL
        SELECT o.product_id, s.updated_at FROM stocks s
          JOIN offers o ON o.onec_id = s.offer_id WHERE s.updated_at >= ${since}
      ) changes GROUP BY product_id
    )`.as("t");
    q = q
      .leftJoin(touched, "t.product_id", "p.onec_id")
      .where(sql<boolean>`(p.updated_at >= ${since} OR t.at IS NOT NULL)`);
  }
  if (filter.active !== undefined) q = q.where("p.is_active", "=", filter.active);
  if (filter.category !== undefined) {
    // UNION (not UNION ALL) stops the recursion even if 1C data ever holds a parent cycle.
    q = q.where(sql<boolean>`p.group_ids && ARRAY(
      WITH RECURSIVE tree(id) AS (
        SELECT ${filter.category}::text
        UNION
        SELECT g.onec_id FROM groups g JOIN tree ON g.parent_id = tree.id
      ) SELECT id FROM tree
    )`);
  }
  return q;
}

const changedAt = sql`GREATEST(p.updated_at, t.at)`;

/** What the view needs; requisites, tax rates and hashes stay in the database. */
const PRODUCT_COLUMNS = [
  "p.onec_id",
  "p.sku",
  "p.barcode",
  "p.name",
  "p.description",
  "p.group_ids",
  "p.manufacturer",
  "p.images",
  "p.property_values",
  "p.is_active",
  "p.updated_at",
] as const;

export async function listProducts(
  db: Db,
  filter: ProductFilter,
  limit: number,
  cursor?: ProductCursor,
  opts: ReadOptions = {},
): Promise<ProductPage> {
  const base = baseQuery(db, filter);

  let page: Promise<(ProductRow & { changed_at?: string })[]>;
  if (filter.updatedSince !== undefined) {
    let q = base.select(PRODUCT_COLUMNS).select(isoMicros(changedAt).as("changed_at"))
      .orderBy(changedAt).orderBy("p.onec_id").limit(limit + 1);
    if (cursor && "at" in cursor) {
      q = q.where(
        sql<boolean>`(${changedAt}, p.onec_id) > (${cursor.at}::timestamptz, ${cursor.id})`,
      );
    }
    page = q.execute();
  } else {
    let q = base.select(PRODUCT_COLUMNS).orderBy("p.onec_id").limit(limit + 1);
    if (cursor) q = q.where("p.onec_id", ">", cursor.id);
    page = q.execute();
  }
  const [rows, count] = await Promise.all([
    page,
    base.select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow(),
  ]);

  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  let next: ProductCursor | null = null;
  if (more) {
    const last = pageRows[pageRows.length - 1];
    next = last.changed_at !== undefined
      ? { at: last.changed_at, id: last.onec_id }
      : { id: last.onec_id };
  }
  return { items: await assemble(db, pageRows, opts), next, total: Number(count.n) };
}

export async function getProduct(
  db: Db,
  onecId: string,
  opts: ReadOptions = {},
): Promise<ProductView | undefined> {
  const row = await db.selectFrom("products as p").select(PRODUCT_COLUMNS)
    .where("p.onec_id", "=", onecId).executeTakeFirst();
  if (!row) return undefined;
  const [product] = await assemble(db, [row], opts);
  return product;
}

interface ProductRow {
  onec_id: string;
  sku: string | null;
  barcode: string | null;
  name: string;
  description: string | null;
  group_ids: string[];
  manufacturer: string | null;
  images: string[];
  property_values: PropertyValueRef[];
  is_active: boolean;
  /** A Date at run time; typed loosely because db/schema.ts wraps it in Generated<>. */
  updated_at: unknown;
}

async function assemble(db: Db, rows: ProductRow[], opts: ReadOptions): Promise<ProductView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.onec_id);

  const refs = rows.flatMap((r) => propertyRefs(r.property_values));
  const propIds = [...new Set(refs.map((r) => r.id))];
  const pairs = refs.flatMap((r) => r.values.map((v) => [r.id, v] as const));

  // One pooled connection per read, its queries queued on it: a read that took five
  // connections at once starved the pool under load (200 concurrent readers timed out
  // waiting for one).
  const [offers, prices, stocks, properties, dictionary] = await db.connection().execute((
    conn,
  ) =>
    Promise.all([
      conn.selectFrom("offers")
        .select(["onec_id", "product_id", "characteristics", "quantity", "is_active", "updated_at"])
        // The same for every row (Postgres evaluates it once): whether a total without
        // warehouses may count as orderable stock (src/catalog/availability.ts).
        .select(sql<boolean>`NOT EXISTS (
        SELECT 1 FROM warehouse_order_flags f JOIN warehouses w ON w.onec_id = f.warehouse_id
        WHERE NOT f.serves_orders
      )`.as("every_warehouse_serves"))
        .where("product_id", "in", ids)
        .orderBy("product_id").orderBy("onec_id")
        .execute(),
      conn.selectFrom("prices as pr")
        .innerJoin("offers as o", "o.onec_id", "pr.offer_id")
        .leftJoin("price_types as pt", "pt.onec_id", "pr.price_type_id")
        .select([
          "pr.offer_id",
          "pr.price_type_id",
          "pt.name as price_type",
          "pr.value",
          "pr.currency",
          "pt.currency as type_currency",
          "pr.updated_at",
        ])
        .where("o.product_id", "in", ids)
        .orderBy("pr.offer_id").orderBy("pr.price_type_id")
        .execute(),
      conn.selectFrom("stocks as s")
        .innerJoin("offers as o", "o.onec_id", "s.offer_id")
        .leftJoin("warehouses as w", "w.onec_id", "s.warehouse_id")
        .leftJoin("warehouse_order_flags as f", "f.warehouse_id", "w.onec_id")
        .select([
          "s.offer_id",
          "s.warehouse_id",
          "w.name as warehouse",
          "s.quantity",
          "s.updated_at",
        ])
        .select(servesOrdersOf.as("serves_orders"))
        .where("o.product_id", "in", ids)
        .orderBy("s.offer_id").orderBy("s.warehouse_id")
        .execute(),
      propIds.length === 0 ? [] : conn.selectFrom("properties")
        .select(["onec_id", "name"])
        .where("onec_id", "in", propIds)
        .execute(),
      // Every raw value is looked up, not only those of Справочник properties: the importer
      // stores plain ВариантыЗначений as value → value, so a lookup never changes a non-reference
      // value, and a reference whose property type 1C omitted still resolves.
      pairs.length === 0 ? [] : conn.selectFrom("property_values as pv")
        .innerJoin(
          sql<{ property_id: string; value_id: string }>`(
          SELECT * FROM unnest(${pairs.map((p) => p[0])}::text[], ${pairs.map((p) => p[1])}::text[])
            AS u(property_id, value_id)
        )`.as("k"),
          (join) =>
            join.onRef("k.property_id", "=", "pv.property_id").onRef(
              "k.value_id",
              "=",
              "pv.value_id",
            ),
        )
        .select(["pv.property_id", "pv.value_id", "pv.value"])
        .distinct()
        .execute(),
    ])
  );

  const propName = new Map(properties.map((p) => [p.onec_id, p.name]));
  const resolved = new Map(dictionary.map((d) => [`${d.property_id}\u0000${d.value_id}`, d.value]));

  const pricesByOffer = groupBy(prices, (p) => p.offer_id);
  const stocksByOffer = groupBy(stocks, (s) => s.offer_id);
  const offersByProduct = groupBy(offers, (o) => o.product_id);

  return rows.map((row) => {
    let latest = toDate(row.updated_at).getTime();
    const offerViews = (offersByProduct.get(row.onec_id) ?? []).map((o): OfferView => {
      latest = Math.max(latest, toDate(o.updated_at).getTime());
      const offerPrices = pricesByOffer.get(o.onec_id) ?? [];
      const offerStocks = stocksByOffer.get(o.onec_id) ?? [];
      for (const x of [...offerPrices, ...offerStocks]) {
        latest = Math.max(latest, toDate(x.updated_at).getTime());
      }
      const priceViews = offerPrices.map((p): PriceView => ({
        priceTypeId: p.price_type_id,
        priceType: p.price_type,
        value: Number(p.value),
        currency: p.currency ?? p.type_currency,
      }));
      const quantity = o.quantity === null ? null : Number(o.quantity);
      const levels = offerStocks.map((s) => ({
        quantity: Number(s.quantity),
        servesOrders: s.serves_orders,
      }));
      return {
        onecId: o.onec_id,
        isActive: o.is_active,
        characteristics: stringRecord(o.characteristics),
        prices: priceViews,
        ...(opts.priceTypeId === undefined ? {} : {
          price: priceViews.find((p) => p.priceTypeId === opts.priceTypeId) ?? null,
        }),
        stocks: offerStocks.map((s) => ({
          warehouseId: s.warehouse_id,
          warehouse: s.warehouse,
          quantity: Number(s.quantity),
        })),
        quantity,
        ...availability(levels, quantity, o.every_warehouse_serves),
      };
    });

    const props: Record<string, string> = {};
    for (const ref of propertyRefs(row.property_values)) {
      const values = ref.values.map((v) => resolved.get(`${ref.id}\u0000${v}`) ?? v)
        .filter((v) => v.trim() !== "");
      if (values.length === 0) continue;
      const name = propName.get(ref.id) ?? ref.id;
      const joined = values.join(", ");
      // Two properties may share a name in 1C; keep both values rather than lose one.
      props[name] = name in props ? `${props[name]}, ${joined}` : joined;
    }

    return {
      onecId: row.onec_id,
      sku: row.sku,
      barcode: row.barcode,
      name: row.name,
      description: row.description,
      categoryIds: row.group_ids,
      manufacturer: row.manufacturer,
      isActive: row.is_active,
      properties: props,
      images: row.images.map(imageUrl),
      updatedAt: new Date(latest).toISOString(),
      offers: offerViews,
    };
  });
}

/** The jsonb column as written by the importer, minus blanks; tolerant of hand-edited rows. */
function propertyRefs(raw: unknown): PropertyValueRef[] {
  if (!Array.isArray(raw)) return [];
  const out: PropertyValueRef[] = [];
  for (const item of raw) {
    if (typeof item !== "object" || item === null) continue;
    const { id, values } = item as { id?: unknown; values?: unknown };
    if (typeof id !== "string" || !Array.isArray(values)) continue;
    const kept = values.filter((v): v is string =>
      typeof v === "string" && v.trim() !== "" && v !== EMPTY_REF
    );
    if (kept.length > 0) out.push({ id, values: kept });
  }
  return out;
}

/** pg returns timestamptz as Date; a string is tolerated should a type parser change that. */
function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

function stringRecord(raw: unknown): Record<string, string> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v !== null && v !== undefined) out[k] = String(v);
  }
  return out;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}
