import { assert, assertEquals, assertRejects } from "@std/assert";
import { readCommerceML } from "../../src/commerceml/reader.ts";
import { readCommerceMLInWorker } from "../../src/commerceml/threaded-reader.ts";
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
    const records = await collect(readCommerceMLInWorker(file.readable, { batchSize: 50 }));
    assertEquals(records.length, 301);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a parse error is rethrown as CmlError with the same message, line and column", async () => {
  const bytes = encoder.encode(OPEN + offer(1) + "<Предложение><Ид>x</Ид></Товар>" + CLOSE);
  const inThread = await assertRejects(() => collect(readCommerceML(chunked(bytes, 64))), CmlError);
  const threaded = await assertRejects(
    () => collect(readCommerceMLInWorker(chunked(bytes, 64))),
    CmlError,
  );
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
  let batches = 0;
  for await (const batch of readCommerceMLInWorker(endless(), { batchSize: 10 })) {
    assert(batch.length > 0);
    batches++;
    if (batches === 1) {
      // Give the worker time to run ahead if it could; it must stop at a few batches.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert(pulled <= 6, `read ahead ${pulled} chunks`);
    }
    if (batches === 5) break;
  }
  assertEquals(batches, 5);
  assert(closed, "the source was closed");
  assert(pulled <= 8, `read ahead ${pulled} chunks`);
});
