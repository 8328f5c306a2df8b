import { assert, assertEquals, assertRejects } from "@std/assert";
import { TextReader, Uint8ArrayReader, Uint8ArrayWriter, ZipWriter } from "@zip.js/zip.js";
import {
  listZip,
  openZip,
  type RandomAccessSource,
  readZipEntry,
  ZipError,
  type ZipLimits,
} from "../../src/exchange/zip.ts";

const MiB = 1024 * 1024;
const LIMITS: ZipLimits = { maxTotalBytes: 512 * MiB, maxRatio: 100, maxEntries: 1000 };

// ---------------------------------------------------------------------------------------------
// helpers

interface CountingSource extends RandomAccessSource {
  reads: number;
  bytesRead: number;
  largestRead: number;
}

/** Serves slices of the archive and counts them, to prove only ranges are fetched. */
function source(bytes: Uint8Array): CountingSource {
  const src: CountingSource = {
    size: bytes.length,
    reads: 0,
    bytesRead: 0,
    largestRead: 0,
    read(offset, length) {
      src.reads++;
      src.bytesRead += length;
      src.largestRead = Math.max(src.largestRead, length);
      // A copy, like a storage read would return, so nobody can alias the archive.
      return Promise.resolve(bytes.slice(offset, offset + length));
    },
  };
  return src;
}

type Content = string | Uint8Array;

async function buildZip(
  files: Array<[name: string, content: Content, level?: number]>,
  options: { password?: string } = {},
): Promise<Uint8Array> {
  // Sizes in the local headers (no data descriptor) so the byte patches below can find them.
  const writer = new ZipWriter(new Uint8ArrayWriter(), {
    dataDescriptor: false,
    useWebWorkers: false,
    password: options.password,
  });
  for (const [name, content, level] of files) {
    const reader = typeof content === "string"
      ? new TextReader(content)
      : new Uint8ArrayReader(content);
    await writer.add(name, reader, { level });
  }
  return await writer.close();
}

const u16 = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8);
const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
const setU16 = (b: Uint8Array, at: number, v: number) =>
  new DataView(b.buffer, b.byteOffset).setUint16(at, v, true);
const setU32 = (b: Uint8Array, at: number, v: number) =>
  new DataView(b.buffer, b.byteOffset).setUint32(at, v, true);

interface HeaderRef {
  central: number;
  local: number;
  nameBytes: Uint8Array;
}

/** Walks the central directory by hand: the tests forge archives ZipWriter would not write. */
function headers(zip: Uint8Array): HeaderRef[] {
  let eocd = zip.length - 22;
  while (eocd >= 0 && u32(zip, eocd) !== 0x06054b50) eocd--;
  assert(eocd >= 0, "test archive has no EOCD");
  const count = u16(zip, eocd + 10);
  let at = u32(zip, eocd + 16);
  const out: HeaderRef[] = [];
  for (let i = 0; i < count; i++) {
    assertEquals(u32(zip, at), 0x02014b50);
    const nameLength = u16(zip, at + 28);
    const extraLength = u16(zip, at + 30);
    const commentLength = u16(zip, at + 32);
    out.push({
      central: at,
      local: u32(zip, at + 42),
      nameBytes: zip.subarray(at + 46, at + 46 + nameLength),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return out;
}

function header(zip: Uint8Array, name: string): HeaderRef {
  const wanted = new TextEncoder().encode(name);
  const found = headers(zip).find((h) =>
    h.nameBytes.length === wanted.length && h.nameBytes.every((b, i) => b === wanted[i])
  );
  assert(found, `no entry ${name} in test archive`);
  return found;
}

/** Replaces an entry's name bytes (same length) in the central and the local header. */
function patchName(zip: Uint8Array, name: string, bytes: Uint8Array): Uint8Array {
  const out = zip.slice();
  const h = header(out, name);
  assertEquals(bytes.length, h.nameBytes.length, "patched name must keep its byte length");
  out.set(bytes, h.central + 46);
  assertEquals(u16(out, h.local + 26), bytes.length);
  out.set(bytes, h.local + 30);
  // Clear the UTF-8 flag (bit 11): the forged bytes are not UTF-8 text.
  setU16(out, h.central + 8, u16(out, h.central + 8) & ~0x800);
  setU16(out, h.local + 6, u16(out, h.local + 6) & ~0x800);
  return out;
}

function patchUncompressedSize(zip: Uint8Array, name: string, size: number): Uint8Array {
  const out = zip.slice();
  const h = header(out, name);
  setU32(out, h.central + 24, size);
  setU32(out, h.local + 22, size);
  return out;
}

function patchMethod(zip: Uint8Array, name: string, method: number): Uint8Array {
  const out = zip.slice();
  const h = header(out, name);
  setU16(out, h.central + 10, method);
  setU16(out, h.local + 8, method);
  return out;
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function randomBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function rejectsZip(run: () => Promise<unknown>, includes = ""): Promise<ZipError> {
  return assertRejects(run, ZipError, includes);
}

const IMPORT_XML = '<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация/>\n'.repeat(50);
const OFFERS_XML = '<?xml version="1.0" encoding="UTF-8"?>\n<ПакетПредложений/>\n'.repeat(50);

// ---------------------------------------------------------------------------------------------
// normal archives

Deno.test("lists and reads a normal 1C archive, keeping sub-folders", async () => {
  const jpg = randomBytes(3 * MiB + 17);
  const zip = await buildZip([
    ["import.xml", IMPORT_XML],
    ["offers.xml", OFFERS_XML],
    ["import_files/", ""],
    ["import_files/ab/x.jpg", jpg, 0],
  ]);
  const src = source(zip);
  const entries = await listZip(src, LIMITS);
  assertEquals(entries.map((e) => [e.name, e.directory]), [
    ["import.xml", false],
    ["offers.xml", false],
    ["import_files", true],
    ["import_files/ab/x.jpg", false],
  ]);
  assertEquals(entries[3].uncompressedSize, jpg.length);
  // Listing touched the tail of the archive only, never the 3 MiB image.
  assert(src.bytesRead < 128 * 1024, `listing read ${src.bytesRead} bytes`);

  const archive = await openZip(src, LIMITS);
  const text = new TextDecoder().decode(await collect(archive.read("import.xml")));
  assertEquals(text, IMPORT_XML);
  assertEquals(new TextDecoder().decode(await collect(archive.read("offers.xml"))), OFFERS_XML);

  const before = src.bytesRead;
  let largestChunk = 0;
  const parts: Uint8Array[] = [];
  for await (const chunk of archive.read("import_files/ab/x.jpg")) {
    largestChunk = Math.max(largestChunk, chunk.length);
    parts.push(chunk);
  }
  assert(largestChunk <= MiB, `chunk of ${largestChunk} bytes`);
  assertEquals(await collect(toAsync(parts)), jpg);
  // The image was fetched in ranges of at most 1 MiB, about once.
  assert(src.largestRead <= MiB, `largest read ${src.largestRead}`);
  assert(src.bytesRead - before < jpg.length + 64 * 1024);
});

async function* toAsync(parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts;
}

Deno.test("readZipEntry streams one entry; a large deflated entry comes in ≤1 MiB chunks", async () => {
  const big = new TextEncoder().encode(
    Array.from({ length: 120_000 }, (_, i) => `<Товар><Ид>${i}</Ид></Товар>\n`).join(""),
  );
  const zip = await buildZip([["import.xml", big], ["offers.xml", OFFERS_XML]]);
  const src = source(zip);
  let largest = 0;
  let total = 0;
  for await (const chunk of readZipEntry(src, "import.xml", LIMITS)) {
    largest = Math.max(largest, chunk.length);
    total += chunk.length;
  }
  assertEquals(total, big.length);
  assert(largest <= MiB);
});

Deno.test("listZip then readZipEntry per entry parses the central directory once", async () => {
  const files = Array.from(
    { length: 300 },
    (_, i): [string, Content] => [`import_files/${i % 10}/${i}.jpg`, `jpeg ${i}`],
  );
  const zip = await buildZip(files);
  const src = source(zip);
  const limits = { ...LIMITS };
  const entries = await listZip(src, limits);
  const listing = src.bytesRead;
  for (const e of entries) {
    const text = new TextDecoder().decode(await collect(readZipEntry(src, e.name, limits)));
    assertEquals(text, `jpeg ${e.name.match(/(\d+)\.jpg$/)?.[1]}`);
  }
  // Without the per-source parse cache this would be ~300 × the listing.
  assert(src.bytesRead - listing < 3 * listing, `${src.bytesRead - listing} vs ${listing}`);
});

Deno.test("stopping early cancels the read", async () => {
  const zip = await buildZip([["import_files/ab/x.jpg", randomBytes(4 * MiB), 0]]);
  const src = source(zip);
  const archive = await openZip(src, LIMITS);
  const before = src.bytesRead;
  for await (const chunk of archive.read("import_files/ab/x.jpg")) {
    assert(chunk.length > 0);
    break;
  }
  assert(
    src.bytesRead - before <= 2 * MiB,
    `read ${src.bytesRead - before} bytes after a break`,
  );
});

Deno.test("names: 1C prefixes are stripped, lookup accepts raw or normalised names", async () => {
  const zip = await buildZip([["tmp/import.xml", IMPORT_XML]]);
  const archive = await openZip(source(zip), LIMITS);
  assertEquals(archive.entries.map((e) => e.name), ["import.xml"]);
  const expected = new TextEncoder().encode(IMPORT_XML);
  assertEquals(await collect(archive.read("tmp/import.xml")), expected);
  await rejectsZip(() => collect(archive.read("missing.xml")), "no such entry");
  await rejectsZip(() => collect(archive.read("../import.xml")), "no such entry");
});

Deno.test("Cyrillic names: cp866 without the UTF-8 flag, and UTF-8 with it", async () => {
  const cp866Name = new Uint8Array([0x92, 0xae, 0xa2, 0xa0, 0xe0, 0xeb]); // "Товары" in cp866
  const placeholder = "import_files/ab/XXXXXX.jpg";
  const zip = await buildZip([[placeholder, "jpeg"], ["Остатки.xml", "<x/>"]]);
  const nameBytes = new TextEncoder().encode(placeholder);
  nameBytes.set(cp866Name, "import_files/ab/".length);
  const patched = patchName(zip, placeholder, nameBytes);
  const entries = await listZip(source(patched), LIMITS);
  assertEquals(entries.map((e) => e.name), ["import_files/ab/Товары.jpg", "Остатки.xml"]);
  const archive = await openZip(source(patched), LIMITS);
  assertEquals(
    new TextDecoder().decode(await collect(archive.read("import_files/ab/Товары.jpg"))),
    "jpeg",
  );
});

// ---------------------------------------------------------------------------------------------
// hostile names

for (
  const [name, why] of [
    ["../evil.xml", "'..'"],
    ["/etc/passwd", "absolute"],
    ["a\\..\\..\\b", "'..'"],
    ["C:/Windows/win.ini", "absolute Windows"],
    ["import_files/\uFF0E\uFF0E/x.jpg", "look-alike"],
    ["shell.php", "script"],
  ] as const
) {
  Deno.test(`rejects the whole archive for entry name ${JSON.stringify(name)}`, async () => {
    const zip = await buildZip([["import.xml", IMPORT_XML], [name, "x"]]);
    const error = await rejectsZip(() => listZip(source(zip), LIMITS), why);
    assertEquals(error.entry, name);
    assert(error.message.includes(JSON.stringify(name)), error.message);
  });
}

Deno.test("rejects a name with a NUL byte (forged bytes)", async () => {
  const zip = await buildZip([["import.xml", IMPORT_XML], ["evil_xml.txt", "x"]]);
  const bytes = new TextEncoder().encode("evil_xml.txt");
  bytes[4] = 0;
  const patched = patchName(zip, "evil_xml.txt", bytes);
  await rejectsZip(() => listZip(source(patched), LIMITS), "control characters");
});

Deno.test("rejects names that collide after normalisation", async () => {
  const zip = await buildZip([["import.xml", IMPORT_XML], ["tmp/import.xml", IMPORT_XML]]);
  await rejectsZip(() => listZip(source(zip), LIMITS), "duplicate name");
  const nfd = await buildZip([["import_files/й.jpg", "a"], ["import_files/и\u0306.jpg", "b"]]);
  await rejectsZip(() => listZip(source(nfd), LIMITS), "duplicate name");
});

// ---------------------------------------------------------------------------------------------
// bombs, liars, damaged archives

Deno.test("zip bomb: 50 MB of zeros is refused by ratio and by total size", async () => {
  const zip = await buildZip([["import.xml", new Uint8Array(50 * 1000 * 1000)]]);
  assert(zip.length < 200_000, `bomb is ${zip.length} bytes`);
  await rejectsZip(() => listZip(source(zip), LIMITS), "compression ratio");
  await rejectsZip(
    () => listZip(source(zip), { maxTotalBytes: 10 * MiB, maxRatio: 1e6 }),
    "limit",
  );
  // Within both limits it is an ordinary (if silly) archive.
  const entries = await listZip(source(zip), { maxTotalBytes: 64 * MiB, maxRatio: 1e6 });
  assertEquals(entries[0].uncompressedSize, 50 * 1000 * 1000);
});

Deno.test("many entries add up past maxTotalBytes", async () => {
  const files: Array<[string, Content]> = [];
  for (let i = 0; i < 5; i++) files.push([`part${i}.xml`, randomBytes(300_000, i + 1)]);
  const zip = await buildZip(files);
  await rejectsZip(
    () => listZip(source(zip), { maxTotalBytes: 1_000_000, maxRatio: 100 }),
    "declared uncompressed total",
  );
});

Deno.test("small entries are not judged by ratio", async () => {
  const zip = await buildZip([["import.xml", " ".repeat(500_000)]]);
  const [entry] = await listZip(source(zip), { maxTotalBytes: MiB, maxRatio: 2 });
  assert(entry.uncompressedSize / entry.compressedSize > 2);
});

Deno.test("a zip lying about its uncompressed size is stopped while reading", async () => {
  const real = new TextEncoder().encode("<Товар/>\n".repeat(300_000)); // ~3 MB
  const zip = await buildZip([["import.xml", real], ["offers.xml", OFFERS_XML]]);
  const declared = 200_000;
  const liar = patchUncompressedSize(zip, "import.xml", declared);
  // The headers agree with each other, so the listing cannot tell.
  const archive = await openZip(source(liar), LIMITS);
  assertEquals(archive.entries[0].uncompressedSize, declared);
  let yielded = 0;
  const error = await rejectsZip(async () => {
    for await (const chunk of archive.read("import.xml")) yielded += chunk.length;
  });
  assertEquals(error.entry, "import.xml");
  assert(yielded <= declared, `${yielded} bytes reached the caller`);
  // The honest entry next to it still reads.
  assertEquals((await collect(archive.read("offers.xml"))).length > 0, true);
});

Deno.test("a zip declaring more than it holds fails at the end of the entry", async () => {
  const zip = await buildZip([["import.xml", IMPORT_XML]]);
  const liar = patchUncompressedSize(zip, "import.xml", IMPORT_XML.length * 3);
  await rejectsZip(() => collect(readZipEntry(source(liar), "import.xml", LIMITS)), "import.xml");
});

Deno.test("CRC and inflate errors surface as ZipError", async () => {
  const content = randomBytes(200_000);
  const stored = await buildZip([["import_files/a.jpg", content, 0]]);
  const flipped = stored.slice();
  const h = header(flipped, "import_files/a.jpg");
  flipped[h.local + 30 + h.nameBytes.length + 1000] ^= 0xff;
  await rejectsZip(
    () => collect(readZipEntry(source(flipped), "import_files/a.jpg", LIMITS)),
    "CRC",
  );

  const deflated = await buildZip([["import.xml", IMPORT_XML.repeat(20)]]);
  const garbage = deflated.slice();
  const d = header(garbage, "import.xml");
  const dataStart = d.local + 30 + d.nameBytes.length + u16(garbage, d.local + 28);
  garbage.fill(0xff, dataStart, dataStart + 64);
  await rejectsZip(
    () => collect(readZipEntry(source(garbage), "import.xml", LIMITS)),
    "import.xml",
  );
});

Deno.test("truncated archive, random bytes and empty files are refused", async () => {
  const zip = await buildZip([["import.xml", IMPORT_XML], ["offers.xml", OFFERS_XML]]);
  await rejectsZip(
    () => listZip(source(zip.subarray(0, zip.length - 10)), LIMITS),
    "not a valid zip",
  );
  await rejectsZip(
    () => listZip(source(zip.subarray(0, zip.length >> 1)), LIMITS),
    "not a valid zip",
  );
  await rejectsZip(() => listZip(source(randomBytes(64 * 1024, 7)), LIMITS), "not a valid zip");
  await rejectsZip(() => listZip(source(new Uint8Array(0)), LIMITS), "not a zip");
  const xml = new TextEncoder().encode(IMPORT_XML);
  await rejectsZip(() => listZip(source(xml), LIMITS), "not a valid zip");
});

Deno.test("too many entries", async () => {
  const zip = await buildZip(
    Array.from({ length: 6 }, (_, i): [string, Content] => [`import_files/${i}.jpg`, "x"]),
  );
  await rejectsZip(() => listZip(source(zip), { ...LIMITS, maxEntries: 5 }), "more than 5 entries");
  assertEquals((await listZip(source(zip), { ...LIMITS, maxEntries: 6 })).length, 6);
});

Deno.test("encrypted entries are refused", async () => {
  const zip = await buildZip([["import.xml", IMPORT_XML]], { password: "secret" });
  await rejectsZip(() => listZip(source(zip), LIMITS), "encrypted");
});

Deno.test("unsupported compression methods are refused", async () => {
  const zip = await buildZip([["import.xml", IMPORT_XML]]);
  await rejectsZip(() => listZip(source(patchMethod(zip, "import.xml", 12)), LIMITS), "method 12");
});

Deno.test("a forged huge central directory is not read into memory", async () => {
  // 200 MiB of nothing ending in an EOCD that claims a directory spanning all of it.
  const size = 200 * MiB;
  const tail = new Uint8Array(22);
  setU32(tail, 0, 0x06054b50);
  setU16(tail, 8, 1);
  setU16(tail, 10, 1);
  setU32(tail, 12, size - 22);
  setU32(tail, 16, 0);
  const head = new Uint8Array(4);
  setU32(head, 0, 0x02014b50);
  let largest = 0;
  const src: RandomAccessSource = {
    size,
    read(offset, length) {
      largest = Math.max(largest, length);
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) {
        const at = offset + i;
        if (at < 4) out[i] = head[at];
        else if (at >= size - 22) out[i] = tail[at - (size - 22)];
      }
      return Promise.resolve(out);
    },
  };
  await rejectsZip(() => listZip(src, LIMITS));
  assert(largest <= 64 * MiB, `asked storage for ${largest} bytes at once`);
});
