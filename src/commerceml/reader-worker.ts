/**
 * Worker side of readInWorker (threaded-reader.ts): takes bytes posted by the main thread and
 * posts back what a `produce` function makes of them. Flow control both ways: one "pull" per
 * chunk taken (the main thread keeps a bounded number of bytes in flight) and a fixed number of
 * items outstanding until the consumer acknowledges them.
 *
 * Run as a worker itself, this module produces CommerceML record batches (readCommerceMLInWorker);
 * other worker modules call serveWorker with their own `produce` (src/catalog/import-worker.ts).
 */
import { decodeXml } from "./decode.ts";
import { CmlError, type CmlRecord } from "./records.ts";
import { CommerceMLReader, type ReaderOptions } from "./reader.ts";

/** Messages the main thread sends. */
export type ToWorker =
  | { type: "start"; batchesInFlight: number; options: unknown }
  | { type: "chunk"; bytes: Uint8Array }
  | { type: "end" }
  | { type: "ack" };

/** Messages the worker sends. */
export type FromWorker =
  | { type: "pull"; bytes: number }
  | { type: "item"; item: unknown }
  | { type: "done" }
  | { type: "error"; cml: boolean; message: string; line?: number; column?: number };

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}

/**
 * Makes items of the input bytes and hands each to `send` (which waits for flow control), with
 * the buffers to transfer rather than copy (the item must not use them afterwards).
 */
export type Produce<O, T> = (
  input: AsyncIterable<Uint8Array>,
  options: O,
  send: (item: T, transfer?: Transferable[]) => Promise<void>,
) => Promise<void>;

/** Options of the record-batch worker (this module). */
export interface RecordWorkerOptions {
  batchSize: number;
  reader: ReaderOptions;
}

const isWorker = () =>
  typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined";

// Only run as a worker, and only when this module is the worker's entry point: importing it
// for its types or for serveWorker must not start it.
if (isWorker() && import.meta.main) serveWorker(produceRecords);

/** Record batches of `batchSize` (several input chunks' records grouped, or split). */
async function produceRecords(
  input: AsyncIterable<Uint8Array>,
  { batchSize, reader: options }: RecordWorkerOptions,
  send: (records: CmlRecord[]) => Promise<void>,
): Promise<void> {
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
  for await (const text of decodeXml(input)) await add(reader.write(text));
  await add(reader.close());
  if (batch.length !== 0) await send(batch);
}

export function serveWorker<O, T>(produce: Produce<O, T>): void {
  const scope = globalThis as unknown as WorkerScope;
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
        void run(message.options as O);
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

  async function send(item: T, transfer: Transferable[] = []): Promise<void> {
    while (credits === 0) await new Promise<void>((resolve) => (wakeCredit = resolve));
    credits--;
    scope.postMessage({ type: "item", item }, transfer);
  }

  async function run(options: O): Promise<void> {
    try {
      await produce(input(), options, send);
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
