/**
 * The order-document reader over the real documents of the sample corpus (1C → site status
 * documents and site → 1C order documents, 2.03 to 3.1, UTF-8 and windows-1251), and over
 * broken input.
 */
import { assertEquals, assertRejects } from "@std/assert";
import { readSaleDocuments, type SaleDocument } from "../../src/orders/document-reader.ts";
import { changesFromDocument } from "../../src/orders/document-changes.ts";
import { CmlError } from "../../src/commerceml/records.ts";
import { SAMPLES } from "./helpers.ts";

async function* chunks(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function read(bytes: Uint8Array, chunkSize = 1 << 16): Promise<SaleDocument[]> {
  const out: SaleDocument[] = [];
  for await (const docs of readSaleDocuments(chunks(bytes, chunkSize))) out.push(...docs);
  return out;
}

const sample = (rel: string) => Deno.readFile(SAMPLES + rel);

Deno.test("order documents of the corpus", async (t) => {
  await t.step("to.xml (windows-1251, 2.03): the official 1C → site example", async () => {
    const [doc, ...rest] = await read(await sample("carono__yii2-1c-exchange/files/xml/to.xml"));
    assertEquals(rest.length, 0);
    assertEquals([doc.id, doc.number, doc.operation, doc.container], [
      "20",
      "20",
      "Заказ товара",
      null,
    ]);
    assertEquals(doc.buyer?.id, "1#admin#Петров Петр");
    assertEquals(doc.buyer?.lastName, "Петров");
    assertEquals(doc.lineCount, 2);
    assertEquals(doc.requisites["Статус заказа"], "[F] Доставлен");
    assertEquals(changesFromDocument(doc, []), {
      onec_status: "[F] Доставлен",
      delivery_allowed: true,
      cancelled: false,
      paid: true,
      paid_at: "2007-10-16T15:44:47",
      payment_number: "ТК000000026",
      shipped: true,
      customer_onec_id: "1#admin#Петров Петр",
    });
  });

  await t.step("dicrtarasov orders.xml (2.08, commerceml_210, BOM)", async () => {
    const [doc] = await read(await sample("dicrtarasov__yii2-exchange1c/doc/orders.xml"), 97);
    assertEquals([doc.id, doc.number], ["24c82d03-7149-11eb-80c0-7085c2ddb497", "13838"]);
    const c = changesFromDocument(doc, []);
    assertEquals(c.onec_number, "СА-013838");
    assertEquals(c.onec_date, "2021-02-17T22:51:37");
    assertEquals(c.onec_posted, true);
    assertEquals(c.onec_deleted, false);
    assertEquals([c.paid, c.paid_at, c.payment_number], [
      true,
      "2021-02-18T09:49:02",
      "НФНФ-000001",
    ]);
    assertEquals([c.shipped, c.shipped_at, c.shipment_number], [
      true,
      "2021-02-18T09:49:02",
      "НФНФ-000001",
    ]);
    assertEquals(c.onec_status, "Отправлен");
  });

  await t.step("off-doc orders.xml (2.03): three documents, Номер по 1С", async () => {
    const docs = await read(await sample("irpsv__commerceml/tests/assets/off-doc-1c/orders.xml"));
    assertEquals(docs.map((d) => d.number), ["36", "92", "93"]);
    assertEquals(docs[0].buyer?.id, "1#admin# admin", "trimmed");
    assertEquals(changesFromDocument(docs[1], []), {
      onec_number: "MM92",
      onec_date: "2015-08-12",
      onec_posted: true,
      onec_deleted: false,
      onec_status: "Открыт",
    });
  });

  await t.step("bitrix-module-6 documents.xml (3.1): documents inside Контейнер", async () => {
    const docs = await read(
      await sample("irpsv__commerceml/tests/assets/bitrix-module-6/documents/2/documents.xml"),
      1000,
    );
    assertEquals(docs.map((d) => [d.number, d.number1c, d.container]), [
      ["319", "L319", 0],
      ["479", "K479", 1],
      ["480", "K480", 2],
      ["481", "K481", 3],
    ]);
    assertEquals(docs[3].buyer?.contacts.length, 0);
    assertEquals(docs[2].buyer?.contacts, [
      { type: "Телефон рабочий", value: "+79114058337" },
      { type: "Электронная почта", value: "kovalevskiy.dmitry@gmail.com" },
    ]);
    const shipped = changesFromDocument(docs[1], []);
    assertEquals([shipped.shipped, shipped.shipment_number, shipped.shipped_at], [
      true,
      "О0000000966",
      "2017-08-02T18:36:44",
    ]);
    assertEquals(changesFromDocument(docs[2], []).onec_posted, false);
  });

  await t.step("ArgentCrusade documents-example.xml (2.09): payment by date", async () => {
    const docs = await read(
      await sample("ArgentCrusade__commerceml/tests/fixtures/documents-example.xml"),
    );
    assertEquals(docs.map((d) => d.number), ["142", "235"]);
    const c = changesFromDocument(docs[0], []);
    assertEquals([c.paid, c.paid_at, c.onec_status_id, c.onec_number], [
      true,
      "2015-06-29T15:39:10",
      "P",
      "ТДЦУ-000001",
    ]);
    assertEquals(docs[0].buyer?.id, "4a65ecb6-8b1b-11df-be16-e0cb4ed5f70f");
  });

  await t.step("from.xml and Bitrix query answers read as documents too", async () => {
    const from = await read(await sample("carono__yii2-1c-exchange/files/xml/from.xml"));
    assertEquals(from.map((d) => d.number), ["36"]);
    const full = await read(
      await sample("dobromyslov__commerceml-parser/data/bitrix-query-response-full.xml"),
    );
    assertEquals(full.map((d) => [d.number, d.lineCount]), [["132", 1], ["133", 7]]);
    assertEquals(
      await read(
        await sample("dobromyslov__commerceml-parser/data/bitrix-query-response-empty.xml"),
      ),
      [],
    );
  });
});

Deno.test("order documents: payments and shipments of a 3.x Контейнер", async () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_3" ВерсияСхемы="3.1">
  <Контейнер>
    <Документ><Ид>7</Ид><Номер>7</Номер><ХозОперация>Заказ товара</ХозОперация></Документ>
    <Документ><Номер>ПКО-1</Номер><Дата>2024-03-01</Дата><Время>10:05:00</Время>
      <ХозОперация>Выплата наличных денег</ХозОперация><Основание>7</Основание></Документ>
    <Документ><Номер>РТУ-9</Номер><Дата>2024-03-02</Дата><Время>9:00:00</Время>
      <ХозОперация>Отпуск товара</ХозОперация><ПометкаУдаления>false</ПометкаУдаления></Документ>
  </Контейнер>
</КоммерческаяИнформация>`;
  const docs = await read(new TextEncoder().encode(xml), 50);
  assertEquals(docs.map((d) => d.container), [0, 0, 0]);
  assertEquals(changesFromDocument(docs[0], docs.slice(1)), {
    paid: true,
    paid_at: "2024-03-01T10:05:00",
    payment_number: "ПКО-1",
    shipped: true,
    shipped_at: "2024-03-02T09:00:00",
    shipment_number: "РТУ-9",
  });
});

Deno.test("order documents: broken input fails with the place", async () => {
  const enc = new TextEncoder();
  const truncated = enc.encode(
    `<?xml version="1.0"?><КоммерческаяИнформация><Документ><Номер>1</Номер>`,
  );
  const e = await assertRejects(() => read(truncated), CmlError);
  assertEquals(/unexpected end of file/.test(e.message), true, e.message);
  await assertRejects(
    () => read(enc.encode(`<!DOCTYPE x [<!ENTITY a "b">]><КоммерческаяИнформация/>`)),
    CmlError,
    "DOCTYPE",
  );
  await assertRejects(() => read(enc.encode(`<Каталог/>`)), CmlError, "not a CommerceML");
});
