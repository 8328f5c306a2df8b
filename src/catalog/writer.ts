/**
 * Applies batches (import-batches.ts) to the catalog tables. Knows nothing about XML.
 * Each batch costs a few set-based statements (see writer-sql.ts): rows seen for the first time
 * are copied in, changed ones upserted, unchanged ones (same content hash) not sent at all.
 */
import type pg from "pg";
import type {
  GroupRecord,
  PriceTypeRecord,
  PropertyRecord,
  UnitRecord,
  WarehouseRecord,
} from "../commerceml/records.ts";
import * as Q from "./writer-sql.ts";
import { copyIn } from "./pg-copy.ts";
import { copyColumns, copyField } from "./copy-text.ts";
import { release } from "./release-buffers.ts";
import { concatBytes } from "../concat-bytes.ts";
import {
  digest,
  lastById,
  type OfferBatch,
  type ProductBatch,
  type SmallBatch,
} from "./import-batches.ts";

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

const encoder = new TextEncoder();

/** The columns of COPY lines (slices of a batch's rows), for the upserts of changed rows. */
function columnsOf(parts: Uint8Array[], columns: number): (string | null)[][] {
  const data = concatBytes(parts);
  const out = copyColumns(data, columns);
  release(data);
  return out;
}

/** A COPY line's last column (after the tab its other columns end with) and the newline. */
const lastColumn = (value: string) => encoder.encode(copyField(value) + "\n");

/** Offer i's piece of one of a batch's byte runs (rows, prices, stocks). */
const piece = (bytes: Uint8Array, ends: Uint32Array, i: number) =>
  bytes.subarray(i === 0 ? 0 : ends[i - 1], ends[i]);

/**
 * An offer's prices and stock rows in a batch (COPY lines, their ends, how many the file
 * listed) and the statements that write them.
 */
const OFFER_ROWS = {
  prices: {
    of: (b: OfferBatch) => [b.prices, b.priceEnds, b.priceCounts] as const,
    columns: 5,
    insert: Q.INSERT_PRICES,
    replace: Q.REPLACE_PRICES,
  },
  stocks: {
    of: (b: OfferBatch) => [b.stocks, b.stockEnds, b.stockCounts] as const,
    columns: 3,
    insert: Q.INSERT_STOCKS,
    replace: Q.REPLACE_STOCKS,
  },
} as const;

export class CatalogWriter {
  readonly counts: Counts = {};
  /** Offer Ids skipped because their product is unknown (first few, for the run report). */
  readonly skippedOffers: string[] = [];

  /**
   * @param seenRunId when set, every group/product/offer written is recorded as seen by this
   * run, so a full exchange can deactivate what it did not list.
   */
  constructor(private readonly db: pg.ClientBase, private seenRunId: string | null = null) {}

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

  /** One batch to the right table(s). */
  async write(batch: SmallBatch | ProductBatch | OfferBatch): Promise<void> {
    switch (batch.type) {
      case "products":
        return await this.products(batch);
      case "offers":
        return await this.offers(batch);
    }
    const items = batch.items;
    switch (batch.recordType) {
      case "group":
        return await this.groups(items as GroupRecord[]);
      case "property":
        return await this.properties(items as PropertyRecord[]);
      case "priceType":
        return await this.priceTypes(items as PriceTypeRecord[]);
      case "warehouse":
        return await this.warehouses(items as WarehouseRecord[]);
      case "unit":
        return await this.units(items as UnitRecord[]);
    }
  }

  /**
   * Products: the batch's stored hashes are read first (recording what a full file listed in
   * the same round trip) and only new or changed products are sent — an unchanged catalog
   * costs one indexed read per batch, no writes. New products are copied in (a first import
   * sends the batch's text as it is); changed ones go through the upsert.
   */
  async products(b: ProductBatch): Promise<void> {
    type State = { onec_id: string; hash: string; is_active: boolean };
    const found: State[] = (await this.db.query(Q.PRODUCT_STATE, [b.ids, this.seenRunId])).rows;
    let created = 0, updated = 0;
    if (found.length === 0) {
      created = await copyIn(this.db, Q.COPY_NEW_PRODUCTS, b.lines);
    } else {
      const state = new Map(found.map((r): [string, State] => [r.onec_id, r]));
      const fresh: Uint8Array[] = [], changed: Uint8Array[] = [];
      for (let i = 0, start = 0; i < b.ids.length; start = b.ends[i++]) {
        const old = state.get(b.ids[i]);
        if (!old) fresh.push(b.lines.subarray(start, b.ends[i]));
        else if (old.hash !== b.hashes[i] || old.is_active !== b.active[i]) {
          changed.push(b.lines.subarray(start, b.ends[i]));
        }
      }
      if (fresh.length) created = await this.copy(Q.COPY_NEW_PRODUCTS, fresh);
      if (changed.length) {
        const columns = columnsOf(changed, 17);
        const { rows: [r] } = await this.db.query(Q.UPSERT_PRODUCTS, columns);
        created += r.created;
        updated += r.updated;
      }
    }
    this.add("products", b.ids.length, { created, updated });
  }

  /**
   * Offers with their prices and stock, each part written only when it changed (hashes kept
   * on the offer). An offer whose product is unknown is skipped and reported. An offer that
   * carries only prices or stock (a 3.x prices/rests package) never rewrites the offer's own
   * fields, and is skipped when the offer is unknown. New offers are copied in with their
   * prices and stock.
   */
  async offers(b: OfferBatch): Promise<void> {
    const n = b.ids.length;
    type State = {
      onec_id: string;
      hash: string;
      is_active: boolean;
      prices_hash: string | null;
      stocks_hash: string | null;
    };
    const found: State[] = (await this.db.query(Q.OFFER_STATE, [b.ids, this.seenRunId])).rows;
    const state = new Map(found.map((r): [string, State] => [r.onec_id, r]));

    const olds: (State | undefined)[] = new Array(n);
    const writeRow: boolean[] = new Array(n), writePrices: boolean[] = new Array(n);
    const writeStocks: boolean[] = new Array(n), skipped: boolean[] = new Array(n);
    const needProduct = new Set<string>();
    for (let i = 0; i < n; i++) {
      const old = olds[i] = state.get(b.ids[i]);
      skipped[i] = !b.descriptive[i] && !old;
      if (skipped[i]) {
        this.skip(b.ids[i]);
        continue;
      }
      writeRow[i] = b.descriptive[i] &&
        (!old || old.hash !== b.hashes[i] || old.is_active !== b.active[i]);
      writePrices[i] = b.pricesHashes[i] !== null && old?.prices_hash !== b.pricesHashes[i];
      writeStocks[i] = b.stocksHashes[i] !== null && old?.stocks_hash !== b.stocksHashes[i];
      if (!old) {
        needProduct.add(b.ids[i]);
        needProduct.add(b.productIds[i]);
      }
    }

    // New offers must belong to a known product. 2.03/2.04 catalogs list one Товар per
    // characteristic with the full `product#characteristic` Ид, so that is tried first.
    const known = new Set<string>();
    if (needProduct.size > 0) {
      const r = await this.db.query(Q.RESOLVE_OFFER_PRODUCTS, [[...needProduct]]);
      for (const row of r.rows as { onec_id: string }[]) known.add(row.onec_id);
    }
    const freshOffers: Uint8Array[] = [], freshPrices: Uint8Array[] = [];
    const freshStocks: Uint8Array[] = [], changedRows: Uint8Array[] = [];
    let freshPriceCount = 0, freshStockCount = 0;
    const stateCols: unknown[][] = Array.from({ length: 4 }, () => []);
    const priceNew: number[] = [], priceChanged: number[] = [];
    const stockNew: number[] = [], stockChanged: number[] = [];
    let unchanged = 0;
    for (let i = 0; i < n; i++) {
      if (skipped[i]) continue;
      const old = olds[i];
      if (!old) {
        const id = b.ids[i], pid = b.productIds[i];
        const productId = known.has(id) ? id : known.has(pid) ? pid : null;
        if (productId === null) {
          this.skip(id);
          continue;
        }
        // New: copied in with its prices and stock, no conflict handling (see COPY_NEW_OFFERS).
        freshOffers.push(piece(b.rows, b.rowEnds, i), lastColumn(productId));
        if (b.pricesHashes[i] !== null) {
          freshPrices.push(piece(b.prices, b.priceEnds, i));
          freshPriceCount += b.priceCounts[i];
        }
        if (b.stockRows[i]) {
          freshStocks.push(piece(b.stocks, b.stockEnds, i));
          freshStockCount += b.stockCounts[i];
        }
        if (b.pricesHashes[i] !== null) this.count("prices");
        if (b.stockRows[i]) this.count("stocks");
        continue;
      }
      if (!writeRow[i] && !writePrices[i] && !writeStocks[i]) {
        unchanged++;
        this.count("prices").unchanged += b.priceCounts[i];
        this.count("stocks").unchanged += b.stockCounts[i];
        continue;
      }
      if (writeRow[i]) {
        // The line's price/stock hashes are the file's: equal to ours when not written, or
        // null (kept by COALESCE).
        changedRows.push(piece(b.rows, b.rowEnds, i), lastColumn(b.productIds[i]));
      } else {
        stateCols[0].push(b.ids[i]);
        stateCols[1].push(writePrices[i] ? b.pricesHashes[i] : null);
        stateCols[2].push(writeStocks[i] ? b.stocksHashes[i] : null);
        stateCols[3].push(b.quantities[i]);
      }
      if (writePrices[i]) (old.prices_hash ? priceChanged : priceNew).push(i);
      // A total without warehouses is the offer's quantity (written above), not stock rows.
      if (writeStocks[i] && b.stockRows[i]) (old.stocks_hash ? stockChanged : stockNew).push(i);
    }
    const c = this.count("offers");
    c.unchanged += unchanged;
    if (freshOffers.length) {
      c.created += await this.copy(Q.COPY_NEW_OFFERS, freshOffers);
      if (freshPrices.length) {
        const copied = await this.copy(Q.COPY_NEW_PRICES, freshPrices);
        this.add("prices", freshPriceCount, { created: copied, updated: 0 });
      }
      if (freshStocks.length) {
        const copied = await this.copy(Q.COPY_NEW_STOCKS, freshStocks);
        this.add("stocks", freshStockCount, { created: copied, updated: 0 });
      }
    }
    if (changedRows.length) {
      const columns = columnsOf(changedRows, 11);
      const { rows: [r] } = await this.db.query(Q.UPSERT_OFFERS, columns);
      c.created += r.created;
      c.updated += r.updated;
    }
    if (stateCols[0].length > 0) {
      const r = await this.db.query(Q.UPDATE_OFFER_STATE, stateCols);
      c.updated += r.rowCount ?? 0;
    }
    await this.offerRows("prices", b, priceNew, false);
    await this.offerRows("prices", b, priceChanged, true);
    await this.offerRows("stocks", b, stockNew, false);
    await this.offerRows("stocks", b, stockChanged, true);
  }

  /** COPY of the parts (slices of a batch's rows) as one message; the joined copy is freed after. */
  private async copy(statement: string, parts: Uint8Array[]): Promise<number> {
    const data = concatBytes(parts);
    try {
      return await copyIn(this.db, statement, data);
    } finally {
      release(data);
    }
  }

  private skip(id: string) {
    this.count("offers").skipped++;
    if (this.skippedOffers.length < 50) this.skippedOffers.push(id);
  }

  /**
   * Prices or stock rows of existing offers. An offer that carries Цены gets exactly those
   * prices (types it no longer lists are removed), and one that lists warehouses exactly those
   * stock rows; offers that had none take the cheaper insert.
   */
  private async offerRows(
    kind: keyof typeof OFFER_ROWS,
    b: OfferBatch,
    offers: number[],
    replace: boolean,
  ): Promise<void> {
    if (offers.length === 0) return;
    const rows = OFFER_ROWS[kind];
    const [bytes, ends, counts] = rows.of(b);
    const parts: Uint8Array[] = [];
    let listed = 0;
    for (const i of offers) {
      parts.push(piece(bytes, ends, i));
      listed += counts[i];
    }
    const params: unknown[] = columnsOf(parts, rows.columns);
    if (replace) params.push(offers.map((i) => b.ids[i]));
    const r = await this.db.query(replace ? rows.replace : rows.insert, params);
    if (replace) {
      this.add(kind, listed, r.rows[0]);
      this.count(kind).deactivated += r.rows[0].deleted;
    } else {
      this.add(kind, listed, { created: r.rowCount ?? 0, updated: 0 });
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
