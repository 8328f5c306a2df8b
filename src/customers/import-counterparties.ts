/**
 * Entry points for counterparties from 1C:
 * - importCounterparties: a CommerceML byte stream (a Контрагенты directory, or order
 *   documents whose buyers are read) → customers; streaming, batched, idempotent, audited.
 * - resolveBuyer: one buyer of an order document → a customer (for the sale exchange).
 *
 * Each batch is one transaction: an interrupted import keeps the batches it committed and a
 * repeated import finds them unchanged (a content hash per applied record), so stopping and
 * starting again is safe at any point.
 */
import type { AppContext } from "../context.ts";
import type { CustomerImportCounts } from "../../db/schema-customers.ts";
import { type CounterpartyRecord, readCounterparties } from "./counterparty-reader.ts";
import { type IncomingCustomer, mapCounterparty } from "./counterparty-mapping.ts";
import { applyIncoming, type Outcome } from "./counterparty-writer.ts";
import {
  createRun,
  EMPTY_COUNTS,
  finishRun,
  getRun,
  MAX_RUN_ERRORS,
  progressRun,
  requeueRun,
  startRun,
} from "./import-runs.ts";
import { CmlError } from "../commerceml/records.ts";

type Deps = Pick<AppContext, "db" | "boss" | "config" | "log">;

export interface ImportCounterpartiesOptions {
  /** What the run is called in the audit (a file name, "sync-customers", …). */
  runLabel: string;
  requestId?: string;
  /** A run created beforehand (by the import job) to report into; otherwise one is created. */
  runId?: string;
  fileSize?: number;
  /** Counterparties per transaction; CUSTOMER_IMPORT_BATCH_SIZE by default. */
  batchSize?: number;
  /** Checked between batches: an abort stops after the last committed batch. */
  signal?: AbortSignal;
  onProgress?: (p: { bytesRead: number; counts: CustomerImportCounts }) => void | Promise<void>;
  /**
   * What a failure other than a bad file does to the run: `failed` (default), or `queued`
   * again when the caller (a job with retries left) will run it again.
   */
  onInterrupt?: "fail" | "requeue";
}

export interface ImportCounterpartiesResult extends CustomerImportCounts {
  runId: string;
  /** Why counterparties were skipped (at most MAX_RUN_ERRORS). */
  errors: string[];
}

export async function importCounterparties(
  ctx: Deps,
  source: AsyncIterable<Uint8Array>,
  opts: ImportCounterpartiesOptions,
): Promise<ImportCounterpartiesResult> {
  const c = ctx.config.customers;
  const batchSize = opts.batchSize ?? c.importBatchSize;
  const run = opts.runId !== undefined
    ? await getRun(ctx.db, opts.runId)
    : await createRun(ctx.db, {
      label: opts.runLabel,
      requestId: opts.requestId,
      fileSize: opts.fileSize,
    });
  if (!run) throw new Error(`customer import run ${opts.runId} does not exist`);
  const runId = run.id;
  const log = ctx.log.child({ customerImportRunId: runId, requestId: opts.requestId });
  await startRun(ctx.db, runId);
  log.info({ label: opts.runLabel }, "counterparty import started");

  const counts: CustomerImportCounts = { ...EMPTY_COUNTS };
  const errors: string[] = [];
  const note = (message: string) => {
    counts.skipped++;
    if (errors.length < MAX_RUN_ERRORS) errors.push(message);
  };
  let bytesRead = 0;
  let lastProgress = 0;
  async function* counted(): AsyncIterable<Uint8Array> {
    for await (const chunk of source) {
      bytesRead += chunk.byteLength;
      yield chunk;
    }
  }

  let batch: IncomingCustomer[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const items = batch;
    batch = [];
    const outcomes = await ctx.db.transaction().execute((tx) =>
      applyIncoming(ctx, tx, items, { runId, requestId: opts.requestId })
    );
    tally(outcomes, counts, note);
    if (performance.now() - lastProgress >= 1000) {
      lastProgress = performance.now();
      await progressRun(ctx.db, runId, {
        bytesRead,
        counts,
        progress: `read ${(bytesRead / 1024 / 1024).toFixed(1)} MB`,
      });
      await opts.onProgress?.({ bytesRead, counts: { ...counts } });
    }
    opts.signal?.throwIfAborted();
  };

  try {
    opts.signal?.throwIfAborted();
    for await (const items of readCounterparties(counted())) {
      for (const item of items) {
        if (item.type === "skip") {
          note(`line ${item.line}: ${item.reason}`);
          continue;
        }
        const mapped = mapCounterparty(item, {
          timeZone: c.timeZone,
          roleRequisite: c.roleRequisite,
        });
        if (!mapped.ok) {
          note(mapped.reason);
          continue;
        }
        batch.push(mapped.customer);
        if (batch.length >= batchSize) await flush();
      }
    }
    await flush();
  } catch (e) {
    const message = opts.signal?.aborted
      ? `interrupted after ${counts.created + counts.updated + counts.unchanged} ` +
        "counterparties (committed batches stay; a re-run finds them unchanged)"
      : e instanceof Error
      ? e.message
      : String(e);
    if (!(e instanceof CmlError) && opts.onInterrupt === "requeue") {
      await requeueRun(ctx.db, runId, message).catch(() => {});
      log.warn({ err: message, counts }, "counterparty import interrupted; will retry");
    } else {
      await finishRun(ctx.db, runId, { status: "failed", error: message, counts, errors })
        .catch(() => {});
      log.warn({ err: message, counts }, "counterparty import failed");
    }
    throw e;
  }
  await finishRun(ctx.db, runId, { status: "success", counts, errors, bytesRead });
  await opts.onProgress?.({ bytesRead, counts: { ...counts } });
  log.info({ counts }, "counterparty import finished");
  return { ...counts, runId, errors };
}

function tally(
  outcomes: Outcome[],
  counts: CustomerImportCounts,
  note: (message: string) => void,
): void {
  for (const o of outcomes) {
    if (o.result === "conflict") counts.conflicts++;
    else if (o.result === "skipped") note(o.reason);
    else counts[o.result]++;
  }
}

/** A buyer as an order document names it (the fields of its Контрагент). */
export interface BuyerInput {
  /** Ид of the counterparty in 1C. */
  onecId: string;
  version?: string | null;
  name?: string | null;
  officialName?: string | null;
  fullName?: string | null;
  lastName?: string | null;
  firstName?: string | null;
  middleName?: string | null;
  email?: string | null;
  phone?: string | null;
  taxId?: string | null;
  kpp?: string | null;
  address?: string | null;
  contactPerson?: string | null;
  /** The price group, when 1C names one. */
  role?: string | null;
  /** When 1C wrote the document (its ДатаФормирования); unknown means "now". */
  changedAt?: Date | null;
}

export interface ResolvedBuyer {
  /**
   * The customer the buyer is; null when it cannot be told (its email belongs to a customer
   * linked to another counterparty: a conflict waits for a person) or 1C marked it deleted.
   */
  customerId: string | null;
  created: boolean;
  /** A conflict was opened or is still open for this buyer. */
  conflict: boolean;
}

/**
 * The customer for a buyer of an order document, found or created with the same identity
 * resolution and conflict rules as the counterparty import.
 */
export async function resolveBuyer(ctx: Deps, buyer: BuyerInput): Promise<ResolvedBuyer> {
  const c = ctx.config.customers;
  const record: CounterpartyRecord = {
    type: "counterparty",
    id: buyer.onecId.trim(),
    version: buyer.version ?? null,
    deleted: false,
    name: buyer.name ?? null,
    officialName: buyer.officialName ?? null,
    fullName: buyer.fullName ?? null,
    lastName: buyer.lastName ?? null,
    firstName: buyer.firstName ?? null,
    middleName: buyer.middleName ?? null,
    taxId: buyer.taxId ?? null,
    kpp: buyer.kpp ?? null,
    role: null,
    addresses: buyer.address ? { "Адрес": buyer.address } : {},
    contacts: [
      ...(buyer.email ? [{ type: "Электронная почта", value: buyer.email }] : []),
      ...(buyer.phone ? [{ type: "Телефон", value: buyer.phone }] : []),
    ],
    representatives: buyer.contactPerson
      ? [{ relation: "Контактное лицо", id: null, name: buyer.contactPerson }]
      : [],
    requisites: buyer.role ? { [c.roleRequisite]: buyer.role } : {},
    source: "document",
    fileDate: null,
    line: 0,
  };
  if (record.id === "") throw new Error("resolveBuyer: the buyer has no Ид");
  const mapped = mapCounterparty(record, { timeZone: c.timeZone, roleRequisite: c.roleRequisite });
  if (!mapped.ok) return { customerId: null, created: false, conflict: false };
  const incoming = { ...mapped.customer, changedAt: buyer.changedAt ?? null, origin: "order" };
  const [outcome] = await ctx.db.transaction().execute((tx) =>
    applyIncoming(ctx, tx, [incoming], { runId: null })
  );
  switch (outcome.result) {
    case "created":
      return { customerId: outcome.customerId, created: true, conflict: false };
    case "conflict":
      return {
        customerId: outcome.kind === "role_change" ? outcome.customerId : null,
        created: false,
        conflict: true,
      };
    default:
      return { customerId: outcome.customerId, created: false, conflict: false };
  }
}
