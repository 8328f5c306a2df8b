/**
 * Safe streaming unzip of archives 1C uploads (`v8_XXXX.zip`).
 *
 * Uploads live in Postgres as 1 MiB chunks, so the archive is read through a random-access
 * source: only the end-of-central-directory search, the central directory and the entries being
 * extracted are fetched. The whole archive is validated (names, sizes, ratios, encryption,
 * methods) before any byte is extracted, because the caller refuses the whole package on any
 * problem; what only shows while inflating (a zip lying about sizes, CRC errors) aborts the read.
 */
import {
  configure,
  type CreateReadableOptions,
  type Entry,
  type FileEntry,
  Reader,
  ZipReader,
} from "@zip.js/zip.js";
import { normalizeExchangePath, UnsafeFileNameError } from "./filename.ts";

export interface RandomAccessSource {
  size: number;
  /** May be called concurrently; must return exactly `length` bytes inside `[0, size)`. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export interface ZipLimits {
  /** Sum of the declared (and, while reading, real) uncompressed sizes. */
  maxTotalBytes: number;
  /** Declared uncompressed/compressed ratio, checked for entries over 1 MiB only. */
  maxRatio: number;
  /** Default {@link DEFAULT_MAX_ENTRIES}. */
  maxEntries?: number;
}

export interface ZipEntryInfo {
  /** Normalised with `normalizeExchangePath`; folders kept (`import_files/ab/x.jpg`). */
  name: string;
  compressedSize: number;
  uncompressedSize: number;
  directory: boolean;
}

/** The archive is refused; the message names the problem and, when there is one, the entry. */
export class ZipError extends Error {
  constructor(message: string, readonly entry?: string, options?: { cause?: unknown }) {
    super(entry === undefined ? message : `${JSON.stringify(entry)}: ${message}`, options);
    this.name = "ZipError";
  }
}

export interface ZipArchive {
  readonly entries: readonly ZipEntryInfo[];
  /**
   * Streams one entry's content in chunks of up to 16 KiB. Throws ZipError when the real size
   * differs from the declared one, on CRC/inflate errors, and when this archive's reads together
   * pass `maxTotalBytes`. Breaking out of the loop stops reading.
   */
  read(entryName: string): AsyncIterable<Uint8Array>;
}

export const DEFAULT_MAX_ENTRIES = 100_000;

const MiB = 1024 * 1024;
/** Ratios of small entries are noise (a 2 KB file of spaces compresses 100:1). */
const RATIO_MIN_SIZE = MiB;
/** Storage chunks are 1 MiB, so one read maps to one or two chunk fetches. */
const SOURCE_READ_SIZE = MiB;
/**
 * zip.js re-chunks both what goes into the inflater and what comes out to its `chunkSize`.
 * Deno's DecompressionStream emits everything one input chunk inflates to as a single array and
 * deflate reaches ~1032:1, so 16 KiB in keeps the worst case (a zip lying about its sizes) at
 * ~17 MB per step, where zip.js's default 256 KiB would allow ~260 MB. Smaller costs
 * throughput (8 KiB: stored entries drop from ~450 to ~160 MB/s).
 */
const INFLATE_CHUNK_SIZE = 16 * 1024;
/**
 * Every read other than entry data is the end-of-central-directory search (64 KiB) or the
 * central directory itself, which zip.js reads in one piece. A forged directory length must not
 * make us allocate gigabytes; 100k entries with long Cyrillic names fit in 64 MiB.
 */
const MAX_SINGLE_READ = 64 * MiB;
const EOCD_MIN_SIZE = 22;
const LOCAL_HEADER_MIN_SIZE = 30;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;

// Web workers would need a worker script URL and buy nothing here: import jobs already run off
// the request path. With workers off, inflating runs on the native DecompressionStream.
configure({ useWebWorkers: false, useCompressionStream: true, chunkSize: INFLATE_CHUNK_SIZE });

/**
 * Validates the whole archive and lists it; nothing is extracted. The parsed directory is kept
 * for this source object, so `readZipEntry` calls that follow with the same source and limits
 * do not read and check the central directory again.
 */
export async function listZip(src: RandomAccessSource, limits: ZipLimits): Promise<ZipEntryInfo[]> {
  return [...(await openCached(src, limits)).entries];
}

/**
 * Streams one entry after validating the whole archive (once per source object, see
 * {@link listZip}). Reads through one source object share the archive's `maxTotalBytes`.
 */
export function readZipEntry(
  src: RandomAccessSource,
  entryName: string,
  limits: ZipLimits,
): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      const archive = await openCached(src, limits);
      yield* archive.read(entryName);
    },
  };
}

/**
 * Callers list an archive, then read its entries one by one with the same source; without this,
 * each read would fetch and re-validate the central directory (10k images → 10k directory reads).
 * Keyed weakly by the source object: a new upload gets a new source and a fresh parse.
 */
const opened = new WeakMap<
  RandomAccessSource,
  { limits: ZipLimits; archive: Promise<ZipArchive> }
>();

function openCached(src: RandomAccessSource, limits: ZipLimits): Promise<ZipArchive> {
  const hit = opened.get(src);
  if (
    hit && hit.limits.maxTotalBytes === limits.maxTotalBytes &&
    hit.limits.maxRatio === limits.maxRatio && hit.limits.maxEntries === limits.maxEntries
  ) {
    return hit.archive;
  }
  const archive = openZip(src, limits);
  // The rejection is still delivered to every caller; this only keeps the cached copy quiet.
  archive.catch(() => {});
  opened.set(src, { limits: { ...limits }, archive });
  return archive;
}

/** Validates the whole archive and returns its listing plus a reader for its entries. */
export async function openZip(src: RandomAccessSource, limits: ZipLimits): Promise<ZipArchive> {
  const maxEntries = limits.maxEntries ?? DEFAULT_MAX_ENTRIES;
  if (src.size < EOCD_MIN_SIZE) {
    throw new ZipError(`not a zip archive: ${src.size} bytes is shorter than any zip`);
  }
  const reader = new SourceReader(src);
  const zip = new ZipReader(reader, {
    useWebWorkers: false,
    useCompressionStream: true,
    // Our own name check (normalizeExchangePath) is stricter and names the rule broken.
    filenameValidation: "tolerant",
    decodeText: decodeFileName,
  });
  const byName = new Map<string, { info: ZipEntryInfo; entry: FileEntry | null }>();
  const seen = new Map<string, string>();
  const entries: ZipEntryInfo[] = [];
  let declaredTotal = 0;
  try {
    for await (const entry of zip.getEntriesGenerator()) {
      if (entries.length >= maxEntries) {
        throw new ZipError(`more than ${maxEntries} entries`);
      }
      const info = checkEntry(entry, limits);
      const key = info.name.normalize("NFC");
      const previous = seen.get(key);
      if (previous !== undefined) {
        throw new ZipError(`duplicate name (same as ${JSON.stringify(previous)})`, entry.filename);
      }
      seen.set(key, entry.filename);
      declaredTotal += info.uncompressedSize;
      if (declaredTotal > limits.maxTotalBytes) {
        throw new ZipError(
          `declared uncompressed total passes the ${limits.maxTotalBytes}-byte limit`,
          info.name,
        );
      }
      const directoryOffset = zip.directoryOffset ?? src.size;
      if (
        !info.directory &&
        entry.offset + LOCAL_HEADER_MIN_SIZE + info.compressedSize > directoryOffset
      ) {
        throw new ZipError(
          "entry data runs past the central directory (truncated archive?)",
          info.name,
        );
      }
      entries.push(info);
      byName.set(info.name, { info, entry: entry.directory ? null : entry });
    }
  } catch (error) {
    throw toZipError(error, undefined, "not a valid zip archive");
  }
  let realTotal = 0;
  const addReal = (n: number, name: string) => {
    realTotal += n;
    if (realTotal > limits.maxTotalBytes) {
      throw new ZipError(`uncompressed total passes the ${limits.maxTotalBytes}-byte limit`, name);
    }
  };
  return {
    entries,
    read(entryName) {
      const found = byName.get(entryName) ?? byName.get(safeNormalize(entryName));
      if (found === undefined) throw new ZipError("no such entry in the archive", entryName);
      return streamEntry(found.info, found.entry, addReal);
    },
  };
}

function checkEntry(entry: Entry, limits: ZipLimits): ZipEntryInfo {
  let name: string;
  try {
    name = normalizeExchangePath(entry.filename);
  } catch (error) {
    if (error instanceof UnsafeFileNameError) {
      // Our message already names the entry; keep just the rule that was broken.
      const prefix = `unsafe file name ${JSON.stringify(error.fileName)}: `;
      const reason = error.message.startsWith(prefix)
        ? error.message.slice(prefix.length)
        : error.message;
      throw new ZipError(`unsafe name: ${reason}`, entry.filename, { cause: error });
    }
    throw error;
  }
  const info: ZipEntryInfo = {
    name,
    compressedSize: entry.compressedSize,
    uncompressedSize: entry.uncompressedSize,
    directory: entry.directory,
  };
  if (entry.encrypted) throw new ZipError("encrypted entries are not accepted", name);
  if (entry.directory) return info;
  if (entry.compressionMethod !== METHOD_STORED && entry.compressionMethod !== METHOD_DEFLATE) {
    throw new ZipError(
      `unsupported compression method ${entry.compressionMethod} (only stored and deflate)`,
      name,
    );
  }
  if (entry.compressionMethod === METHOD_STORED && info.compressedSize !== info.uncompressedSize) {
    throw new ZipError(
      `stored entry declares ${info.compressedSize} bytes stored but ${info.uncompressedSize} unpacked`,
      name,
    );
  }
  if (info.uncompressedSize > limits.maxTotalBytes) {
    throw new ZipError(
      `declares ${info.uncompressedSize} bytes, over the ${limits.maxTotalBytes}-byte limit`,
      name,
    );
  }
  if (info.uncompressedSize > RATIO_MIN_SIZE) {
    const ratio = info.uncompressedSize / Math.max(info.compressedSize, 1);
    if (ratio > limits.maxRatio) {
      throw new ZipError(
        `compression ratio ${Math.round(ratio)}:1 is over the ${limits.maxRatio}:1 limit ` +
          `(${info.compressedSize} → ${info.uncompressedSize} bytes; zip bomb?)`,
        name,
      );
    }
  }
  return info;
}

function streamEntry(
  info: ZipEntryInfo,
  entry: FileEntry | null,
  addReal: (n: number, name: string) => void,
): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      if (entry === null) throw new ZipError("is a directory, it has no content", info.name);
      const pipe = new TransformStream<Uint8Array, Uint8Array>();
      const abort = new AbortController();
      // Settled to a value so that an error we already surface through the stream never turns
      // into an unhandled rejection.
      const finished = entry.getData(pipe.writable, { checkCrc32: true, signal: abort.signal })
        .then(() => null, (error: unknown) => ({ error }));
      const chunks = pipe.readable.getReader();
      let real = 0;
      let completed = false;
      try {
        while (true) {
          let next: ReadableStreamReadResult<Uint8Array>;
          try {
            next = await chunks.read();
          } catch (error) {
            throw toZipError(error, info.name, "cannot be extracted");
          }
          if (next.done) break;
          const chunk = next.value;
          real += chunk.length;
          // Checked before yielding: bytes past the declared size never reach the caller.
          if (real > info.uncompressedSize) {
            throw new ZipError(
              `inflates to more than the ${info.uncompressedSize} bytes it declares (lying archive)`,
              info.name,
            );
          }
          addReal(chunk.length, info.name);
          yield chunk;
        }
        const outcome = await finished;
        if (outcome !== null) throw toZipError(outcome.error, info.name, "cannot be extracted");
        if (real !== info.uncompressedSize) {
          throw new ZipError(
            `inflates to ${real} bytes but declares ${info.uncompressedSize} (corrupt archive)`,
            info.name,
          );
        }
        completed = true;
      } finally {
        if (!completed) {
          abort.abort();
          await chunks.cancel().catch(() => {});
          await finished;
        }
      }
    },
  };
}

/** Reads ranges of the source for zip.js; never more than one 1 MiB range at a time per stream. */
class SourceReader extends Reader<RandomAccessSource> {
  readonly #src: RandomAccessSource;

  constructor(src: RandomAccessSource) {
    super(src);
    this.#src = src;
    this.size = src.size;
  }

  override async readUint8Array(index: number, length: number): Promise<Uint8Array> {
    // zip.js may ask past the end while searching for the end-of-central-directory record.
    const start = Math.max(0, Math.min(index, this.size));
    const wanted = Math.max(0, Math.min(length, this.size - start));
    if (wanted === 0) return new Uint8Array(0);
    if (wanted > MAX_SINGLE_READ) {
      throw new ZipError(
        `central directory of ${wanted} bytes is over the ${MAX_SINGLE_READ}-byte limit`,
      );
    }
    const data = await this.#src.read(start, wanted);
    if (data.length !== wanted) {
      throw new ZipError(
        `storage returned ${data.length} bytes for a ${wanted}-byte read at ${start}`,
      );
    }
    return data;
  }

  override createReadable(options: CreateReadableOptions = {}): ReadableStream<Uint8Array> {
    const offset = options.offset ?? 0;
    const end = options.size === undefined ? this.size : Math.min(this.size, offset + options.size);
    let position = offset;
    let pending: Uint8Array = new Uint8Array(0);
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (pending.length === 0) {
          if (position >= end) {
            controller.close();
            return;
          }
          pending = await this.readUint8Array(position, Math.min(SOURCE_READ_SIZE, end - position));
          position += pending.length;
        }
        controller.enqueue(pending.subarray(0, INFLATE_CHUNK_SIZE));
        pending = pending.subarray(INFLATE_CHUNK_SIZE);
        if (pending.length === 0 && position >= end) controller.close();
      },
    }, { highWaterMark: 0 });
  }
}

const cp866 = new TextDecoder("ibm866");

/**
 * zip.js decodes UTF-8 when the entry's UTF-8 flag is set or the bytes are valid UTF-8, and asks
 * for cp437 otherwise. 1C on Windows writes Cyrillic names in the OEM code page, cp866, and
 * Russian cp866 text is practically never valid UTF-8, so cp437 is read as cp866 instead.
 */
function decodeFileName(value: Uint8Array, encoding: string): string | undefined {
  return encoding.toLowerCase() === "cp437" ? cp866.decode(value) : undefined;
}

function safeNormalize(name: string): string {
  try {
    return normalizeExchangePath(name);
  } catch {
    return name;
  }
}

/** zip.js reports its errors as plain `Error`s with fixed messages; give them our wording. */
function toZipError(error: unknown, entry: string | undefined, what: string): ZipError {
  if (error instanceof ZipError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const known: Record<string, string> = {
    "Invalid CRC32": "CRC-32 mismatch (corrupt archive)",
    "Invalid uncompressed size":
      "real size differs from the declared size (lying or corrupt archive)",
    "Invalid compressed data": "corrupt compressed data",
    "End of central directory not found":
      "end of central directory not found (not a zip, or truncated)",
    "Central directory header not found": "central directory missing or truncated",
    "Local file header not found": "local file header missing (corrupt archive)",
    "Entry data out of bounds": "entry data runs past the archive (truncated)",
    "File format is not recognized": "not a zip archive",
    "Encrypted central directory is not supported": "encrypted central directory",
    "Ambiguous archive": "local header disagrees with the central directory (tampered archive?)",
    "Split zip file": "split (multi-volume) archives are not accepted",
    "Codec out of memory": "inflating ran out of memory",
  };
  return new ZipError(`${what}: ${known[message] ?? message}`, entry, { cause: error });
}
