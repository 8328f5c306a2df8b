/**
 * Worker side of readCommerceMLInWorker: decodes and parses bytes posted by the main thread and
 * posts back record batches. Flow control both ways: one "pull" per chunk taken (the main
 * thread keeps a bounded number of bytes in flight) and a fixed number of record batches
 * outstanding until the consumer acknowledges them.
 */
import { decodeXml } from "./decode.ts";
import { CmlError, type CmlRecord } from "./records.ts";
import { CommerceMLReader, type ReaderOptions } from "./reader.ts";

/** Messages the main thread sends. */
export type ToWorker =
  | { type: "start"; batchSize: number; batchesInFlight: number; options: ReaderOptions }
  | { type: "chunk"; bytes: Uint8Array }
  | { type: "end" }
  | { type: "ack" };

/** Messages the worker sends. */
export type FromWorker =
  | { type: "pull"; bytes: number }
  | { type: "records"; records: CmlRecord[] }
  | { type: "done" }
  | { type: "error"; cml: boolean; message: string; line?: number; column?: number };

interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}

// Only run as a worker; importing this module for its types elsewhere must not touch `self`.
if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined") {
  startWorker(globalThis as unknown as WorkerScope);
}

function startWorker(scope: WorkerScope): void {
  const chunks: (Uint8Array | null)[] = []; // null = end of input
  let wakeInput: (() => void) | null = null;
  let credits = 0;
  let wakeCredit: (() => void) | null = null;

  const wake = (waiter: (() => void) | null): null => {
    waiter?.();
    return null;
  };

  scope.onmessage = (event) => {
    const message = event.data;
    switch (message.type) {
      case "start":
        credits = message.batchesInFlight;
        void run(message.batchSize, message.options);
        break;
      case "chunk":
        chunks.push(message.bytes);
        wakeInput = wake(wakeInput);
        break;
      case "end":
        chunks.push(null);
        wakeInput = wake(wakeInput);
        break;
      case "ack":
        credits++;
        wakeCredit = wake(wakeCredit);
        break;
    }
  };

  async function* input(): AsyncIterable<Uint8Array> {
    for (;;) {
      while (chunks.length === 0) await new Promise<void>((resolve) => (wakeInput = resolve));
      const chunk = chunks.shift()!;
      if (chunk === null) return;
      scope.postMessage({ type: "pull", bytes: chunk.byteLength }); // frees read-ahead room
      yield chunk;
    }
  }

  async function send(records: CmlRecord[]): Promise<void> {
    while (credits === 0) await new Promise<void>((resolve) => (wakeCredit = resolve));
    credits--;
    scope.postMessage({ type: "records", records });
  }

  async function run(batchSize: number, options: ReaderOptions): Promise<void> {
    try {
      const reader = new CommerceMLReader(options);
      let batch: CmlRecord[] = [];
      const add = async (records: CmlRecord[]): Promise<void> => {
        if (records.length === 0) return;
        batch = batch.length === 0 ? records : batch.concat(records);
        while (batch.length >= batchSize) {
          const full = batch.length === batchSize ? batch : batch.slice(0, batchSize);
          batch = batch.length === batchSize ? [] : batch.slice(batchSize);
          await send(full);
        }
      };
      for await (const text of decodeXml(input())) await add(reader.write(text));
      await add(reader.close());
      if (batch.length !== 0) await send(batch);
      scope.postMessage({ type: "done" });
    } catch (err) {
      if (err instanceof CmlError) {
        scope.postMessage({
          type: "error",
          cml: true,
          message: err.message,
          line: err.line,
          column: err.column,
        });
      } else {
        scope.postMessage({
          type: "error",
          cml: false,
          message: err instanceof Error ? err.message : String(err),
        });
      }
    }
  }
}
