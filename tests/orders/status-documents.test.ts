/**
 * 1C → site: the real status documents of the sample corpus sent through `type=sale`
 * `mode=file` (old protocol: imported at once) and `mode=file` + `mode=import` (new protocol),
 * applied to our orders: numbers and dates by 1C, posted, paid, shipped, cancelled.
 * Idempotent (a re-sent document changes nothing and does not send the order back to 1C),
 * unknown orders reported, broken files refused whole.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { BlobWriter, Uint8ArrayReader, ZipWriter } from "@zip.js/zip.js";
import { sql } from "kysely";
import { createHarness, type Harness } from "../helpers/harness.ts";
import {
  api,
  createOrderWithId,
  getOrder,
  query,
  READER,
  readSample,
  saleClient,
  seedCatalog,
  success,
} from "./helpers.ts";

const TO_XML = "carono__yii2-1c-exchange/files/xml/to.xml";
const DICR = "dicrtarasov__yii2-exchange1c/doc/orders.xml";
const OFF_DOC = "irpsv__commerceml/tests/assets/off-doc-1c/orders.xml";
const BITRIX3 = "irpsv__commerceml/tests/assets/bitrix-module-6/documents/2/documents.xml";
const ARGENT = "ArgentCrusade__commerceml/tests/fixtures/documents-example.xml";

/** Old protocol: init without version, the file is imported by mode=file itself. */
async function sendOld(h: Harness, name: string, bytes: Uint8Array, partSize?: number) {
  const c = await saleClient(h);
  const answers = await c.upload(name, bytes, partSize ?? bytes.length);
  return answers.map((a) => a.lines);
}

/** New protocol: init with version, file stores, import processes. */
async function sendNew(h: Harness, name: string, bytes: Uint8Array, importName = name) {
  const c = await saleClient(h, { version: "3.1" });
  for (const a of await c.upload(name, bytes, 4000)) {
    assertEquals(a.lines[0], "success");
  }
  return { client: c, answer: (await c.call({ mode: "import", filename: importName })).lines };
}

async function allConfirmed(h: Harness) {
  const c = await saleClient(h);
  await query(c);
  await success(c);
}

Deno.test("status documents from 1C", async (t) => {
  const h = await createHarness("orders_status", { workers: false });
  try {
    await seedCatalog(h);
    for (const id of [20, 92, 93, 142, 235, 319, 479, 480, 481, 13838]) {
      await createOrderWithId(h, id);
    }
    // 1C has every order: what it sends back must not make them pending again.
    await allConfirmed(h);
    const versions = async () =>
      (await sql<{ v: string }>`SELECT string_agg(id || ':' || version, ',' ORDER BY id) AS v
        FROM orders`.execute(h.ctx.db)).rows[0].v;
    const before = await versions();

    await t.step("to.xml (windows-1251): paid, delivery allowed, final → shipped", async () => {
      const [answer] = await sendOld(h, "to.xml", await readSample(TO_XML));
      assertEquals(answer, [
        "success",
        "to.xml: 1 document(s): 1 order(s) updated, 0 unchanged",
      ]);
      const o = await getOrder(h, "20");
      assertEquals(o.status, "shipped");
      assertEquals([o.paid, o.paidAt, o.deliveryAllowed, o.shipped, o.cancelled], [
        true,
        "2007-10-16T15:44:47",
        true,
        true,
        false,
      ]);
      assertEquals(o.onecStatus, "[F] Доставлен");
      assertEquals(o.customerOnecId, "1#admin#Петров Петр");
    });

    await t.step("dicrtarasov orders.xml (2.08): Номер/Дата по 1С, paid, shipped", async () => {
      const [answer] = await sendOld(h, "orders-24c82d03.xml", await readSample(DICR));
      assertEquals(answer[0], "success");
      const o = await getOrder(h, "13838");
      assertEquals([o.onecNumber, o.onecDate, o.posted], [
        "СА-013838",
        "2021-02-17T22:51:37",
        true,
      ]);
      assertEquals([o.paid, o.paidAt, o.shipped, o.shippedAt], [
        true,
        "2021-02-18T09:49:02",
        true,
        "2021-02-18T09:49:02",
      ]);
      assertEquals([o.status, o.onecStatus], ["shipped", "Отправлен"]);
    });

    await t.step("off-doc orders.xml: accepted orders; the unknown one is reported", async () => {
      const [answer] = await sendOld(h, "orders.xml", await readSample(OFF_DOC));
      assertEquals(answer, [
        "success",
        "orders.xml: 3 document(s): 2 order(s) updated, 0 unchanged, 1 for unknown orders (36)",
      ]);
      const o92 = await getOrder(h, "92");
      assertEquals([o92.status, o92.onecNumber, o92.onecDate, o92.posted], [
        "accepted",
        "MM92",
        "2015-08-12",
        true,
      ]);
      assertEquals((await getOrder(h, "93")).onecNumber, "MM93");
    });

    await t.step("bitrix-module-6 documents.xml (3.1 Контейнер, new protocol)", async () => {
      const { answer } = await sendNew(
        h,
        "documents/2/documents.xml",
        await readSample(BITRIX3),
        "documents.xml",
      );
      assertEquals(answer, [
        "success",
        "documents/2/documents.xml: 4 document(s): 4 order(s) updated, 0 unchanged",
      ]);
      const [o319, o479, o480, o481] = await Promise.all(
        ["319", "479", "480", "481"].map((id) => getOrder(h, id)),
      );
      assertEquals([o319.status, o319.onecNumber, o319.posted, o319.shipped], [
        "accepted",
        "L319",
        true,
        false,
      ]);
      assertEquals([o479.status, o479.shippedAt], ["shipped", "2017-08-02T18:36:44"]);
      assertEquals([o480.status, o480.posted, o480.onecNumber], ["accepted", false, "K480"]);
      assertEquals(o481.status, "shipped");
      assertEquals(o480.customerOnecId, "970#Eremeeva-Ukka055#Еремеева Юлия");
      // The buyer went through the customers' identity resolution and the order points to it.
      const buyer = await h.ctx.db.selectFrom("customers").selectAll()
        .where("onec_id", "=", "970#Eremeeva-Ukka055#Еремеева Юлия").executeTakeFirstOrThrow();
      assertEquals(buyer.created_in_1c, true);
      const row = await h.ctx.db.selectFrom("orders").select("customer_id")
        .where("id", "=", "480").executeTakeFirstOrThrow();
      assertEquals(row.customer_id, String(buyer.id));
    });

    await t.step("ArgentCrusade documents-example.xml (2.09): paid / shipped by date", async () => {
      const { answer } = await sendNew(h, "documents___1.xml", await readSample(ARGENT));
      assertMatch(answer[1], /2 order\(s\) updated/);
      const o142 = await getOrder(h, "142");
      assertEquals([o142.status, o142.paidAt, o142.shippedAt, o142.onecNumber, o142.onecDate], [
        "shipped",
        "2015-06-29T15:39:10",
        "2015-06-29T17:32:27",
        "ТДЦУ-000001",
        "2015-06-29",
      ]);
      const o235 = await getOrder(h, "235");
      assertEquals([o235.status, o235.paid, o235.paidAt, o235.shipped], [
        "paid",
        true,
        "2015-06-29T16:36:25",
        false,
      ]);
    });

    await t.step("sent again: nothing changes; orders are not sent back to 1C", async () => {
      const updatedAt = (await getOrder(h, "20")).updatedAt;
      const [again] = await sendOld(h, "to.xml", await readSample(TO_XML));
      assertEquals(again, ["success", "to.xml: 1 document(s): 0 order(s) updated, 1 unchanged"]);
      const { answer } = await sendNew(h, "documents.xml", await readSample(BITRIX3));
      assertMatch(answer[1], /0 order\(s\) updated, 4 unchanged/);
      assertEquals((await getOrder(h, "20")).updatedAt, updatedAt);
      // 1C's changes do not bump versions: 1C is not sent what it told us.
      assertEquals(await versions(), before);
      const c = await saleClient(h);
      assertEquals((await query(c)).documents.length, 0);
    });

    await t.step("mode=import twice answers from the run; no second run", async () => {
      const { client, answer } = await sendNew(h, "to.xml", await readSample(TO_XML));
      const repeat = await client.call({ mode: "import", filename: "to.xml" });
      assertEquals(repeat.lines, answer);
      const runs = await h.ctx.db.selectFrom("order_import_runs").select("id")
        .where("session_id", "=", client.cookie.split("=")[1]).execute();
      assertEquals(runs.length, 1);
    });

    await t.step("a file in parts (old protocol) is imported once whole", async () => {
      await sql`UPDATE orders SET paid = false, paid_at = NULL WHERE id = 20`.execute(h.ctx.db);
      const bytes = await readSample(TO_XML);
      const answers = await sendOld(h, "to.xml", bytes, 2000);
      assertEquals(answers.length, 3);
      assertMatch(answers[0][1], /^to\.xml: 2000 bytes received, waiting for the rest$/);
      assertMatch(answers[1][1], /waiting for the rest/);
      assertEquals(answers[2], [
        "success",
        "to.xml: 1 document(s): 1 order(s) updated, 0 unchanged",
      ]);
      assertEquals((await getOrder(h, "20")).paid, true);
    });

    await t.step("a zip archive (zip=yes) is unpacked and its documents imported", async () => {
      await sql`UPDATE orders SET onec_number = NULL WHERE id = 13838`.execute(h.ctx.db);
      const zip = new ZipWriter(new BlobWriter("application/zip"));
      await zip.add("orders-1.xml", new Uint8ArrayReader(await readSample(DICR)));
      const archive = new Uint8Array(await (await zip.close()).arrayBuffer());
      const [answer] = await sendOld(h, "v8_1A2B_1.zip", archive);
      assertEquals(answer, [
        "success",
        "orders-1.xml: 1 document(s): 1 order(s) updated, 0 unchanged",
      ]);
      assertEquals((await getOrder(h, "13838")).onecNumber, "СА-013838");
    });

    await t.step("a broken file fails whole and changes nothing", async () => {
      const bytes = await readSample(BITRIX3);
      // Cut inside the third Контейнер, then close the root so the old protocol imports it.
      const text = new TextDecoder().decode(bytes);
      const cut = text.slice(0, text.indexOf("<Номер>480</Номер>")) + "</КоммерческаяИнформация>";
      await sql`UPDATE orders SET shipped = false WHERE id = 479`.execute(h.ctx.db);
      const [answer] = await sendOld(h, "broken.xml", new TextEncoder().encode(cut));
      assertEquals(answer[0], "failure");
      assertMatch(answer[1], /^broken\.xml: line \d+, column \d+: /);
      assertEquals(
        (await getOrder(h, "479")).shipped,
        false,
        "the file's first orders were not applied",
      );
      const empty = await sendNew(h, "empty.xml", new Uint8Array(0));
      assertEquals(empty.answer, ["failure", "empty.xml: Файл для импорта пуст."]);
    });

    await t.step("a counterparty directory is not taken for orders", async () => {
      const { answer } = await sendNew(
        h,
        "contragents.xml",
        await readSample("ArgentCrusade__commerceml/tests/fixtures/contractors-example.xml"),
      );
      assertEquals(answer, [
        "success",
        "contragents.xml: 0 document(s): 0 order(s) updated, 0 unchanged " +
        "(1 Контрагенты section(s) not imported with the orders)",
      ]);
    });

    await t.step("unknown file, unsafe name", async () => {
      const c = await saleClient(h, { version: "2.10" });
      assertEquals((await c.call({ mode: "import", filename: "nope.xml" })).lines[0], "failure");
      const unsafe = await c.call({ mode: "file", filename: "../x.xml" }, {
        method: "POST",
        body: "x",
      });
      assertEquals(unsafe.lines[0], "failure");
    });

    await t.step("the runs are listed in the API", async () => {
      const res = await api(h, "GET", "/order-imports?limit=100", undefined, { token: READER });
      assertEquals(res.status, 200);
      const body = await res.json();
      const offDoc = body.items.find((r: { fileName: string }) => r.fileName === "orders.xml");
      assert(offDoc);
      assertEquals([offDoc.documents, offDoc.applied, offDoc.unknown], [3, 2, 1]);
      assertEquals(offDoc.unknownDocuments, [{ number: "36", id: "36" }]);
      assert(body.items.some((r: { status: string }) => r.status === "failed"));
    });
  } finally {
    await h.close();
  }
});
