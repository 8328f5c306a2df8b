/**
 * PostgreSQL's COPY protocol on a node-pg client, without another dependency (node-pg drives
 * any object with submit() and the handlers below through its query queue, as pg-copy-streams
 * does).
 *
 * - `copyIn`: rows seen for the first time go straight into their table in COPY's text format.
 *   spec/import-performance.md: a plain insert costs ~60 % of an `INSERT … ON CONFLICT` (no
 *   speculative index probe), and COPY parses its input faster than `unnest()` of array
 *   parameters, which node-pg must also escape element by element.
 * - `copyOutBinary`: one bytea column streamed out in COPY's binary format — the bytes as
 *   they are, where a SELECT would bring them as hex (or base64) text to decode.
 *
 * The text the rows are written in: copy-text.ts.
 */
import type pg from "pg";
import { Buffer } from "node:buffer";

/**
 * Runs `statement` (a `COPY … FROM STDIN`) with `data` (COPY text, UTF-8; several parts are
 * sent one after another); resolves to the number of rows copied. An error (a duplicate key, a
 * bad value) rejects and, as for any statement, aborts the surrounding transaction.
 */
export function copyIn(
  client: pg.ClientBase,
  statement: string,
  data: Uint8Array | readonly Uint8Array[],
): Promise<number> {
  const parts = data instanceof Uint8Array ? [data] : data;
  return new Promise<number>((resolve, reject) => {
    let rows = 0;
    let settled = false;
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      reject(e instanceof Error ? e : new Error(String(e)));
    };
    const submittable = {
      callback: undefined,
      submit(connection: CopyConnection) {
        connection.query(statement);
      },
      handleCopyInResponse(connection: CopyConnection) {
        for (const p of parts) {
          if (p.byteLength > 0) {
            connection.sendCopyFromChunk(Buffer.from(p.buffer, p.byteOffset, p.byteLength));
          }
        }
        connection.endCopyFrom();
      },
      handleCommandComplete(msg: { text?: string }) {
        rows = Number(/\d+$/.exec(msg.text ?? "")?.[0] ?? 0);
      },
      handleReadyForQuery() {
        if (settled) return;
        settled = true;
        resolve(rows);
      },
      handleError: fail,
      handleRowDescription() {},
      handleDataRow() {},
      handleEmptyQuery() {},
      handlePortalSuspended() {},
      handleCopyData() {},
    };
    (client as unknown as { query(s: unknown): void }).query(submittable);
  });
}

interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/**
 * Streams the single bytea (or text) column of `statement` (a `COPY (SELECT …) TO STDOUT
 * (FORMAT binary)`), one fresh Uint8Array per row, in order. At most ~`highWaterBytes` wait
 * for the consumer: beyond that the socket is paused, so Postgres waits too.
 *
 * The client is used exclusively until iteration ends. When the consumer stops early or the
 * COPY fails, the COPY cannot be completed on that connection: the client is released as
 * broken (the pool closes it). Binary format (PostgreSQL docs, COPY, "Binary Format"): an
 * 11-byte signature, flags and a header extension, then per row a 16-bit field count and per
 * field a 32-bit length and the bytes; a field count of -1 ends the data.
 */
export async function* copyOutBinary(
  pool: pg.Pool,
  statement: string,
  highWaterBytes = 4 * 1024 * 1024,
): AsyncIterable<Uint8Array> {
  const client = await pool.connect();
  const rows: Uint8Array[] = [];
  let queued = 0;
  let finished = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  let stream: { pause(): void; resume(): void } | null = null;
  let paused = false;
  const parser = new BinaryCopyParser((row) => {
    rows.push(row);
    queued += row.byteLength;
  });
  const submittable = {
    callback: undefined,
    submit(connection: { query(text: string): void; stream: typeof stream }) {
      stream = connection.stream;
      connection.query(statement);
    },
    handleCopyData(msg: { chunk: Uint8Array }) {
      // The chunk is a view into node-pg's read buffer, reused later: the parser copies it.
      try {
        parser.push(msg.chunk);
      } catch (e) {
        failure ??= e as Error;
      }
      if (queued > highWaterBytes && !paused && stream) {
        paused = true;
        stream.pause();
      }
      notify();
    },
    handleCommandComplete() {},
    handleReadyForQuery() {
      finished = true;
      if (!failure && !parser.ended) failure = new Error("COPY ended before its trailer");
      notify();
    },
    handleError(e: unknown) {
      failure ??= e instanceof Error ? e : new Error(String(e));
      notify();
    },
    handleRowDescription() {},
    handleDataRow() {},
    handleEmptyQuery() {},
    handlePortalSuspended() {},
    handleCopyInResponse() {},
  };
  (client as unknown as { query(s: unknown): void }).query(submittable);
  let clean = false;
  try {
    for (;;) {
      if (rows.length > 0) {
        const row = rows.shift()!;
        queued -= row.byteLength;
        if (paused && queued <= highWaterBytes / 2) {
          paused = false;
          stream!.resume();
        }
        yield row;
        continue;
      }
      if (failure) throw failure;
      if (finished) {
        clean = true;
        return;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    if (paused) stream!.resume();
    client.release(clean ? undefined : true);
  }
}

const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];

/** Incremental parser of COPY's binary format for one-column rows, over arbitrary chunks. */
class BinaryCopyParser {
  /** Bytes of a fixed-size part (header, row start) not complete yet. */
  private small = new Uint8Array(19);
  private have = 0;
  private state: "header" | "extension" | "row" | "field" | "data" | "end" = "header";
  private skip = 0;
  private row: Uint8Array | null = null;
  private filled = 0;

  constructor(private readonly emit: (row: Uint8Array) => void) {}

  get ended(): boolean {
    return this.state === "end";
  }

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      switch (this.state) {
        case "data": {
          const row = this.row!;
          const n = Math.min(row.length - this.filled, chunk.length - at);
          row.set(chunk.subarray(at, at + n), this.filled);
          this.filled += n;
          at += n;
          if (this.filled === row.length) this.#emitRow();
          break;
        }
        case "extension": {
          const n = Math.min(this.skip, chunk.length - at);
          this.skip -= n;
          at += n;
          if (this.skip === 0) this.state = "row";
          break;
        }
        case "end":
          throw new Error("data after the end of a binary COPY");
        default: {
          const need = this.state === "header" ? 19 : this.state === "row" ? 2 : 4;
          const n = Math.min(need - this.have, chunk.length - at);
          this.small.set(chunk.subarray(at, at + n), this.have);
          this.have += n;
          at += n;
          if (this.have === need) {
            this.have = 0;
            this.#fixedPart();
          }
        }
      }
    }
  }

  #fixedPart(): void {
    const view = new DataView(this.small.buffer);
    switch (this.state) {
      case "header":
        if (SIGNATURE.some((b, i) => this.small[i] !== b)) {
          throw new Error("not a binary COPY stream");
        }
        this.skip = view.getUint32(15);
        this.state = this.skip > 0 ? "extension" : "row";
        return;
      case "row": {
        const fields = view.getInt16(0);
        if (fields === -1) this.state = "end";
        else if (fields === 1) this.state = "field";
        else throw new Error(`binary COPY: expected one column, got ${fields}`);
        return;
      }
      case "field": {
        const length = view.getInt32(0);
        this.row = new Uint8Array(Math.max(0, length)); // -1: NULL, read as empty
        this.filled = 0;
        if (this.row.length === 0) this.#emitRow();
        else this.state = "data";
        return;
      }
    }
  }

  #emitRow(): void {
    const row = this.row!;
    this.row = null;
    this.state = "row";
    this.emit(row);
  }
}
