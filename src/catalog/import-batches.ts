/**
 * Records → write batches, ready for the writer: the step between the reader and Postgres that
 * needs no database. It runs on the import's worker thread (import-worker.ts), so that the main
 * thread only compares hashes and writes: spec/import-performance.md measured that a worker which
 * reads, parses, batches and serializes, with the main thread only writing, reached 2.0–2.3× a
 * bare parse — and handing whole record objects between threads (structured clone) cost more
 * CPU than parsing them.
 *
 * A product or offer batch is a few flat arrays (Ид, content hashes) and the rows already in
 * COPY text format (pg-copy.ts), as UTF-8 bytes that move to the main thread without a copy
 * (batchTransfer): new rows are copied in as they are; changed ones are split back into
 * columns for the upserts (copyColumns).
 *
 * Batching rules: one record type per batch, at most `batchSize` records; a header ends the
 * batch before it (what precedes a header is written under the earlier section's rules). Within
 * a batch an Ид listed twice keeps its last record (one statement may not touch a row twice).
 */
import { createHash } from "node:crypto";
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
import { copyField, textArrayLiteral } from "./pg-copy.ts";
import { release } from "./release-buffers.ts";

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
 * Each record is turned into its batch entry as it arrives, so that the record objects die
 * young (a batch of 1000 whole records outlives several minor GCs and fills the old space).
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
      return new Entries("product", productEntry, productBatch);
    case "offer":
      return new Entries("offer", offerEntry, offerBatch);
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

/** Entries by Ид: the last record with a given Ид wins and takes its place at the end. */
class Entries<R extends ProductRecord | OfferRecord, E, B extends ImportBatch> implements Builder {
  private entries: (E | null)[] = [];
  private index = new Map<string, number>();
  size = 0;
  constructor(
    readonly type: R["type"],
    private readonly entry: (r: R) => E,
    private readonly batch: (entries: E[]) => B,
  ) {}
  add(rec: CmlRecord) {
    const r = rec as R;
    const earlier = this.index.get(r.id);
    if (earlier !== undefined) this.entries[earlier] = null;
    this.index.set(r.id, this.entries.length);
    this.entries.push(this.entry(r));
    this.size++;
  }
  finish(): B {
    const live = this.entries.length === this.index.size
      ? this.entries as E[]
      : this.entries.filter((e): e is E => e !== null);
    return this.batch(live);
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

export function digest(value: unknown): string {
  return createHash("sha1").update(JSON.stringify(value)).digest("base64");
}

interface ProductEntry {
  id: string;
  hash: string;
  active: boolean;
  line: Uint8Array;
}

const encoder = new TextEncoder();

/**
 * A copy of `s` that does not keep the text it was cut from alive. The parser's strings are
 * slices of whole decoded input chunks (V8 SlicedString): an Ид kept until its batch is written
 * would keep its chunk too, and every chunk of the batch would outlive the young generation.
 */
const own = (s: string): string => ("_" + s).slice(1);

/** The parts end to end in one new array. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  return concatWithEnds(parts).bytes;
}

/** The parts end to end in one new array; `ends[i]` is where part i ends. */
function concatWithEnds(parts: readonly Uint8Array[]): { bytes: Uint8Array; ends: Uint32Array } {
  const ends = new Uint32Array(parts.length);
  let at = 0;
  parts.forEach((p, i) => (ends[i] = at += p.byteLength));
  const bytes = new Uint8Array(at);
  parts.forEach((p, i) => bytes.set(p, ends[i] - p.byteLength));
  return { bytes, ends };
}

/** concatWithEnds for parts made for it alone, whose memory is released at once. */
function joinEntries(parts: readonly Uint8Array[]): { bytes: Uint8Array; ends: Uint32Array } {
  const joined = concatWithEnds(parts);
  release(...parts);
  return joined;
}

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

function productEntry(p: ProductRecord): ProductEntry {
  const props = JSON.stringify(p.propertyValues);
  const req = JSON.stringify(p.requisites);
  const tax = JSON.stringify(p.taxRates);
  const chars = JSON.stringify(p.characteristics);
  // The same digest as ever (stored hashes stay valid): sha1 over these parts in this order.
  const hash = createHash("sha1").update(
    (p.sku ?? "\0") + (p.barcode ?? "\0") + p.name + (p.description ?? "\0") +
      JSON.stringify(p.groupIds) + (p.manufacturer ?? "\0") + JSON.stringify(p.images) + props +
      req + tax + chars + (p.baseUnit ?? "\0") + (p.version ?? "\0"),
  ).digest("base64");
  // Encoded at once: nothing of the record outlives this call.
  const line = encoder.encode(
    [
      p.id,
      p.sku,
      p.barcode,
      p.name,
      p.description,
      textArrayLiteral(p.groupIds),
      p.manufacturer,
      textArrayLiteral(p.images),
      props,
      req,
      tax,
      chars,
      p.baseUnit,
      p.version,
      !p.deleted,
      p.deleted,
      hash,
    ].map(copyField).join("\t") + "\n",
  );
  return { id: own(p.id), hash, active: !p.deleted, line };
}

function productBatch(entries: ProductEntry[]): ProductBatch {
  const { bytes, ends } = joinEntries(entries.map((e) => e.line));
  return {
    type: "products",
    ids: entries.map((e) => e.id),
    hashes: entries.map((e) => e.hash),
    active: entries.map((e) => e.active),
    lines: bytes,
    ends,
  };
}

interface OfferEntry {
  id: string;
  productId: string;
  descriptive: boolean;
  active: boolean;
  hash: string | null;
  pricesHash: string | null;
  stocksHash: string | null;
  quantity: number | null;
  priceCount: number;
  stockCount: number;
  stockRows: boolean;
  row: Uint8Array;
  prices: Uint8Array;
  stocks: Uint8Array;
}

const EMPTY = new Uint8Array(0);

function offerEntry(o: OfferRecord): OfferEntry {
  const descriptive = o.name !== null;
  const hash = descriptive
    ? digest([o.productId, o.name, o.sku, o.barcode, o.characteristics, o.propertyValues])
    : null;
  const pricesHash = o.prices === null ? null : digest(o.prices);
  const stocksHash = o.stocks === null && o.quantity === null
    ? null
    : digest([o.quantity, o.stocks]);
  const id = copyField(o.id);
  const row = descriptive
    ? encoder.encode([
      id,
      copyField(o.name),
      copyField(o.sku),
      copyField(o.barcode),
      copyField(JSON.stringify(o.characteristics)),
      copyField(o.quantity),
      copyField(!o.deleted),
      copyField(hash),
      copyField(pricesHash),
      copyField(stocksHash),
      "",
    ].join("\t"))
    : EMPTY;
  const prices: string[] = [];
  if (o.prices !== null) {
    const types = new Set<string>();
    for (const p of o.prices) {
      if (types.has(p.priceTypeId)) continue; // one row per type: the first one listed
      types.add(p.priceTypeId);
      prices.push(
        [id, copyField(p.priceTypeId), copyField(p.value), copyField(p.currency), copyField(p.unit)]
          .join("\t"),
      );
    }
  }
  const stocks: string[] = [];
  if (o.stocks !== null) {
    const warehouses = new Set<string>();
    for (const s of o.stocks) {
      if (warehouses.has(s.warehouseId)) continue;
      warehouses.add(s.warehouseId);
      stocks.push([id, copyField(s.warehouseId), copyField(s.quantity)].join("\t"));
    }
  }
  return {
    id: own(o.id),
    productId: own(o.productId),
    descriptive,
    active: !o.deleted,
    hash,
    pricesHash,
    stocksHash,
    quantity: o.quantity,
    priceCount: o.prices?.length ?? 0,
    stockCount: o.stocks?.length ?? 0,
    stockRows: o.stocks !== null,
    row,
    prices: prices.length ? encoder.encode(prices.join("\n") + "\n") : EMPTY,
    stocks: stocks.length ? encoder.encode(stocks.join("\n") + "\n") : EMPTY,
  };
}

function offerBatch(entries: OfferEntry[]): OfferBatch {
  const rows = joinEntries(entries.map((e) => e.row));
  const prices = joinEntries(entries.map((e) => e.prices));
  const stocks = joinEntries(entries.map((e) => e.stocks));
  return {
    type: "offers",
    ids: entries.map((e) => e.id),
    productIds: entries.map((e) => e.productId),
    descriptive: entries.map((e) => e.descriptive),
    active: entries.map((e) => e.active),
    hashes: entries.map((e) => e.hash),
    pricesHashes: entries.map((e) => e.pricesHash),
    stocksHashes: entries.map((e) => e.stocksHash),
    quantities: entries.map((e) => e.quantity),
    priceCounts: Uint32Array.from(entries, (e) => e.priceCount),
    stockCounts: Uint32Array.from(entries, (e) => e.stockCount),
    stockRows: entries.map((e) => e.stockRows),
    rows: rows.bytes,
    rowEnds: rows.ends,
    prices: prices.bytes,
    priceEnds: prices.ends,
    stocks: stocks.bytes,
    stockEnds: stocks.ends,
  };
}
