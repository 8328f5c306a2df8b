/**
 * readCommerceML on a Web Worker. spec/import-performance.md measured that parsing on the same
 * event loop as the pg client makes an import 1.5× slower: the socket is only serviced between
 * parse chunks. The main thread here only moves bytes in and items out.
 *
 * readInWorker is the general form: any worker module that calls serveWorker (reader-worker.ts)
 * turns the bytes into items of its own (src/catalog/import-worker.ts: write batches).
 */
import { CmlError, type CmlRecord } from "./records.ts";
import type { ReaderOptions } from "./reader.ts";
import type { FromWorker, RecordWorkerOptions, ToWorker } from "./reader-worker.ts";

export interface ThreadedReaderOptions extends ReaderOptions {
  /** Most records per message from the worker. Default 1000. */
  batchSize?: number;
  /** See WorkerReadOptions. */
  readAheadBytes?: number;
}

export interface WorkerReadOptions {
  /**
   * Bytes read from the source and posted to the worker ahead of its parser. Default 4 MiB.
   * The main thread only reads between the consumer's synchronous stretches, so this must cover
   * the input of about one batch or the worker starves while a batch is being processed
   * (a catalog Товар is 2–4 KB of XML).
   */
  readAheadBytes?: number;
  /** Items the worker may post before the consumer has taken them. Default 2. */
  itemsInFlight?: number;
}

/**
 * Same records, in the same order, as readCommerceML, parsed on a worker. Batches group records
 * from several input chunks (up to batchSize). Chunks that own their whole ArrayBuffer are
 * transferred, not copied: the source must not reuse a chunk after yielding it.
 * The worker is terminated when iteration ends, fails or is stopped early.
 */
export function readCommerceMLInWorker(
  source: AsyncIterable<Uint8Array>,
  opts: ThreadedReaderOptions = {},
): AsyncIterable<CmlRecord[]> {
  const { batchSize = 1000, readAheadBytes, ...reader } = opts;
  const options: RecordWorkerOptions = { batchSize, reader };
  return readInWorker<CmlRecord[]>(
    new URL("./reader-worker.ts", import.meta.url),
    source,
    options,
    { readAheadBytes },
  );
}

type Inbox = FromWorker | { type: "source-error"; error: unknown };

/**
 * The items a worker module (one that calls serveWorker) makes of `source`'s bytes, in order.
 * `options` go to its produce function. Same transfer, error and termination rules as
 * readCommerceMLInWorker.
 */
export async function* readInWorker<T>(
  workerModule: URL,
  source: AsyncIterable<Uint8Array>,
  options: unknown,
  { readAheadBytes = 4 * 1024 * 1024, itemsInFlight = 2 }: WorkerReadOptions = {},
): AsyncIterable<T> {
  const worker = new Worker(workerModule, { type: "module" });
  const post = (message: ToWorker, transfer: Transferable[] = []) =>
    worker.postMessage(message, transfer);

  const inbox: Inbox[] = [];
  let wake: (() => void) | null = null;
  const deliver = (message: Inbox): void => {
    inbox.push(message);
    const waiter = wake;
    wake = null;
    waiter?.();
  };
  worker.onmessage = (event: MessageEvent<FromWorker>) => deliver(event.data);
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault(); // keep an uncaught worker error from taking the process down
    deliver({ type: "error", cml: false, message: event.message });
  };
  worker.onmessageerror = () => {
    deliver({ type: "error", cml: false, message: "could not deserialize a worker message" });
  };

  // Main thread → worker: at most readAheadBytes in flight; each "pull" gives back a chunk's size.
  const iterator = source[Symbol.asyncIterator]();
  let inFlight = 0;
  let sourceDone = false;
  let stopped = false;
  let pumping = false;
  let pumped: Promise<void> = Promise.resolve();
  const pump = (): void => {
    if (pumping) return;
    pumping = true; // set before the call: the body may finish synchronously
    pumped = (async () => {
      try {
        while (inFlight < readAheadBytes && !sourceDone && !stopped) {
          const step = await iterator.next();
          if (step.done) {
            sourceDone = true;
            if (!stopped) post({ type: "end" });
            return;
          }
          if (stopped || step.value.byteLength === 0) continue;
          const bytes = owned(step.value);
          inFlight += bytes.byteLength;
          post({ type: "chunk", bytes }, [bytes.buffer]);
        }
      } catch (error) {
        sourceDone = true; // a throwing iterator is finished
        deliver({ type: "source-error", error });
      } finally {
        pumping = false;
      }
    })();
  };

  try {
    post({ type: "start", batchesInFlight: itemsInFlight, options });
    pump();
    for (;;) {
      while (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const message = inbox.shift()!;
      switch (message.type) {
        case "pull":
          inFlight -= message.bytes;
          pump();
          break;
        case "item":
          yield message.item as T;
          post({ type: "ack" }); // the consumer came back for more
          break;
        case "done":
          return;
        case "error":
          throw message.cml ? rebuildCmlError(message) : new Error(message.message);
        case "source-error":
          throw message.error;
      }
    }
  } finally {
    stopped = true;
    worker.terminate();
    if (!sourceDone) {
      sourceDone = true;
      // Let an in-flight read finish, then release the source (closes files, streams).
      await pumped;
      await iterator.return?.();
    }
  }
}

/** The chunk itself if it can be transferred without disturbing other views, else a copy. */
function owned(chunk: Uint8Array): Uint8Array<ArrayBuffer> {
  const buffer = chunk.buffer;
  if (
    buffer instanceof ArrayBuffer && !buffer.resizable && chunk.byteOffset === 0 &&
    chunk.byteLength === buffer.byteLength
  ) {
    return chunk as Uint8Array<ArrayBuffer>;
  }
  return chunk.slice();
}

/** Recreates the worker's CmlError with the same message, line and column. */
function rebuildCmlError(
  message: { message: string; line?: number; column?: number },
): CmlError {
  const { line, column } = message;
  if (line === undefined) return new CmlError(message.message);
  const prefix = `line ${line}, column ${column}: `;
  const text = message.message.startsWith(prefix)
    ? message.message.slice(prefix.length)
    : message.message;
  return new CmlError(text, line, column);
}
