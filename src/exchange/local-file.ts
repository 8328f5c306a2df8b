/**
 * Local files as the importer reads uploads: a stream of chunks (never the whole file in
 * memory) or random access for the zip reader. Used by the CLIs, the benchmark and tests.
 */
import type { RandomAccessSource } from "./zip.ts";

/** The file's bytes in chunks of `chunkSize` (each a fresh array the consumer may keep). */
export async function* readFileChunks(
  path: string | URL,
  chunkSize = 64 * 1024,
): AsyncIterable<Uint8Array> {
  using f = await Deno.open(path);
  const buf = new Uint8Array(chunkSize);
  while (true) {
    const n = await f.read(buf);
    if (n === null) return;
    yield buf.slice(0, n);
  }
}

/** Random access to a local file (close it when done). */
export async function openFileSource(
  path: string,
): Promise<RandomAccessSource & { close(): void }> {
  const f = await Deno.open(path);
  const size = (await f.stat()).size;
  return {
    size,
    async read(offset: number, length: number) {
      await f.seek(offset, Deno.SeekMode.Start);
      const buf = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      let n = 0;
      while (n < buf.length) {
        const r = await f.read(buf.subarray(n));
        if (r === null) break;
        n += r;
      }
      return buf.subarray(0, n);
    },
    close: () => f.close(),
  };
}
