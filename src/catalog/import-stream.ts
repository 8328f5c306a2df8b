/**
 * One CommerceML file into the catalog: bytes → (worker thread: decode, XML events, records,
 * write batches with content hashes and COPY text) → hash comparison and set-based writes,
 * all inside one transaction.
 *
 * One transaction per file is deliberate: a malformed file, a crash or a kill -9 leaves the
 * catalog exactly as it was before the file (nothing half-imported), and a retried job starts
 * from a clean slate. Readers of the API keep seeing the previous catalog until the commit.
 */
import type pg from "pg";
import type { CmlRecord, HeaderRecord } from "../commerceml/records.ts";
import { readInWorker } from "../commerceml/threaded-reader.ts";
import { readCommerceML } from "../commerceml/reader.ts";
import { CatalogWriter, type Counts } from "./writer.ts";
import { batchArrays, type ImportBatch, importBatches, parserInput } from "./import-batches.ts";
import { release } from "./release-buffers.ts";
import type { ImportWorkerOptions } from "./import-worker.ts";
import { ImportInputError } from "../imports/import-input-error.ts";

export interface ImportProgress {
  bytesRead: number;
  counts: Counts;
}

export interface ImportResult {
  /** What the file held: classifier, catalog, offers, mixed, counterparties, document, empty. */
  kind: string;
  /** true when a section said СодержитТолькоИзменения="false". */
  fullExchange: boolean | null;
  counts: Counts;
  warnings: string[];
  schemaVersion: string | null;
  /** A full package whose deactivation waits for the end of the exchange. */
  deactivationDeferred: boolean;
}

export interface ImportOptions {
  client: pg.PoolClient;
  source: AsyncIterable<Uint8Array>;
  runId: string | null;
  batchSize: number;
  signal?: AbortSignal;
  onProgress?: (p: ImportProgress) => Promise<void> | void;
  progressIntervalMs?: number;
  /** Parse on a worker thread (default). Off only where threads are unavailable. */
  threaded?: boolean;
  /** Report what would change, then roll back. */
  dryRun?: boolean;
  /**
   * One package of a split exchange (3.x, `import___<uuid>.xml`, `goods/1/…`): a full one
   * must not deactivate what other packages carry, so deactivation waits for
   * mode=deactivate / complete. CommerceML 3.x files count as split whatever their name.
   */
  splitPackage?: boolean;
  /** Refuse (and roll back) a file whose content is none of these kinds. */
  acceptKinds?: readonly string[];
}

type WriteBatch = Exclude<ImportBatch, HeaderRecord>;

/**
 * Every lookup of the import is by key (a batch's Ид against the primary key). Tables filled
 * in this very transaction have no statistics yet, and without them Postgres estimates that
 * `onec_id = ANY(<1000 ids>)` matches nearly every row: it scanned the whole, growing table
 * once per batch (a first 100k import spent 2.3 s of Postgres time in these lookups).
 */
const PREFER_INDEXES = "SET LOCAL enable_seqscan = off";

export async function importStream(opts: ImportOptions): Promise<ImportResult> {
  const { client, runId } = opts;
  const writer = new CatalogWriter(client, runId);
  const sections = new Set<HeaderRecord["section"]>();
  const full: Partial<Record<HeaderRecord["section"], boolean>> = {};
  let schemaVersion: string | null = null;
  let bytesRead = 0;
  let lastProgress = 0;
  let reportedKinds = 0;
  const interval = opts.progressIntervalMs ?? 1000;

  async function* counted(): AsyncIterable<Uint8Array> {
    for await (const chunk of opts.source) {
      bytesRead += chunk.length;
      yield chunk;
    }
  }

  let catalogChecked = false;
  const seenTypes = new Set<CmlRecord["type"]>();
  const offerParts = new Set<"prices" | "stocks" | "names">();
  /**
   * One batch in flight: while Postgres applies a batch (on its own core), the next one is
   * parsed. Writes stay in order — each starts only after the previous one finished.
   */
  let inFlight: Promise<void> = Promise.resolve();
  const write = async (batch: WriteBatch) => {
    if (batch.type === "offers" && !catalogChecked) {
      // The import admin flow's dependency rule: offers, prices or stock for a catalog that
      // has no products at all cannot be right (the catalog file was not sent, or failed).
      catalogChecked = true;
      const r = await client.query("SELECT EXISTS (SELECT 1 FROM products) AS any");
      if (!r.rows[0].any) {
        throw new ImportInputError(
          "offers, prices or stock arrived but the catalog has no products: import the catalog first",
        );
      }
    }
    await writer.write(batch);
    release(...batchArrays(batch));
    opts.signal?.throwIfAborted();
    const now = Date.now();
    // Every interval, and as soon as a new kind of row is written (1C and the admin page see
    // "imported 1000 products" at once, not a second later, which can be the end of a file).
    const kinds = Object.keys(writer.counts).length;
    if (opts.onProgress && (now - lastProgress >= interval || kinds !== reportedKinds)) {
      lastProgress = now;
      reportedKinds = kinds;
      await opts.onProgress({ bytesRead, counts: writer.counts });
    }
  };
  const enqueue = async (batch: WriteBatch) => {
    await inFlight; // a failed write surfaces here
    inFlight = write(batch);
    inFlight.catch(() => {}); // handled where it is awaited
  };

  let split = false;
  await client.query("BEGIN");
  await client.query(PREFER_INDEXES);
  try {
    const batches = opts.threaded === false
      ? importBatches(readCommerceML(parserInput(counted())), opts.batchSize)
      : readInWorker<ImportBatch>(
        new URL("./import-worker.ts", import.meta.url),
        counted(),
        { batchSize: opts.batchSize, reader: {} } satisfies ImportWorkerOptions,
      );
    for await (const batch of batches) {
      if (batch.type === "header") {
        await inFlight; // what comes before a header is written under the earlier section's rules
        sections.add(batch.section);
        schemaVersion ??= batch.schemaVersion;
        if (batch.changesOnly !== null) full[batch.section] = !batch.changesOnly;
        // Seen-tracking costs a row per product: only a full catalog or offers section needs
        // it. Classifier groups (few) are always tracked: in 2.x the classifier comes before
        // the Каталог that says whether the file is full.
        if (batch.section === "catalog" || batch.section === "offers") {
          writer.trackSeen(batch.changesOnly === false && runId !== null ? runId : null);
        } else if (batch.section === "classifier") {
          writer.trackSeen(runId);
        }
        continue;
      }
      noteKinds(batch, seenTypes, offerParts);
      await enqueue(batch);
    }
    await inFlight;

    // Deactivation comes last and only after a full section was read to its end.
    split = opts.splitPackage === true || (schemaVersion?.startsWith("3") ?? false);
    if (runId !== null && !split) {
      const kinds: ("g" | "p" | "o")[] = [];
      if (full.catalog === true) kinds.push("p");
      if ((full.catalog === true || full.classifier === true) && writer.counts.groups) {
        kinds.push("g");
      }
      if (full.offers === true) kinds.push("o");
      if (kinds.length) {
        await client.query("SET LOCAL enable_seqscan = on"); // this one reads whole tables
        await writer.deactivateUnseen(runId, kinds);
      }
    }
    const kind = describeKind(sections, seenTypes, offerParts);
    if (opts.acceptKinds && !opts.acceptKinds.includes(kind)) {
      throw new ImportInputError(
        `the file holds ${kind} data, not ${opts.acceptKinds.join(" or ")}: nothing imported`,
      );
    }
    await writer.markChanged();
    if (opts.dryRun) await client.query("ROLLBACK");
    else await client.query("COMMIT");
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {});
    throw e;
  }
  if (opts.onProgress) await opts.onProgress({ bytesRead, counts: writer.counts });

  const warnings: string[] = [];
  if (writer.skippedOffers.length > 0) {
    const skipped = writer.counts.offers?.skipped ?? 0;
    warnings.push(
      `${skipped} offer(s) skipped: their product is unknown (${
        writer.skippedOffers.slice(0, 10).join(", ")
      }${skipped > 10 ? ", …" : ""})`,
    );
  }
  for (const s of ["counterparties", "document"] as const) {
    if (sections.has(s)) warnings.push(`${s} sections are not imported by the catalog exchange`);
  }
  const fulls = Object.values(full);
  return {
    kind: describeKind(sections, seenTypes, offerParts),
    fullExchange: fulls.length ? fulls.some(Boolean) : null,
    counts: writer.counts,
    warnings,
    schemaVersion,
    deactivationDeferred: split && fulls.some(Boolean),
  };
}

/** Which record types the batch holds and, for offers, which parts they carry. */
function noteKinds(
  batch: WriteBatch,
  types: Set<CmlRecord["type"]>,
  offerParts: Set<"prices" | "stocks" | "names">,
): void {
  switch (batch.type) {
    case "records":
      types.add(batch.recordType);
      return;
    case "products":
      types.add("product");
      return;
    case "offers":
      types.add("offer");
      if (batch.pricesHashes.some((h) => h !== null)) offerParts.add("prices");
      if (batch.stocksHashes.some((h) => h !== null)) offerParts.add("stocks");
      if (batch.descriptive.some(Boolean)) offerParts.add("names");
  }
}

/**
 * What the file held, from its content (3.x packages are named import___/offers___/prices___/
 * rests___, but a name proves nothing: a classifier package also carries an empty Каталог).
 */
function describeKind(
  sections: Set<HeaderRecord["section"]>,
  types: Set<CmlRecord["type"]>,
  offerParts: Set<"prices" | "stocks" | "names">,
): string {
  const products = types.has("product");
  const offers = types.has("offer");
  if (products && offers) return "mixed";
  if (products) return "catalog";
  if (offers) {
    if (offerParts.has("names")) return "offers";
    if (offerParts.has("prices") && !offerParts.has("stocks")) return "prices";
    if (offerParts.has("stocks") && !offerParts.has("prices")) return "rests";
    return "offers";
  }
  if (types.size > 0) return "classifier";
  for (const k of ["counterparties", "document"] as const) if (sections.has(k)) return k;
  return "empty";
}
