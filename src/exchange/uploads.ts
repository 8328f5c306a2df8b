/**
 * Uploaded exchange files, stored in Postgres as ~1 MiB chunks so that every instance can
 * read them. `mode=file` bodies are streamed in; the import job streams them out.
 *
 * 1C: "POST ?type=catalog&mode=file&filename=<name>, body = raw bytes (a whole file or a
 * fragment)… the site appends." A file larger than file_limit arrives in several POSTs.
 */
import { sql } from "kysely";
import type pg from "pg";
import { Buffer } from "node:buffer";
import type { Db } from "../../db/pool.ts";
import { copyOutBinary } from "../catalog/pg-copy.ts";
import { release } from "../catalog/release-buffers.ts";

export const CHUNK_BYTES = 1024 * 1024;

export class UploadTooLargeError extends Error {}

export interface UploadFile {
  id: string;
  name: string;
  size: number;
}

/** An append's result: `first` when this POST began the file (its row did not exist). */
export interface AppendedUpload extends UploadFile {
  first: boolean;
}

const XML_DECL = new TextEncoder().encode("<?xml");
const BOM_XML_DECL = new Uint8Array([0xef, 0xbb, 0xbf, ...XML_DECL]);

function startsWith(buf: Uint8Array, prefix: Uint8Array): boolean {
  if (buf.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[i] !== prefix[i]) return false;
  return true;
}

/**
 * Appends a request body to `name`. All or nothing: the body is written in one transaction,
 * so a dropped connection leaves the file as it was before this POST.
 * A body that starts a new XML declaration for a file that already has bytes means 1C is
 * sending the file again from the start (it does after a failed attempt): start over.
 */
export async function appendUpload(
  db: Db,
  sessionId: string,
  name: string,
  body: ReadableStream<Uint8Array> | null,
  maxBodyBytes: number,
): Promise<AppendedUpload> {
  return await db.transaction().execute(async (tx) => {
    // Creates the file's row or locks it (the upsert holds the row lock until commit, so
    // concurrent POSTs to one file queue up), and tells where the file ends: one round trip.
    const file = await tx.insertInto("upload_files").values({ session_id: sessionId, name })
      .onConflict((oc) =>
        oc.columns(["session_id", "name"]).doUpdateSet({ updated_at: sql`now()` })
      )
      .returning(["id", "size", "chunks", sql<boolean>`xmax = 0`.as("first")])
      .executeTakeFirstOrThrow();
    let size = Number(file.size);
    let seq = file.chunks;
    let first = true;
    let received = 0;
    const pending: Uint8Array[] = [];
    let pendingBytes = 0;

    const chunkRow = (chunk: Uint8Array) => {
      const row = { file_id: file.id, seq, pos: size, len: chunk.length, data: chunk };
      seq++;
      size += chunk.length;
      return row;
    };
    // Full chunks are written while the body streams in; the last one (the body's end, up to
    // a whole chunk) goes with the file's new size in one statement below.
    const flush = async () => {
      while (pendingBytes > CHUNK_BYTES) {
        const chunk = takeBytes(pending, CHUNK_BYTES, true);
        pendingBytes -= CHUNK_BYTES;
        await tx.insertInto("upload_chunks").values(chunkRow(chunk)).execute();
        release(chunk); // sent: its memory goes now, not at the next GC
      }
    };

    if (body) {
      for await (const part of body) {
        if (first && part.length > 0) {
          first = false;
          if (size > 0 && (startsWith(part, XML_DECL) || startsWith(part, BOM_XML_DECL))) {
            await tx.deleteFrom("upload_chunks").where("file_id", "=", file.id).execute();
            size = 0;
            seq = 0;
          }
        }
        received += part.length;
        if (received > maxBodyBytes) {
          throw new UploadTooLargeError(
            `request body is larger than ${maxBodyBytes} bytes (file_limit plus margin)`,
          );
        }
        pending.push(part);
        pendingBytes += part.length;
        await flush();
      }
    }
    const last = pendingBytes > 0 ? chunkRow(takeBytes(pending, pendingBytes, true)) : null;
    const ends = { size, chunks: seq, updated_at: sql<Date>`now()` };
    if (last) {
      await tx.with("chunk", (q) => q.insertInto("upload_chunks").values(last))
        .updateTable("upload_files").set(ends).where("id", "=", file.id).execute();
      release(last.data);
    } else {
      await tx.updateTable("upload_files").set(ends).where("id", "=", file.id).execute();
    }
    return { id: String(file.id), name, size, first: file.first };
  });
}

/**
 * The first `n` bytes of `parts`, removed from them. With `releaseParts` (request body chunks,
 * which nothing else holds) the memory of each part used up is released at once.
 */
function takeBytes(parts: Uint8Array[], n: number, releaseParts = false): Uint8Array {
  const out = new Uint8Array(n);
  let off = 0;
  while (off < n) {
    const p = parts[0];
    const need = n - off;
    if (p.length <= need) {
      out.set(p, off);
      off += p.length;
      parts.shift();
      if (releaseParts) release(p);
    } else {
      out.set(p.subarray(0, need), off);
      parts[0] = p.subarray(need);
      off += need;
    }
  }
  return out;
}

/** Writes a whole stream as a new file of the session (used for zip entries). */
export async function writeUpload(
  db: Db,
  sessionId: string,
  name: string,
  data: AsyncIterable<Uint8Array>,
  origin: "upload" | "zip",
): Promise<UploadFile> {
  return await db.transaction().execute(async (tx) => {
    await tx.deleteFrom("upload_files").where("session_id", "=", sessionId)
      .where("name", "=", name).execute();
    const file = await tx.insertInto("upload_files")
      .values({ session_id: sessionId, name, origin })
      .returning("id").executeTakeFirstOrThrow();
    let size = 0;
    let seq = 0;
    const pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const put = async (chunk: Uint8Array) => {
      await tx.insertInto("upload_chunks").values({
        file_id: file.id,
        seq: seq++,
        pos: size,
        len: chunk.length,
        data: chunk,
      }).execute();
      size += chunk.length;
    };
    for await (const part of data) {
      pending.push(part);
      pendingBytes += part.length;
      while (pendingBytes >= CHUNK_BYTES) {
        await put(takeBytes(pending, CHUNK_BYTES));
        pendingBytes -= CHUNK_BYTES;
      }
    }
    if (pendingBytes > 0) await put(takeBytes(pending, pendingBytes));
    await tx.updateTable("upload_files").set({ size, chunks: seq })
      .where("id", "=", file.id).execute();
    return { id: String(file.id), name, size };
  });
}

export async function listUploads(db: Db, sessionId: string) {
  return await db.selectFrom("upload_files")
    .select(["id", "name", "size", "origin", "unpacked_at"])
    .where("session_id", "=", sessionId).orderBy("id").execute();
}

/**
 * Streams a file's bytes in order, one stored chunk at a time, over one connection: a binary
 * COPY brings the bytes as they are (spec/import-performance.md: a SELECT brings `bytea` as
 * hex text, or base64 with encode(), and decoding it cost more than the rest of reading), and
 * Postgres waits whenever a few chunks are waiting for the consumer.
 */
export async function* readUpload(pool: pg.Pool, fileId: string): AsyncIterable<Uint8Array> {
  // COPY takes no parameters: the id is checked to be a number before it goes into the text.
  if (!/^\d+$/.test(fileId)) throw new Error(`readUpload: bad file id ${fileId}`);
  yield* copyOutBinary(
    pool,
    `COPY (SELECT data FROM upload_chunks WHERE file_id = ${fileId} ORDER BY seq) TO STDOUT (FORMAT binary)`,
  );
}

function fromBase64(b64: string): Uint8Array {
  const buf = Buffer.from(b64, "base64");
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Random access for the zip reader (central directory at the end, entries anywhere). */
export function uploadRandomAccess(pool: pg.Pool, fileId: string, size: number) {
  // The zip reader reads small pieces close to each other: keep the last chunks around.
  const cache = new Map<number, { pos: number; data: Uint8Array }>();
  const chunkAt = async (offset: number) => {
    for (const c of cache.values()) {
      if (offset >= c.pos && offset < c.pos + c.data.length) return c;
    }
    const r = await pool.query<{ seq: number; pos: string; d: string }>(
      // Find the chunk first (no data), then read that one chunk only.
      `SELECT seq, pos, encode(data, 'base64') AS d FROM upload_chunks
       WHERE file_id = $1 AND seq = (SELECT seq FROM upload_chunks
         WHERE file_id = $1 AND pos <= $2 ORDER BY pos DESC LIMIT 1)`,
      [fileId, offset],
    );
    const row = r.rows[0];
    if (!row) throw new Error(`upload ${fileId}: no data at offset ${offset}`);
    const c = { pos: Number(row.pos), data: fromBase64(row.d) };
    if (cache.size >= 4) cache.delete(cache.keys().next().value!);
    cache.set(row.seq, c);
    return c;
  };
  return {
    size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      const end = Math.min(offset + length, size);
      const out = new Uint8Array(Math.max(0, end - offset));
      let at = offset;
      while (at < end) {
        const c = await chunkAt(at);
        const from = at - c.pos;
        const n = Math.min(c.data.length - from, end - at);
        if (n <= 0) throw new Error(`upload ${fileId}: gap at offset ${at}`);
        out.set(c.data.subarray(from, from + n), at - offset);
        at += n;
      }
      return out;
    },
  };
}
