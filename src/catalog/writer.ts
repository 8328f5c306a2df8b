/**
 * Applies batches of CommerceML records to the catalog tables. Knows nothing about XML.
 * Each method is one set-based statement per table (see writer-sql.ts) and returns counts.
 */
import type pg from "pg";
import { createHash } from "node:crypto";
import type {
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

function hash(value: unknown): string {
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
      rows.map((g) => hash([g.parentId, g.name, g.position])),
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
      rows.map((p) => hash([p.name, p.valueType, p.forOffers, p.values])),
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
    const r = await this.db.query(Q.UPSERT_PRICE_TYPES, [
      rows.map((p) => p.id),
      rows.map((p) => p.name),
      rows.map((p) => p.currency),
    ]);
    this.add("priceTypes", rows.length, { created: 0, updated: r.rowCount ?? 0 });
  }

  async warehouses(batch: WarehouseRecord[]): Promise<void> {
    const rows = lastById(batch, (w) => w.id);
    const r = await this.db.query(Q.UPSERT_WAREHOUSES, [
      rows.map((w) => w.id),
      rows.map((w) => w.name),
    ]);
    this.add("warehouses", rows.length, { created: 0, updated: r.rowCount ?? 0 });
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

  async products(batch: ProductRecord[]): Promise<void> {
    const rows = lastById(batch, (p) => p.id);
    const n = rows.length;
    const cols: unknown[][] = Array.from({ length: 16 }, () => new Array(n));
    for (let i = 0; i < n; i++) {
      const p = rows[i];
      const groupIds = JSON.stringify(p.groupIds);
      const images = JSON.stringify(p.images);
      const props = JSON.stringify(p.propertyValues);
      const req = JSON.stringify(p.requisites);
      const tax = JSON.stringify(p.taxRates);
      const chars = JSON.stringify(p.characteristics);
      cols[0][i] = p.id;
      cols[1][i] = p.sku;
      cols[2][i] = p.barcode;
      cols[3][i] = p.name;
      cols[4][i] = p.description;
      cols[5][i] = groupIds;
      cols[6][i] = p.manufacturer;
      cols[7][i] = images;
      cols[8][i] = props;
      cols[9][i] = req;
      cols[10][i] = tax;
      cols[11][i] = chars;
      cols[12][i] = p.baseUnit;
      cols[13][i] = p.version;
      cols[14][i] = p.deleted;
      cols[15][i] = createHash("sha1").update(p.sku ?? "\0").update(p.barcode ?? "\0")
        .update(p.name).update(p.description ?? "\0").update(groupIds)
        .update(p.manufacturer ?? "\0").update(images).update(props).update(req).update(tax)
        .update(chars).update(p.baseUnit ?? "\0").update(p.version ?? "\0").digest("base64");
    }
    const { rows: [r] } = await this.db.query(Q.UPSERT_PRODUCTS, [...cols, this.seenRunId]);
    this.add("products", n, r);
  }

  /**
   * Offers with their prices and stock. An offer whose product is unknown is skipped and
   * reported. An offer that only carries prices or stock (a 3.x prices/rests package) does
   * not rewrite the offer itself; if it is unknown it is skipped.
   */
  async offers(batch: OfferRecord[]): Promise<void> {
    const rows = lastById(batch, (o) => o.id);
    const descriptive = rows.filter((o) => o.name !== null);
    const bare = rows.filter((o) => o.name === null);

    // Which product each descriptive offer belongs to.
    const candidates = new Set<string>();
    for (const o of descriptive) {
      candidates.add(o.id);
      candidates.add(o.productId);
    }
    const known = new Set<string>();
    if (candidates.size > 0) {
      const r = await this.db.query<{ onec_id: string }>(Q.RESOLVE_OFFER_PRODUCTS, [[
        ...candidates,
      ]]);
      for (const row of r.rows) known.add(row.onec_id);
    }
    const accepted: { o: OfferRecord; productId: string }[] = [];
    for (const o of descriptive) {
      const productId = known.has(o.id) ? o.id : known.has(o.productId) ? o.productId : null;
      if (productId === null) this.skip(o.id);
      else accepted.push({ o, productId });
    }
    // Bare offers must already exist.
    const existing = new Set<string>();
    if (bare.length > 0) {
      const r = await this.db.query<{ onec_id: string }>(Q.EXISTING_OFFERS, [
        bare.map((o) => o.id),
      ]);
      for (const row of r.rows) existing.add(row.onec_id);
    }
    const bareKnown = bare.filter((o) => existing.has(o.id) || (this.skip(o.id), false));

    if (accepted.length > 0) {
      const n = accepted.length;
      const cols: unknown[][] = Array.from({ length: 9 }, () => new Array(n));
      for (let i = 0; i < n; i++) {
        const { o, productId } = accepted[i];
        const chars = JSON.stringify(o.characteristics);
        cols[0][i] = o.id;
        cols[1][i] = productId;
        cols[2][i] = o.name;
        cols[3][i] = o.sku;
        cols[4][i] = o.barcode;
        cols[5][i] = chars;
        cols[6][i] = o.quantity;
        cols[7][i] = o.deleted;
        cols[8][i] = hash([o.name, o.sku, o.barcode, chars, o.propertyValues]);
      }
      const { rows: [r] } = await this.db.query(Q.UPSERT_OFFERS, [...cols, this.seenRunId]);
      this.add("offers", n, r);
    }
    const applied = [...accepted.map((a) => a.o), ...bareKnown];
    await this.prices(applied);
    await this.stocks(applied);
    // A bare offer's own Количество (rests package without warehouses) still updates the total.
    const bareQty = bareKnown.filter((o) => o.quantity !== null);
    if (bareQty.length > 0) {
      await this.db.query(
        `UPDATE offers o SET quantity = t.q, updated_at = now()
         FROM unnest($1::text[], $2::numeric[]) AS t(id, q)
         WHERE o.onec_id = t.id AND o.quantity IS DISTINCT FROM t.q`,
        [bareQty.map((o) => o.id), bareQty.map((o) => o.quantity)],
      );
    }
  }

  private skip(id: string) {
    this.count("offers").skipped++;
    if (this.skippedOffers.length < 50) this.skippedOffers.push(id);
  }

  private async prices(offers: OfferRecord[]): Promise<void> {
    const withPrices = offers.filter((o) => o.prices !== null);
    if (withPrices.length === 0) return;
    const oid: string[] = [], pt: string[] = [], val: number[] = [];
    const cur: (string | null)[] = [], unit: (string | null)[] = [];
    for (const o of withPrices) {
      for (const p of o.prices!) {
        oid.push(o.id);
        pt.push(p.priceTypeId);
        val.push(p.value);
        cur.push(p.currency);
        unit.push(p.unit);
      }
    }
    const { rows: [r] } = await this.db.query(Q.REPLACE_PRICES, [
      oid,
      pt,
      val,
      cur,
      unit,
      withPrices.map((o) => o.id),
    ]);
    this.add("prices", oid.length, r);
    this.count("prices").deactivated += r.deleted;
  }

  private async stocks(offers: OfferRecord[]): Promise<void> {
    const withStocks = offers.filter((o) => o.stocks !== null);
    if (withStocks.length === 0) return;
    const oid: string[] = [], wh: string[] = [], qty: number[] = [];
    for (const o of withStocks) {
      for (const s of o.stocks!) {
        oid.push(o.id);
        wh.push(s.warehouseId);
        qty.push(s.quantity);
      }
    }
    const { rows: [r] } = await this.db.query(Q.REPLACE_STOCKS, [
      oid,
      wh,
      qty,
      withStocks.map((o) => o.id),
    ]);
    this.add("stocks", oid.length, r);
    this.count("stocks").deactivated += r.deleted;
  }

  /** After a full file: everything of `kind` this run did not list becomes inactive. */
  async deactivateUnseen(runId: string, kinds: ("g" | "p" | "o")[]): Promise<void> {
    const names = { g: "groups", p: "products", o: "offers" } as const;
    for (const k of kinds) {
      const r = await this.db.query(Q.DEACTIVATE_UNSEEN_IN_RUN[k], [runId]);
      this.count(names[k]).deactivated += r.rowCount ?? 0;
    }
  }

  async forgetSeen(runId: string): Promise<void> {
    await this.db.query(Q.FORGET_SEEN, [runId]);
  }
}
