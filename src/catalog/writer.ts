/**
 * Applies batches of CommerceML records to the catalog tables. Knows nothing about XML.
 * Each method is one set-based statement per table (see writer-sql.ts) and returns counts.
 */
import type pg from "pg";
import { createHash } from "node:crypto";
import type {
  CmlRecord,
  GroupRecord,
  OfferRecord,
  PriceTypeRecord,
  ProductRecord,
  PropertyRecord,
  UnitRecord,
  WarehouseRecord,
} from "../commerceml/records.ts";
import * as Q from "./writer-sql.ts";

export interface EntityCounts {
  created: number;
  updated: number;
  unchanged: number;
  deactivated: number;
  skipped: number;
}

export type Counts = Record<string, EntityCounts>;

export const emptyCounts = (): EntityCounts => ({
  created: 0,
  updated: 0,
  unchanged: 0,
  deactivated: 0,
  skipped: 0,
});

function digest(value: unknown): string {
  return createHash("sha1").update(JSON.stringify(value)).digest("base64");
}

/** The last record with a given key wins: one upsert may not touch a row twice. */
function lastById<T>(records: T[], key: (r: T) => string): T[] {
  const map = new Map<string, T>();
  for (const r of records) {
    const k = key(r);
    map.delete(k);
    map.set(k, r);
  }
  return map.size === records.length ? records : [...map.values()];
}

type Queryable = Pick<pg.Pool | pg.PoolClient, "query">;

export class CatalogWriter {
  readonly counts: Counts = {};
  /** Offer Ids skipped because their product is unknown (first few, for the run report). */
  readonly skippedOffers: string[] = [];

  /**
   * @param seenRunId when set, every group/product/offer written is recorded as seen by this
   * run, so a full exchange can deactivate what it did not list.
   */
  constructor(private readonly db: Queryable, private seenRunId: string | null = null) {}

  trackSeen(runId: string | null) {
    this.seenRunId = runId;
  }

  private count(entity: string): EntityCounts {
    return (this.counts[entity] ??= emptyCounts());
  }

  private add(entity: string, total: number, r: { created: number; updated: number }) {
    const c = this.count(entity);
    c.created += r.created;
    c.updated += r.updated;
    c.unchanged += total - r.created - r.updated;
  }

  async groups(batch: GroupRecord[]): Promise<void> {
    const rows = lastById(batch, (g) => g.id);
    const { rows: [r] } = await this.db.query(Q.UPSERT_GROUPS, [
      rows.map((g) => g.id),
      rows.map((g) => g.parentId),
      rows.map((g) => g.name),
      rows.map((g) => g.position),
      rows.map((g) => g.deleted),
      rows.map((g) => digest([g.parentId, g.name, g.position])),
      this.seenRunId,
    ]);
    this.add("groups", rows.length, r);
  }

  async properties(batch: PropertyRecord[]): Promise<void> {
    const rows = lastById(batch, (p) => p.id);
    const { rows: [r] } = await this.db.query(Q.UPSERT_PROPERTIES, [
      rows.map((p) => p.id),
      rows.map((p) => p.name),
      rows.map((p) => p.valueType),
      rows.map((p) => p.forOffers),
      rows.map((p) => digest([p.name, p.valueType, p.forOffers, p.values])),
    ]);
    this.add("properties", rows.length, r);
    const withValues = rows.filter((p) => Object.keys(p.values).length > 0);
    if (withValues.length > 0) {
      const pid: string[] = [], vid: string[] = [], val: string[] = [];
      for (const p of withValues) {
        for (const [id, value] of Object.entries(p.values)) {
          pid.push(p.id);
          vid.push(id);
          val.push(value);
        }
      }
      await this.db.query(Q.REPLACE_PROPERTY_VALUES, [pid, vid, val, withValues.map((p) => p.id)]);
    }
  }

  async priceTypes(batch: PriceTypeRecord[]): Promise<void> {
    const rows = lastById(batch, (p) => p.id);
    const { rows: [r] } = await this.db.query(Q.UPSERT_PRICE_TYPES, [
      rows.map((p) => p.id),
      rows.map((p) => p.name),
      rows.map((p) => p.currency),
    ]);
    this.add("priceTypes", rows.length, r);
  }

  async warehouses(batch: WarehouseRecord[]): Promise<void> {
    const rows = lastById(batch, (w) => w.id);
    const { rows: [r] } = await this.db.query(Q.UPSERT_WAREHOUSES, [
      rows.map((w) => w.id),
      rows.map((w) => w.name),
    ]);
    this.add("warehouses", rows.length, r);
  }

  async units(batch: UnitRecord[]): Promise<void> {
    const rows = lastById(batch, (u) => u.code);
    await this.db.query(Q.UPSERT_UNITS, [
      rows.map((u) => u.code),
      rows.map((u) => u.name),
      rows.map((u) => u.fullName),
      rows.map((u) => u.international),
    ]);
  }

  /** A batch of records of one type (as the reader emits them) to the right table. */
  async write(type: CmlRecord["type"], items: CmlRecord[]): Promise<void> {
    const of = <T extends CmlRecord["type"]>(t: T) =>
      items.filter((r): r is Extract<CmlRecord, { type: T }> => r.type === t);
    switch (type) {
      case "group":
        return await this.groups(of("group"));
      case "property":
        return await this.properties(of("property"));
      case "priceType":
        return await this.priceTypes(of("priceType"));
      case "warehouse":
        return await this.warehouses(of("warehouse"));
      case "unit":
        return await this.units(of("unit"));
      case "product":
        return await this.products(of("product"));
      case "offer":
        return await this.offers(of("offer"));
      case "header":
        return;
    }
  }

  /** Ids a full section listed, so that what it did not list can be deactivated. */
  private async seen(kind: "p" | "o", ids: string[]): Promise<void> {
    if (this.seenRunId !== null && ids.length > 0) {
      await this.db.query(Q.RECORD_SEEN, [this.seenRunId, kind, ids]);
    }
  }

  /**
   * Products: the batch's stored hashes are read first and only new or changed products are
   * sent — an unchanged catalog costs one indexed read per batch, no writes.
   */
  async products(batch: ProductRecord[]): Promise<void> {
    const rows = lastById(batch, (p) => p.id);
    const ids = rows.map((p) => p.id);
    await this.seen("p", ids);
    const state = new Map<string, { hash: string; is_active: boolean }>();
    for (const r of (await this.db.query(Q.PRODUCT_STATE, [ids])).rows) state.set(r.onec_id, r);

    const cols: unknown[][] = Array.from({ length: 16 }, () => []);
    for (const p of rows) {
      const groupIds = JSON.stringify(p.groupIds);
      const images = JSON.stringify(p.images);
      const props = JSON.stringify(p.propertyValues);
      const req = JSON.stringify(p.requisites);
      const tax = JSON.stringify(p.taxRates);
      const chars = JSON.stringify(p.characteristics);
      const h = createHash("sha1").update(p.sku ?? "\0").update(p.barcode ?? "\0")
        .update(p.name).update(p.description ?? "\0").update(groupIds)
        .update(p.manufacturer ?? "\0").update(images).update(props).update(req).update(tax)
        .update(chars).update(p.baseUnit ?? "\0").update(p.version ?? "\0").digest("base64");
      const old = state.get(p.id);
      if (old && old.hash === h && old.is_active === !p.deleted) continue;
      const values = [
        p.id,
        p.sku,
        p.barcode,
        p.name,
        p.description,
        groupIds,
        p.manufacturer,
        images,
        props,
        req,
        tax,
        chars,
        p.baseUnit,
        p.version,
        p.deleted,
        h,
      ];
      for (let c = 0; c < 16; c++) cols[c].push(values[c]);
    }
    const sent = cols[0].length;
    if (sent > 0) {
      const { rows: [r] } = await this.db.query(Q.UPSERT_PRODUCTS, cols);
      this.add("products", rows.length, r);
    } else {
      this.add("products", rows.length, { created: 0, updated: 0 });
    }
  }

  /**
   * Offers with their prices and stock, each part written only when it changed (hashes kept
   * on the offer). An offer whose product is unknown is skipped and reported. An offer that
   * carries only prices or stock (a 3.x prices/rests package) never rewrites the offer's own
   * fields, and is skipped when the offer is unknown.
   */
  async offers(batch: OfferRecord[]): Promise<void> {
    const rows = lastById(batch, (o) => o.id);
    const ids = rows.map((o) => o.id);
    await this.seen("o", ids);
    type State = {
      hash: string;
      is_active: boolean;
      prices_hash: string | null;
      stocks_hash: string | null;
    };
    const state = new Map<string, State>();
    for (const r of (await this.db.query(Q.OFFER_STATE, [ids])).rows) state.set(r.onec_id, r);

    interface Plan {
      o: OfferRecord;
      old: State | undefined;
      hash: string | null;
      pricesHash: string | null;
      stocksHash: string | null;
      writeRow: boolean;
      writePrices: boolean;
      writeStocks: boolean;
    }
    const plans: Plan[] = [];
    const needProduct = new Set<string>();
    for (const o of rows) {
      const old = state.get(o.id);
      const descriptive = o.name !== null;
      if (!descriptive && !old) {
        this.skip(o.id);
        continue;
      }
      const hash = descriptive
        ? digest([o.productId, o.name, o.sku, o.barcode, o.characteristics, o.propertyValues])
        : null;
      const pricesHash = o.prices === null ? null : digest(o.prices);
      const stocksHash = o.stocks === null && o.quantity === null
        ? null
        : digest([o.quantity, o.stocks]);
      const writeRow = descriptive && (!old || old.hash !== hash || old.is_active === o.deleted);
      const writePrices = pricesHash !== null && old?.prices_hash !== pricesHash;
      const writeStocks = stocksHash !== null && old?.stocks_hash !== stocksHash;
      if (writeRow && !old) {
        needProduct.add(o.id);
        needProduct.add(o.productId);
      }
      plans.push({ o, old, hash, pricesHash, stocksHash, writeRow, writePrices, writeStocks });
    }

    // New offers must belong to a known product. 2.03/2.04 catalogs list one Товар per
    // characteristic with the full `product#characteristic` Ид, so that is tried first.
    const known = new Set<string>();
    if (needProduct.size > 0) {
      const r = await this.db.query<{ onec_id: string }>(Q.RESOLVE_OFFER_PRODUCTS, [[
        ...needProduct,
      ]]);
      for (const row of r.rows) known.add(row.onec_id);
    }
    const rowCols: unknown[][] = Array.from({ length: 11 }, () => []);
    const stateCols: unknown[][] = Array.from({ length: 4 }, () => []);
    const priceNew: Plan[] = [], priceChanged: Plan[] = [];
    const stockNew: Plan[] = [], stockChanged: Plan[] = [];
    let unchanged = 0;
    for (const plan of plans) {
      const { o, old } = plan;
      let productId = o.productId;
      if (plan.writeRow && !old) {
        const resolved = known.has(o.id) ? o.id : known.has(o.productId) ? o.productId : null;
        if (resolved === null) {
          this.skip(o.id);
          continue;
        }
        productId = resolved;
      }
      if (!plan.writeRow && !plan.writePrices && !plan.writeStocks) {
        unchanged++;
        this.count("prices").unchanged += o.prices?.length ?? 0;
        this.count("stocks").unchanged += o.stocks?.length ?? 0;
        continue;
      }
      if (plan.writeRow) {
        const values = [
          o.id,
          productId,
          o.name,
          o.sku,
          o.barcode,
          JSON.stringify(o.characteristics),
          o.quantity,
          o.deleted,
          plan.hash,
          plan.writePrices ? plan.pricesHash : null,
          plan.writeStocks ? plan.stocksHash : null,
        ];
        for (let c = 0; c < 11; c++) rowCols[c].push(values[c]);
      } else {
        const values = [
          o.id,
          plan.writePrices ? plan.pricesHash : null,
          plan.writeStocks ? plan.stocksHash : null,
          o.quantity,
        ];
        for (let c = 0; c < 4; c++) stateCols[c].push(values[c]);
      }
      if (plan.writePrices) (old?.prices_hash ? priceChanged : priceNew).push(plan);
      if (plan.writeStocks) (old?.stocks_hash ? stockChanged : stockNew).push(plan);
    }
    const c = this.count("offers");
    c.unchanged += unchanged;
    if (rowCols[0].length > 0) {
      const { rows: [r] } = await this.db.query(Q.UPSERT_OFFERS, rowCols);
      c.created += r.created;
      c.updated += r.updated;
    }
    if (stateCols[0].length > 0) {
      const r = await this.db.query(Q.UPDATE_OFFER_STATE, stateCols);
      c.updated += r.rowCount ?? 0;
    }
    await this.prices(priceNew, Q.INSERT_PRICES);
    await this.prices(priceChanged, Q.REPLACE_PRICES);
    await this.stocks(stockNew, Q.INSERT_STOCKS);
    await this.stocks(stockChanged, Q.REPLACE_STOCKS);
  }

  private skip(id: string) {
    this.count("offers").skipped++;
    if (this.skippedOffers.length < 50) this.skippedOffers.push(id);
  }

  /**
   * An offer that carries Цены gets exactly those prices (types it no longer lists are
   * removed); offers seen for the first time take the cheaper plain insert.
   */
  private async prices(plans: { o: OfferRecord }[], statement: string): Promise<void> {
    if (plans.length === 0) return;
    const oid: string[] = [], pt: string[] = [], val: number[] = [];
    const cur: (string | null)[] = [], unit: (string | null)[] = [];
    for (const { o } of plans) {
      for (const p of o.prices!) {
        oid.push(o.id);
        pt.push(p.priceTypeId);
        val.push(p.value);
        cur.push(p.currency);
        unit.push(p.unit);
      }
    }
    const params: unknown[] = [oid, pt, val, cur, unit];
    if (statement === Q.REPLACE_PRICES) params.push(plans.map((p) => p.o.id));
    const r = await this.db.query(statement, params);
    if (statement === Q.REPLACE_PRICES) {
      this.add("prices", oid.length, r.rows[0]);
      this.count("prices").deactivated += r.rows[0].deleted;
    } else {
      this.add("prices", oid.length, { created: r.rowCount ?? 0, updated: 0 });
    }
  }

  /** Same rule for stock: an offer that lists warehouses gets exactly those rows. */
  private async stocks(plans: { o: OfferRecord }[], statement: string): Promise<void> {
    const withStocks = plans.filter((p) => p.o.stocks !== null);
    if (withStocks.length === 0) return;
    const oid: string[] = [], wh: string[] = [], qty: number[] = [];
    for (const { o } of withStocks) {
      for (const s of o.stocks!) {
        oid.push(o.id);
        wh.push(s.warehouseId);
        qty.push(s.quantity);
      }
    }
    const params: unknown[] = [oid, wh, qty];
    if (statement === Q.REPLACE_STOCKS) params.push(withStocks.map((p) => p.o.id));
    const r = await this.db.query(statement, params);
    if (statement === Q.REPLACE_STOCKS) {
      this.add("stocks", oid.length, r.rows[0]);
      this.count("stocks").deactivated += r.rows[0].deleted;
    } else {
      this.add("stocks", oid.length, { created: r.rowCount ?? 0, updated: 0 });
    }
  }

  /** After a full file: everything of `kind` this run did not list becomes inactive. */
  async deactivateUnseen(runId: string, kinds: ("g" | "p" | "o")[]): Promise<void> {
    const names = { g: "groups", p: "products", o: "offers" } as const;
    for (const k of kinds) {
      const r = await this.db.query(Q.DEACTIVATE_UNSEEN_IN_RUN[k], [runId]);
      this.count(names[k]).deactivated += r.rowCount ?? 0;
    }
  }

  /** Records which kinds of data this transaction changed (for skipping identical files). */
  async markChanged(): Promise<void> {
    const changed = Object.entries(this.counts)
      .filter(([, c]) => c.created + c.updated + c.deactivated > 0).map(([entity]) => entity);
    if (changed.length > 0) await this.db.query(Q.MARK_CHANGED, [changed]);
  }

  async forgetSeen(runId: string): Promise<void> {
    await this.db.query(Q.FORGET_SEEN, [runId]);
  }
}
