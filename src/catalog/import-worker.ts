/**
 * The import's worker thread: bytes → decode → CommerceML records → write batches (hashes and
 * COPY text, import-batches.ts). The main thread only compares hashes and writes, so Postgres'
 * socket is serviced at once and no record objects cross between threads.
 */
import { serveWorker } from "../commerceml/reader-worker.ts";
import { readCommerceML, type ReaderOptions } from "../commerceml/reader.ts";
import { batchArrays, type ImportBatch, importBatches, parserInput } from "./import-batches.ts";

export interface ImportWorkerOptions {
  batchSize: number;
  reader: ReaderOptions;
}

if (import.meta.main) {
  serveWorker<ImportWorkerOptions, ImportBatch>(async (input, { batchSize, reader }, send) => {
    for await (
      const batch of importBatches(
        readCommerceML(parserInput(input, { releaseChunks: true }), reader),
        batchSize,
      )
    ) {
      await send(batch, batchArrays(batch).map((a) => a.buffer as ArrayBuffer));
    }
  });
}
