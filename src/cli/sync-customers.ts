/**
 * `deno task sync-customers --direction import|export|both [--chunk-size N] [--file PATH]`
 *
 * A full customer sync with 1C, with progress on the terminal:
 * - import: the counterparty directory, from --file (a CommerceML file) or from 1C's
 *   `GET {ONEC_HTTP_URL}/counterparties`, through importCounterparties (one transaction per
 *   chunk of N counterparties);
 * - export: every customer that needs export is queued (chunks of N per transaction) and sent
 *   by the export workers, which this process runs too; it waits until each has been tried.
 *
 * Ctrl-C is safe at any moment: committed chunks stay, a re-run finds them unchanged, and
 * queued exports stay queued for the service's workers.
 */
import { parseArgs } from "node:util";
import { sql } from "kysely";
import { loadConfig } from "../config.ts";
import { createLogger } from "../log.ts";
import { openContext } from "../bootstrap.ts";
import { serviceDatabase } from "../../db/embedded.ts";
import { importCounterparties } from "../customers/import-counterparties.ts";
import { openCounterpartyDirectory } from "../customers/onec-customer-client.ts";
import { outboundRecorder, recordingFetch } from "../integration-log/recording-fetch.ts";
import { enqueueExport, requeueCustomer } from "../customers/export-queue.ts";
import { startCustomerWorkers } from "../customers/workers.ts";
import { summarize } from "../customers/import-runs.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    direction: { type: "string" },
    "chunk-size": { type: "string" },
    file: { type: "string" },
  },
});
const fail = (msg: string): never => {
  console.error(`sync-customers: ${msg}`);
  Deno.exit(2);
};
const direction = args.direction ?? fail("--direction import|export|both is required");
if (!["import", "export", "both"].includes(direction)) {
  fail("--direction must be import, export or both");
}
const chunk = args["chunk-size"] === undefined ? undefined : Number(args["chunk-size"]);
if (chunk !== undefined && !(Number.isInteger(chunk) && chunk >= 1 && chunk <= 10_000)) {
  fail("--chunk-size must be a whole number from 1 to 10000");
}

const env = Deno.env.toObject();
const config = loadConfig({ ...env, LOG_LEVEL: env.LOG_LEVEL ?? "warn" });
const log = createLogger(config.logLevel);
const batchSize = chunk ?? config.customers.importBatchSize;

const { url, stop: stopPg } = await serviceDatabase(config);
const ctx = await openContext(config, log, url, 6);

const interrupt = new AbortController();
const onSignal = () => {
  if (interrupt.signal.aborted) return;
  status("interrupted: finishing the current step…");
  interrupt.abort();
};
Deno.addSignalListener("SIGINT", onSignal);

const encoder = new TextEncoder();
function status(line: string): void {
  if (Deno.stderr.isTerminal()) Deno.stderr.writeSync(encoder.encode(`\r\x1b[K${line}`));
}
function clearStatus(): void {
  if (Deno.stderr.isTerminal()) Deno.stderr.writeSync(encoder.encode("\r\x1b[K"));
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runImport(): Promise<void> {
  const source = args.file
    ? (async function* () {
      using f = await Deno.open(args.file!);
      const buf = new Uint8Array(1 << 20);
      for (;;) {
        const n = await f.read(buf);
        if (n === null) return;
        yield buf.slice(0, n);
      }
    })()
    : await openCounterpartyDirectory(
      config.customers,
      recordingFetch(outboundRecorder(ctx, "onec-http", { ref: "sync-customers" })),
    );
  const label = args.file ?? `${config.customers.onecHttpUrl}/counterparties`;
  const started = performance.now();
  const r = await importCounterparties(ctx, source, {
    runLabel: `sync-customers: ${label}`,
    batchSize,
    signal: interrupt.signal,
    onProgress: (p) =>
      status(`import: ${(p.bytesRead / 1024 / 1024).toFixed(1)} MB read, ${summarize(p.counts)}`),
  });
  clearStatus();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`import: ${summarize(r)} [${seconds} s, run ${r.runId}]`);
  for (const e of r.errors) console.log(`  skipped: ${e}`);
}

async function runExport(): Promise<void> {
  if (config.customers.onecHttpUrl === null) fail("ONEC_HTTP_URL is not set");
  const stopWorkers = await startCustomerWorkers(ctx);
  try {
    // The set to send is fixed up front (ids only: cheap even for 100k customers); customers
    // that need export later are queued by their own edits.
    const ids = (await ctx.db.selectFrom("customers").select("id")
      .where("needs_1c_export", "=", true).orderBy("created_at").orderBy("id").execute())
      .map((r) => r.id);
    const queued: string[] = [];
    for (let i = 0; i < ids.length && !interrupt.signal.aborted; i += batchSize) {
      const part = ids.slice(i, i + batchSize);
      await ctx.db.transaction().execute(async (tx) => {
        const rows = await tx.selectFrom("customers")
          .select(["id", "needs_1c_export", "sync_status", "export_dead_lettered_at"])
          .where("id", "in", part).forUpdate().execute();
        for (const row of rows) {
          if (!row.needs_1c_export) continue; // sent meanwhile
          // A customer 1C rejected or that ran out of retries starts over with a fresh budget.
          if (row.sync_status === "error" || row.export_dead_lettered_at !== null) {
            await requeueCustomer(ctx, tx, row.id, { reason: "sync-customers --direction export" });
          } else {
            await enqueueExport(ctx, tx, row.id);
          }
        }
      });
      queued.push(...part);
      status(`export: queued ${queued.length} of ${ids.length}`);
    }
    // Tried = no longer waiting for a first answer: synced, rejected, or between retries
    // (a failed attempt leaves its message).
    let counts = { synced: 0, errors: 0, retrying: 0, waiting: queued.length };
    while (!interrupt.signal.aborted && counts.waiting > 0) {
      const c = await sql<{ synced: string; errors: string; retrying: string; waiting: string }>`
        SELECT count(*) FILTER (WHERE NOT needs_1c_export) AS synced,
               count(*) FILTER (WHERE needs_1c_export AND sync_status = 'error') AS errors,
               count(*) FILTER (WHERE needs_1c_export AND sync_status <> 'error'
                                  AND sync_error_message IS NOT NULL) AS retrying,
               count(*) FILTER (WHERE needs_1c_export AND sync_status <> 'error'
                                  AND sync_error_message IS NULL) AS waiting
          FROM customers WHERE id = ANY(${queued}::uuid[])`.execute(ctx.db);
      const row = c.rows[0];
      counts = {
        synced: Number(row.synced),
        errors: Number(row.errors),
        retrying: Number(row.retrying),
        waiting: Number(row.waiting),
      };
      status(
        `export: ${counts.synced} sent, ${counts.errors} rejected, ${counts.retrying} retrying, ` +
          `${counts.waiting} waiting (of ${queued.length})`,
      );
      if (counts.waiting > 0) await sleep(500);
    }
    clearStatus();
    console.log(
      `export: ${queued.length} queued; ${counts.synced} sent, ${counts.errors} rejected, ` +
        `${counts.retrying} will be retried by the service, ${counts.waiting} not tried yet`,
    );
  } finally {
    await stopWorkers();
  }
}

let exitCode = 0;
try {
  if (direction === "import" || direction === "both") await runImport();
  if (!interrupt.signal.aborted && (direction === "export" || direction === "both")) {
    await runExport();
  }
} catch (e) {
  clearStatus();
  if (interrupt.signal.aborted) {
    console.log("sync-customers: interrupted; what was committed stays, run again to continue");
  } else {
    console.error(`sync-customers: ${e instanceof Error ? e.message : String(e)}`);
    exitCode = 1;
  }
} finally {
  Deno.removeSignalListener("SIGINT", onSignal);
  await ctx.close(5000);
  await stopPg();
}
if (interrupt.signal.aborted && exitCode === 0) exitCode = 130;
Deno.exit(exitCode);
