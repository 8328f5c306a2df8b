/**
 * Records → write batches, ready for the writer: the step between the reader and Postgres that
 * needs no database. It runs on the import's worker thread (import-worker.ts), so that the main
 * thread only compares hashes and writes: spec/import-performance.md measured that a worker which
 * reads, parses, batches and serializes, with the main thread only writing, reached 2.0–2.3× a
 * bare parse — and handing whole record objects between threads (structured clone) cost more
 * CPU than parsing them.
 *
 * A product or offer batch is a few flat arrays (Ид, content hashes) and the rows already in
 * COPY text format (copy-text.ts), as UTF-8 bytes that move to the main thread without a copy
 * (batchArrays): new rows are copied in as they are; changed ones are split back into
 * columns for the upserts (copyColumns).
 *
 * Batching rules: one record type per batch, at most `batchSize` records; a header ends the
 * batch before it (what precedes a header is written under the earlier section's rules). Within
 * a batch an Ид listed twice keeps its last record (one statement may not touch a row twice).
 */
import type {
  CmlRecord,
  GroupRecord,
  HeaderRecord,
  OfferRecord,
  PriceTypeRecord,
  ProductRecord,
  PropertyRecord,
  UnitRecord,
  WarehouseRecord,
} from "../commerceml/records.ts";
import { copyField, textArrayLiteral } from "./copy-text.ts";
import { release } from "./release-buffers.ts";
import { contentHash } from "./content-hash.ts";
import { Utf8Builder } from "./utf8-builder.ts";

/** Classifier-level records: few, written from the records themselves. */
export type SmallRecord =
  | GroupRecord
  | PropertyRecord
  | PriceTypeRecord
  | WarehouseRecord
  | UnitRecord;

export interface SmallBatch {
  type: "records";
  recordType: SmallRecord["type"];
  items: SmallRecord[];
}

/** Products, one row each (COPY_NEW_PRODUCTS columns). */
export interface ProductBatch {
  type: "products";
  ids: string[];
  hashes: string[];
  active: boolean[];
  /** Every product's COPY line (UTF-8, "\n"-terminated), in order; line i ends at byte `ends[i]`. */
  lines: Uint8Array;
  ends: Uint32Array;
}

/** Offers with their prices and stock. */
export interface OfferBatch {
  type: "offers";
  ids: string[];
  /** The part of the Ид before '#'. */
  productIds: string[];
  /** Carries Наименование: may create the offer and rewrite its own fields. */
  descriptive: boolean[];
  active: boolean[];
  /** Hash of the offer's own fields; null when not descriptive. */
  hashes: (string | null)[];
  /** null: the offer has no Цены element. */
  pricesHashes: (string | null)[];
  /** null: neither stock rows nor a total Количество. */
  stocksHashes: (string | null)[];
  quantities: (number | null)[];
  /** How many Цена / Склад entries the offer listed (for the counts of unchanged rows). */
  priceCounts: Uint32Array;
  stockCounts: Uint32Array;
  /** The offer lists per-warehouse stock (Склад or Остатки), not only a total. */
  stockRows: boolean[];
  /**
   * COPY_NEW_OFFERS lines without their last column (the product, resolved when writing):
   * offer i's bytes end at `rowEnds[i]` with a tab. Empty for an offer that is not descriptive.
   */
  rows: Uint8Array;
  rowEnds: Uint32Array;
  /** COPY_NEW_PRICES lines of every offer (one per price type: the first listed). */
  prices: Uint8Array;
  priceEnds: Uint32Array;
  /** COPY_NEW_STOCKS lines of every offer (one per warehouse: the first listed). */
  stocks: Uint8Array;
  stockEnds: Uint32Array;
}

export type ImportBatch = HeaderRecord | SmallBatch | ProductBatch | OfferBatch;

/**
 * The input cut into pieces of at most 64 KiB for the decoder (uploads are stored, and read,
 * in 1 MiB chunks). The decoded text of a piece is what the parser's strings are sliced from:
 * a small one dies young, a 1 MiB one (2 MB of two-byte text) outlives a minor GC, lands in
 * the old space and takes a full GC to free.
 *
 * With `releaseChunks` (the chunks belong to the caller alone, e.g. transferred to a worker)
 * each chunk's memory is released once it is decoded — one chunk late, because the decoder
 * looks back at the previous piece to report an invalid sequence that began there.
 */
export async function* parserInput(
  source: AsyncIterable<Uint8Array>,
  { size = 64 * 1024, releaseChunks = false } = {},
): AsyncIterable<Uint8Array> {
  let previous: Uint8Array | null = null;
  for await (const chunk of source) {
    if (chunk.byteLength <= size) yield chunk;
    else for (let at = 0; at < chunk.byteLength; at += size) yield chunk.subarray(at, at + size);
    if (releaseChunks && previous) release(previous);
    previous = chunk;
  }
}

/** The batches of a stream of record arrays (as the readers yield them). */
export async function* importBatches(
  records: AsyncIterable<CmlRecord[]>,
  batchSize: number,
): AsyncIterable<ImportBatch> {
  let builder: Builder | null = null;
  for await (const chunk of records) {
    for (const rec of chunk) {
      if (rec.type === "header") {
        if (builder) yield builder.finish();
        builder = null;
        yield rec;
        continue;
      }
      if (builder && (builder.type !== rec.type || builder.size >= batchSize)) {
        yield builder.finish();
        builder = null;
      }
      builder ??= newBuilder(rec.type);
      builder.add(rec);
    }
  }
  if (builder) yield builder.finish();
}

/**
 * Each record is turned into its batch entry as it arrives — hashes computed, COPY text
 * appended to the batch's UTF-8 buffers — so that the record objects die young (a batch of
 * 1000 whole records outlives several minor GCs and fills the old space).
 */
interface Builder {
  readonly type: CmlRecord["type"];
  /** Records added, an Ид listed twice counted twice. */
  readonly size: number;
  add(rec: CmlRecord): void;
  finish(): ImportBatch;
}

function newBuilder(type: Exclude<CmlRecord["type"], "header">): Builder {
  switch (type) {
    case "product":
      return new ProductBuilder();
    case "offer":
      return new OfferBuilder();
    default:
      return new SmallBuilder(type);
  }
}

class SmallBuilder implements Builder {
  private items: SmallRecord[] = [];
  constructor(readonly type: SmallRecord["type"]) {}
  get size() {
    return this.items.length;
  }
  add(rec: CmlRecord) {
    this.items.push(rec as SmallRecord);
  }
  finish(): SmallBatch {
    return { type: "records", recordType: this.type, items: this.items };
  }
}

/** The last record with a given key wins: one upsert may not touch a row twice. */
export function lastById<T>(records: T[], key: (r: T) => string): T[] {
  const map = new Map<string, T>();
  for (const r of records) {
    const k = key(r);
    map.delete(k);
    map.set(k, r);
  }
  return map.size === records.length ? records : [...map.values()];
}

/** A hash of a small value's JSON (classifier records: groups, properties). */
export function digest(value: unknown): string {
  return contentHash(JSON.stringify(value));
}

/**
 * A copy of `s` that does not keep the text it was cut from alive. The parser's strings are
 * slices of whole decoded input chunks (V8 SlicedString): an Ид kept until its batch is written
 * would keep its chunk too, and every chunk of the batch would outlive the young generation.
 */
const own = (s: string): string => ("_" + s).slice(1);

/** The typed arrays of a batch: transferred rather than copied to another thread, released once written. */
export function batchArrays(batch: ImportBatch): ArrayBufferView[] {
  switch (batch.type) {
    case "products":
      return [batch.lines, batch.ends];
    case "offers":
      return [
        batch.rows,
        batch.rowEnds,
        batch.prices,
        batch.priceEnds,
        batch.stocks,
        batch.stockEnds,
      ];
    default:
      return [];
  }
}

/**
 * Text appended entry by entry (an entry's piece may be empty), and where each entry's piece
 * ends. An entry superseded by a later one with the same Ид is dropped when the batch is
 * finished.
 */
class Pieces {
  private text = new Utf8Builder();
  private ends: number[] = [];

  /** Ends the current entry's piece (after its text was appended with `append`). */
  end() {
    this.ends.push(this.text.length);
  }

  append(text: string) {
    this.text.append(text);
  }

  finish(live: boolean[] | null): { bytes: Uint8Array; ends: Uint32Array } {
    const bytes = this.text.finish();
    if (live === null) return { bytes, ends: Uint32Array.from(this.ends) };
    const kept = new Utf8Builder(bytes.length);
    const ends: number[] = [];
    for (let i = 0, start = 0; i < this.ends.length; start = this.ends[i++]) {
      if (live[i]) ends.push(kept.appendBytes(bytes.subarray(start, this.ends[i])));
    }
    release(bytes);
    return { bytes: kept.finish(), ends: Uint32Array.from(ends) };
  }
}

/** Entries by Ид: the last record with a given Ид wins and takes its place at the end. */
abstract class EntryBuilder<R extends ProductRecord | OfferRecord> implements Builder {
  abstract readonly type: R["type"];
  private index = new Map<string, number>();
  private live: boolean[] = [];
  private superseded = 0;
  size = 0;

  add(rec: CmlRecord) {
    const r = rec as R;
    const earlier = this.index.get(r.id);
    if (earlier !== undefined) {
      this.live[earlier] = false;
      this.superseded++;
    }
    this.index.set(r.id, this.live.length);
    this.live.push(true);
    this.size++;
    this.entry(r);
  }

  /** Appends the record's entry (columns and pieces). */
  protected abstract entry(r: R): void;

  /** Which entries survive, or null when all do. */
  protected survivors(): boolean[] | null {
    return this.superseded === 0 ? null : this.live;
  }

  /** A column with the superseded entries taken out. */
  protected keep<T>(column: T[]): T[] {
    return this.superseded === 0 ? column : column.filter((_, i) => this.live[i]);
  }

  abstract finish(): ImportBatch;
}

class ProductBuilder extends EntryBuilder<ProductRecord> {
  readonly type = "product";
  private ids: string[] = [];
  private hashes: string[] = [];
  private active: boolean[] = [];
  private lines = new Pieces();

  protected entry(p: ProductRecord) {
    // The COPY line's columns but the hash, which is the hash of them.
    const text = [
      p.id,
      p.sku,
      p.barcode,
      p.name,
      p.description,
      textArrayLiteral(p.groupIds),
      p.manufacturer,
      textArrayLiteral(p.images),
      JSON.stringify(p.propertyValues),
      JSON.stringify(p.requisites),
      JSON.stringify(p.taxRates),
      JSON.stringify(p.characteristics),
      p.baseUnit,
      p.version,
      !p.deleted,
      p.deleted,
    ].map(copyField).join("\t");
    const hash = contentHash(text);
    this.lines.append(text);
    this.lines.append("\t" + hash + "\n");
    this.lines.end();
    this.ids.push(own(p.id));
    this.hashes.push(hash);
    this.active.push(!p.deleted);
  }

  finish(): ProductBatch {
    const { bytes, ends } = this.lines.finish(this.survivors());
    return {
      type: "products",
      ids: this.keep(this.ids),
      hashes: this.keep(this.hashes),
      active: this.keep(this.active),
      lines: bytes,
      ends,
    };
  }
}

class OfferBuilder extends EntryBuilder<OfferRecord> {
  readonly type = "offer";
  private ids: string[] = [];
  private productIds: string[] = [];
  private descriptive: boolean[] = [];
  private active: boolean[] = [];
  private hashes: (string | null)[] = [];
  private pricesHashes: (string | null)[] = [];
  private stocksHashes: (string | null)[] = [];
  private quantities: (number | null)[] = [];
  private priceCounts: number[] = [];
  private stockCounts: number[] = [];
  private stockRows: boolean[] = [];
  private rows = new Pieces();
  private prices = new Pieces();
  private stocks = new Pieces();

  protected entry(o: OfferRecord) {
    const descriptive = o.name !== null;
    const id = copyField(o.id);
    // The offer's own fields (what UPSERT_OFFERS rewrites) and, apart, its prices and stock:
    // each part is written only when its own hash changed.
    let hash: string | null = null;
    if (descriptive) {
      const own = [
        id,
        copyField(o.name),
        copyField(o.sku),
        copyField(o.barcode),
        copyField(JSON.stringify(o.characteristics)),
      ].join("\t");
      hash = contentHash(o.productId + "\t" + own);
      this.rows.append(own);
    }
    let pricesHash: string | null = null;
    if (o.prices !== null) {
      const types = new Set<string>();
      let text = "";
      for (const p of o.prices) {
        if (types.has(p.priceTypeId)) continue; // one row per type: the first one listed
        types.add(p.priceTypeId);
        text += id + "\t" + copyField(p.priceTypeId) + "\t" + copyField(p.value) + "\t" +
          copyField(p.currency) + "\t" + copyField(p.unit) + "\n";
      }
      pricesHash = contentHash(text);
      this.prices.append(text);
    }
    let stocksHash: string | null = null;
    if (o.stocks !== null || o.quantity !== null) {
      let text = "";
      if (o.stocks !== null) {
        const warehouses = new Set<string>();
        for (const s of o.stocks) {
          if (warehouses.has(s.warehouseId)) continue;
          warehouses.add(s.warehouseId);
          text += id + "\t" + copyField(s.warehouseId) + "\t" + copyField(s.quantity) + "\n";
        }
        this.stocks.append(text);
      }
      // The total and whether warehouses were listed at all are part of the stock's state.
      stocksHash = contentHash(`${o.quantity}|${o.stocks === null ? "-" : "+"}|${text}`);
    }
    if (descriptive) {
      this.rows.append(
        "\t" + [o.quantity, !o.deleted, hash, pricesHash, stocksHash].map(copyField).join("\t") +
          "\t",
      );
    }
    this.rows.end();
    this.prices.end();
    this.stocks.end();
    this.ids.push(own(o.id));
    this.productIds.push(own(o.productId));
    this.descriptive.push(descriptive);
    this.active.push(!o.deleted);
    this.hashes.push(hash);
    this.pricesHashes.push(pricesHash);
    this.stocksHashes.push(stocksHash);
    this.quantities.push(o.quantity);
    this.priceCounts.push(o.prices?.length ?? 0);
    this.stockCounts.push(o.stocks?.length ?? 0);
    this.stockRows.push(o.stocks !== null);
  }

  finish(): OfferBatch {
    const live = this.survivors();
    const rows = this.rows.finish(live);
    const prices = this.prices.finish(live);
    const stocks = this.stocks.finish(live);
    return {
      type: "offers",
      ids: this.keep(this.ids),
      productIds: this.keep(this.productIds),
      descriptive: this.keep(this.descriptive),
      active: this.keep(this.active),
      hashes: this.keep(this.hashes),
      pricesHashes: this.keep(this.pricesHashes),
      stocksHashes: this.keep(this.stocksHashes),
      quantities: this.keep(this.quantities),
      priceCounts: Uint32Array.from(this.keep(this.priceCounts)),
      stockCounts: Uint32Array.from(this.keep(this.stockCounts)),
      stockRows: this.keep(this.stockRows),
      rows: rows.bytes,
      rowEnds: rows.ends,
      prices: prices.bytes,
      priceEnds: prices.ends,
      stocks: stocks.bytes,
      stockEnds: stocks.ends,
    };
  }
}
