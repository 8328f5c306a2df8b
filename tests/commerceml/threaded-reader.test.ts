import { assert, assertEquals, assertRejects } from "@std/assert";
import { readCommerceML } from "../../src/commerceml/reader.ts";
import { readCommerceMLInWorker, readInWorker } from "../../src/commerceml/threaded-reader.ts";
import { type ImportBatch, importBatches, parserInput } from "../../src/catalog/import-batches.ts";
import type { ImportWorkerOptions } from "../../src/catalog/import-worker.ts";
import { CmlError, type CmlRecord } from "../../src/commerceml/records.ts";

const SAMPLES = new URL("../../../shared/samples/commerceml/", import.meta.url);
const encoder = new TextEncoder();

/** Fresh chunks on every call: the threaded reader transfers (detaches) what it is given. */
async function* chunked(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.byteLength; i += size) yield bytes.slice(i, i + size);
}

async function collect(batches: AsyncIterable<CmlRecord[]>): Promise<CmlRecord[]> {
  const out: CmlRecord[] = [];
  for await (const batch of batches) {
    assert(batch.length > 0);
    out.push(...batch);
  }
  return out;
}

/** Counts Worker construction and terminate() calls made while `fn` runs. */
async function spyOnWorkers(
  fn: () => Promise<void>,
): Promise<{ created: number; terminated: number }> {
  const counts = { created: 0, terminated: 0 };
  const RealWorker = globalThis.Worker;
  class SpyWorker extends RealWorker {
    constructor(...args: ConstructorParameters<typeof Worker>) {
      super(...args);
      counts.created++;
    }
    override terminate(): void {
      counts.terminated++;
      super.terminate();
    }
  }
  globalThis.Worker = SpyWorker;
  try {
    await fn();
  } finally {
    globalThis.Worker = RealWorker;
  }
  return counts;
}

const offer = (i: number) =>
  `<Предложение><Ид>p${i}#c${i}</Ид><Наименование>Товар ${i}</Наименование><Цены><Цена>` +
  `<ИдТипаЦены>t</ИдТипаЦены><ЦенаЗаЕдиницу>${i},5</ЦенаЗаЕдиницу></Цена></Цены>` +
  `<Склад ИдСклада="w" КоличествоНаСкладе="${i % 7}"/></Предложение>\n`;
const OPEN = `<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация ВерсияСхемы="2.08">` +
  `<ПакетПредложений СодержитТолькоИзменения="false"><Предложения>\n`;
const CLOSE = `</Предложения></ПакетПредложений></КоммерческаяИнформация>\n`;

function offersXml(n: number): Uint8Array {
  let xml = OPEN;
  for (let i = 0; i < n; i++) xml += offer(i);
  return encoder.encode(xml + CLOSE);
}

Deno.test("same records as the in-thread reader (generated file, small batches)", async () => {
  const bytes = offersXml(2000);
  const expected = await collect(readCommerceML(chunked(bytes, 4096)));
  assertEquals(expected.length, 2001);
  for (const batchSize of [1, 7, 1000]) {
    const actual = await collect(readCommerceMLInWorker(chunked(bytes, 4096), { batchSize }));
    assertEquals(actual, expected, `batchSize ${batchSize}`);
  }
});

const SAMPLE_FILES = [
  "Dialdev__Santechtula/upload/1c_catalog/import.xml",
  "dobromyslov__commerceml-parser/data/offers0_1.xml",
  "irpsv__commerceml/tests/assets/bitrix-module-6/goods/1/rests.xml",
  "carono__php-commerceml/tests/xml/import.xml",
];
let haveSamples = true;
try {
  await Deno.stat(new URL(SAMPLE_FILES[0], SAMPLES));
} catch {
  haveSamples = false;
}

Deno.test({
  name: "same records as the in-thread reader on real samples",
  ignore: !haveSamples,
  async fn() {
    for (const path of SAMPLE_FILES) {
      const bytes = await Deno.readFile(new URL(path, SAMPLES));
      const expected = await collect(readCommerceML(chunked(bytes, 65536)));
      const actual = await collect(readCommerceMLInWorker(chunked(bytes, 65536)));
      assertEquals(actual, expected, path);
    }
  },
});

Deno.test("a file source is read to the end and closed", async () => {
  const path = await Deno.makeTempFile({ suffix: ".xml" });
  try {
    await Deno.writeFile(path, offersXml(300));
    using file = await Deno.open(path);
    let records: CmlRecord[] = [];
    const workers = await spyOnWorkers(async () => {
      records = await collect(readCommerceMLInWorker(file.readable, { batchSize: 50 }));
    });
    assertEquals(records.length, 301);
    assertEquals(workers, { created: 1, terminated: 1 });
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("uneven chunk sizes around the read-ahead limit do not stall", async () => {
  const bytes = offersXml(500);
  async function* uneven(): AsyncIterable<Uint8Array> {
    const sizes = [10, 9000, 1, 20000, 3, 50, 7000];
    for (let i = 0, k = 0; i < bytes.byteLength; k++) {
      const size = sizes[k % sizes.length];
      yield bytes.slice(i, i + size);
      i += size;
    }
  }
  const expected = await collect(readCommerceML(chunked(bytes, 4096)));
  for (const readAheadBytes of [1, 100, 9005, 30000]) {
    const actual = await collect(
      readCommerceMLInWorker(uneven(), { readAheadBytes, batchSize: 20 }),
    );
    assertEquals(actual, expected, `readAheadBytes ${readAheadBytes}`);
  }
});

Deno.test("a parse error is rethrown as CmlError with the same message, line and column", async () => {
  const bytes = encoder.encode(OPEN + offer(1) + "<Предложение><Ид>x</Ид></Товар>" + CLOSE);
  const inThread = await assertRejects(() => collect(readCommerceML(chunked(bytes, 64))), CmlError);
  let threaded: CmlError | undefined;
  const workers = await spyOnWorkers(async () => {
    threaded = await assertRejects(
      () => collect(readCommerceMLInWorker(chunked(bytes, 64))),
      CmlError,
    );
  });
  assertEquals(workers, { created: 1, terminated: 1 });
  assert(threaded !== undefined);
  assertEquals(threaded.message, inThread.message);
  assertEquals([threaded.line, threaded.column], [inThread.line, inThread.column]);
  assert(threaded.message.includes("unclosed tag Предложение"), threaded.message);

  // Decoder errors have no position.
  const binary = new Uint8Array([0x3c, 0x61, 0x3e, 0xff, 0xfe, 0x3c]);
  const decodeError = await assertRejects(
    () => collect(readCommerceMLInWorker(chunked(binary, 2))),
    CmlError,
  );
  assert(decodeError.message.startsWith("invalid UTF-8"), decodeError.message);
  assertEquals(decodeError.line, undefined);
});

Deno.test("an error thrown by the source reaches the consumer unchanged", async () => {
  const boom = new Error("disk on fire");
  async function* source(): AsyncIterable<Uint8Array> {
    yield encoder.encode(OPEN + offer(1));
    throw boom;
  }
  const err = await assertRejects(() => collect(readCommerceMLInWorker(source())));
  assert(err === boom);
});

Deno.test("bounded buffering, and stopping early terminates the worker and closes the source", async () => {
  let pulled = 0;
  let closed = false;
  const chunk = (() => {
    let xml = "";
    for (let i = 0; i < 50; i++) xml += offer(i);
    return encoder.encode(xml);
  })();
  // An endless offers file: only flow control keeps this test finite.
  async function* endless(): AsyncIterable<Uint8Array> {
    try {
      yield encoder.encode(OPEN);
      for (;;) {
        pulled++;
        yield chunk.slice();
      }
    } finally {
      closed = true;
    }
  }
  // Each chunk is ~13 KB; allow about three of them in flight.
  const opts = { batchSize: 10, readAheadBytes: 3 * chunk.byteLength };
  let batches = 0;
  const workers = await spyOnWorkers(async () => {
    for await (const batch of readCommerceMLInWorker(endless(), opts)) {
      assert(batch.length > 0);
      batches++;
      if (batches === 1) {
        // Give the worker time to run ahead if it could: it stops after a few record batches
        // (one chunk holds 5 batches), and the main thread after readAheadBytes.
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert(pulled <= 5, `read ahead ${pulled} chunks`);
      }
      if (batches === 5) break;
    }
  });
  assertEquals(workers, { created: 1, terminated: 1 });
  assertEquals(batches, 5);
  assert(closed, "the source was closed");
  assert(pulled <= 6, `read ahead ${pulled} chunks`);
});

Deno.test("import worker: parts smaller than the sniffed head (the worker frees each part once read) give the inline batches", async () => {
  const xml = offersXml(60);
  const summary = (batches: ImportBatch[]) =>
    batches.map((b) =>
      b.type === "offers"
        ? { ids: b.ids, rows: new TextDecoder().decode(b.rows), prices: b.priceEnds.length }
        : b.type
    );
  const inline: ImportBatch[] = [];
  for await (const b of importBatches(readCommerceML(parserInput(chunked(xml, 37))), 25)) {
    inline.push(b);
  }
  const threaded: ImportBatch[] = [];
  const worker = new URL("../../src/catalog/import-worker.ts", import.meta.url);
  const options: ImportWorkerOptions = { batchSize: 25, reader: {} };
  for await (const b of readInWorker<ImportBatch>(worker, chunked(xml, 37), options)) {
    threaded.push(b);
  }
  assertEquals(inline.filter((b) => b.type === "offers").length, 3);
  assertEquals(summary(threaded), summary(inline));
});
