/**
 * `type=sale` against a real Postgres, with OneCClient playing 1C: orders created through
 * the API → `query` answers a CommerceML document (parsed back here with xmldom) holding
 * the right lines and totals → `success` → the next `query` holds none; and the two-phase
 * rules: a query never followed by success, an order created or changed between query and
 * success.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { sql } from "kysely";
import { createHarness, type Harness } from "../helpers/harness.ts";
import { createApp } from "../../src/app.ts";
import { inProcess, OneCClient } from "../../src/onec/exchange-client.ts";
import {
  api,
  CATALOG,
  child,
  children,
  createOrder,
  getOrder,
  query,
  requisites,
  saleClient,
  seedCatalog,
  simpleOrder,
  success,
  textOf,
} from "./helpers.ts";

function docNumbers(q: Awaited<ReturnType<typeof query>>): string[] {
  return q.documents.map((d) => textOf(d, "Номер")!);
}

async function pendingCount(h: Harness): Promise<number> {
  const r = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM orders WHERE exported_version IS DISTINCT FROM version
  `.execute(h.ctx.db);
  return r.rows[0].n;
}

/** Confirms everything pending, so each step starts from a clean export state. */
async function drain(h: Harness) {
  const c = await saleClient(h);
  await query(c);
  await success(c);
  assertEquals(await pendingCount(h), 0);
}

Deno.test("sale exchange (type=sale)", async (t) => {
  const h = await createHarness("orders_sale", { workers: false });
  try {
    await seedCatalog(h);

    await t.step("init: two lines, four with version (sessid and the site's version)", async () => {
      const c = await saleClient(h);
      const old = await c.call({ mode: "init" });
      assertEquals(old.lines, ["zip=yes", "file_limit=1000000"]);
      const fresh = await c.call({ mode: "init", version: "2.10" });
      assertEquals(fresh.lines, [
        "zip=yes",
        "file_limit=1000000",
        `sessid=${c.sessid}`,
        "version=2.09",
      ]);
    });

    await t.step(
      "query with nothing pending: an empty root, windows-1251 as declared",
      async () => {
        const c = await saleClient(h);
        const q = await query(c);
        assertEquals(q.status, 200);
        assertEquals(q.contentType, "application/xml; charset=windows-1251");
        assertEquals(Number(q.contentLength), q.raw.length);
        assertMatch(
          q.text,
          /^<\?xml version="1\.0" encoding="windows-1251"\?>\n<КоммерческаяИнформация /,
        );
        assertEquals(q.root.localName, "КоммерческаяИнформация");
        assertEquals(q.root.getAttribute("ВерсияСхемы"), "2.05");
        assertEquals(q.documents.length, 0);
        assertEquals(await success(c), ["success", "0 order(s) confirmed"]);
      },
    );

    await t.step("orders → query holds them with the right lines and totals", async () => {
      const a = await createOrder(h, {
        customer: {
          email: "Petrov@Example.com",
          phone: "+7 (916) 000-11-22",
          firstName: "Пётр",
          lastName: "Петров",
        },
        items: [
          { offerId: CATALOG.tv, quantity: 2, price: 6394.47 },
          { offerId: CATALOG.bootsBeige, quantity: 1.5, price: 10.01 },
        ],
        currency: "руб",
        delivery: { method: "Курьер", address: "Москва, Ленина 1", price: 340 },
        paymentMethod: "Наличный расчет",
        comment: 'Позвонить за час — оплата ₽ 😀 <срочно> & "быстро"',
      });
      const b = await createOrder(h, {
        customerId: "cust-42",
        customer: { companyName: "ООО «Ромашка»", taxId: "7701234567" },
        items: [{ offerId: CATALOG.cableSame, quantity: 3, price: 99.9 }],
        currency: "RUB",
      });
      // 2 × 6394.47 + 1.5 × 10.01 (15.015 → 15.02) + 340 delivery
      assertEquals(a.itemsTotal, 12803.96);
      assertEquals(a.total, 13143.96);

      const c = await saleClient(h, { version: "2.10" });
      const q = await query(c);
      assertEquals(q.root.getAttribute("ВерсияСхемы"), "2.09");
      assertEquals(docNumbers(q), [a.number, b.number]);

      const [da, db] = q.documents;
      assertEquals(textOf(da, "Ид"), a.id);
      assertEquals(textOf(da, "ХозОперация"), "Заказ товара");
      assertEquals(textOf(da, "Роль"), "Продавец");
      assertEquals(textOf(da, "Валюта"), "руб");
      assertEquals(textOf(da, "Курс"), "1");
      assertMatch(textOf(da, "Дата")!, /^\d{4}-\d{2}-\d{2}$/);
      assertMatch(textOf(da, "Время")!, /^\d{2}:\d{2}:\d{2}$/);
      assertEquals(textOf(da, "Комментарий"), 'Позвонить за час — оплата ₽ 😀 <срочно> & "быстро"');

      const lines = children(child(da, "Товары")!, "Товар");
      assertEquals(lines.map((l) => textOf(l, "Ид")), [
        "ORDER_DELIVERY",
        CATALOG.tv,
        CATALOG.bootsBeige,
      ]);
      const sums = lines.map((l) => Number(textOf(l, "Сумма")));
      assertEquals(sums, [340, 12788.94, 15.02]);
      assertEquals(Number(textOf(da, "Сумма")), 13143.96);
      assertEquals(
        Math.round(sums.reduce((x, y) => x + y) * 100) / 100,
        Number(textOf(da, "Сумма")),
      );
      for (const l of lines) {
        const lineTotal = Number(textOf(l, "ЦенаЗаЕдиницу")) * Number(textOf(l, "Количество"));
        assert(Math.abs(lineTotal - Number(textOf(l, "Сумма"))) < 0.006);
      }
      assertEquals(requisites(lines[0]), {
        "ВидНоменклатуры": "Услуга",
        "ТипНоменклатуры": "Услуга",
      });
      assertEquals(requisites(lines[1]), {
        "ВидНоменклатуры": "Товар",
        "ТипНоменклатуры": "Товар",
      });
      assertEquals(textOf(lines[1], "Наименование"), 'Телевизор "JVC"');
      const unit = child(lines[2], "БазоваяЕдиница")!;
      assertEquals([unit.textContent, unit.getAttribute("Код")], ["пар", "715"]);
      assertEquals(textOf(lines[2], "Артикул"), "B-35-BG");

      const buyer = child(child(da, "Контрагенты")!, "Контрагент")!;
      assertEquals(textOf(buyer, "Ид"), "email:petrov@example.com");
      assertEquals(textOf(buyer, "Наименование"), "Петров Пётр");
      assertEquals(textOf(buyer, "Роль"), "Покупатель");
      assertEquals(textOf(buyer, "Фамилия"), "Петров");
      const contacts = children(child(buyer, "Контакты")!, "Контакт").map((
        k,
      ) => [textOf(k, "Тип"), textOf(k, "Значение")]);
      assertEquals(contacts, [["Электронная почта", "petrov@example.com"], [
        "Телефон рабочий",
        "+7 (916) 000-11-22",
      ]]);

      const req = requisites(da);
      assertEquals(req["Метод оплаты"], "Наличный расчет");
      assertEquals(req["Заказ оплачен"], "false");
      assertEquals(req["Доставка разрешена"], "false");
      assertEquals(req["Отменен"], "false");
      assertEquals(req["Финальный статус"], "false");
      assertEquals(req["Статус заказа"], "[N] Принят");
      assertEquals(req["Способ доставки"], "Курьер");
      assertMatch(req["Дата изменения статуса"], /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

      // A characteristic equal to its product goes as the plain product Ид (spec §6.6).
      const bLine = children(child(db, "Товары")!, "Товар");
      assertEquals(bLine.map((l) => textOf(l, "Ид")), [CATALOG.cable]);
      assertEquals(textOf(bLine[0], "БазоваяЕдиница"), "м");
      const company = child(child(db, "Контрагенты")!, "Контрагент")!;
      assertEquals(textOf(company, "Ид"), "customer:cust-42");
      assertEquals(textOf(company, "ОфициальноеНаименование"), "ООО «Ромашка»");
      assertEquals(textOf(company, "ИНН"), "7701234567");
      assertEquals(Number(textOf(db, "Сумма")), 299.7);

      // Not confirmed yet: the orders show no export.
      assertEquals((await getOrder(h, a.id)).exportedAt, null);
      const ok = await success(c);
      assertEquals(ok, ["success", "2 order(s) confirmed"]);
      const after = await getOrder(h, a.id);
      assert(after.exportedAt !== null);
      assertEquals(after.exportedVersion, 1);

      // The next query holds none.
      const next = await saleClient(h);
      assertEquals((await query(next)).documents.length, 0);
    });

    await t.step("a query never followed by success: the orders come again", async () => {
      await drain(h);
      const x = await createOrder(h);
      const y = await createOrder(h);
      const crashed = await saleClient(h);
      assertEquals(docNumbers(await query(crashed)), [x.number, y.number]);
      // 1C dies here: no success. Its next exchange (a new session) gets both again.
      const retry = await saleClient(h);
      assertEquals(docNumbers(await query(retry)), [x.number, y.number]);
      assertEquals(await success(retry), ["success", "2 order(s) confirmed"]);
      // The first session's success arriving late confirms nothing a second time.
      assertEquals(await success(crashed), [
        "success",
        "0 order(s) confirmed; 2 already confirmed by an earlier success",
      ]);
      const confirmations = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM order_export_items
        WHERE order_id IN (${x.id}::bigint, ${y.id}::bigint) AND confirmed
      `.execute(h.ctx.db);
      assertEquals(confirmations.rows[0].n, 2);
    });

    await t.step("success confirms only the session's last query", async () => {
      await drain(h);
      const x = await createOrder(h);
      const c = await saleClient(h);
      assertEquals(docNumbers(await query(c)), [x.number]);
      const y = await createOrder(h);
      // 1C asked again (e.g. after a timeout) and got both; success means the second answer.
      assertEquals(docNumbers(await query(c)), [x.number, y.number]);
      assertEquals(await success(c), ["success", "2 order(s) confirmed"]);
      assertEquals(await success(c), ["success", "already confirmed: 2 order(s)"]);
    });

    await t.step("an order created between query and success is not lost", async () => {
      await drain(h);
      const x = await createOrder(h);
      const c = await saleClient(h);
      assertEquals(docNumbers(await query(c)), [x.number]);
      const late = await createOrder(h);
      assertEquals(await success(c), ["success", "1 order(s) confirmed"]);
      assertEquals((await getOrder(h, late.id)).exportedAt, null);
      const next = await saleClient(h);
      assertEquals(docNumbers(await query(next)), [late.number]);
      await success(next);
    });

    await t.step("an order changed between query and success is sent again", async () => {
      await drain(h);
      const x = await createOrder(h);
      const c = await saleClient(h);
      assertEquals(docNumbers(await query(c)), [x.number]);
      const patched = await api(h, "PATCH", `/orders/${x.id}`, { comment: "новый адрес" });
      assertEquals(patched.status, 200);
      assertEquals((await patched.json()).version, 2);
      assertEquals(await success(c), [
        "success",
        "0 order(s) confirmed; 1 changed since the query and will be sent again",
      ]);
      const next = await saleClient(h);
      const q = await query(next);
      assertEquals(docNumbers(q), [x.number]);
      assertEquals(textOf(q.documents[0], "Комментарий"), "новый адрес");
      await success(next);
      assertEquals((await getOrder(h, x.id)).exportedVersion, 2);
    });

    await t.step("a platform change after confirmation sends the order again", async () => {
      await drain(h);
      const x = await createOrder(h);
      await drain(h);
      const res = await api(h, "PATCH", `/orders/${x.id}`, { paid: true });
      assertEquals((await res.json()).version, 2);
      const c = await saleClient(h);
      const q = await query(c);
      assertEquals(docNumbers(q), [x.number]);
      assertEquals(requisites(q.documents[0])["Заказ оплачен"], "true");
      assertEquals(requisites(q.documents[0])["Статус заказа"], "[P] Оплачен");
      await success(c);
      // The same values again change nothing: not sent again.
      const same = await api(h, "PATCH", `/orders/${x.id}`, { paid: true });
      assertEquals((await same.json()).version, 2);
      assertEquals(await pendingCount(h), 0);
    });

    await t.step("any instance answers: query on one app, success on another", async () => {
      await drain(h);
      const x = await createOrder(h);
      const other = createApp(h.ctx);
      const c = await saleClient(h);
      assertEquals(docNumbers(await query(c)), [x.number]);
      const viaOther = await other.request(`/1c_exchange.php?type=sale&mode=success`, {
        headers: { Cookie: c.cookie },
      });
      assertEquals(await viaOther.text(), "success\n1 order(s) confirmed");
    });

    await t.step("info lists the statuses; unknown modes fail; no session fails", async () => {
      const c = await saleClient(h);
      const info = await c.call({ mode: "info" });
      const text = new TextDecoder("windows-1251").decode(info.raw);
      assertStringIncludes(text, "<Cтатусы>");
      assertStringIncludes(text, "<Ид>P</Ид>");
      assertEquals((await c.call({ mode: "nonsense" })).lines[0], "failure");
      const stranger = new OneCClient(inProcess(h.app), { type: "sale" });
      assertEquals((await stranger.call({ mode: "query" })).lines[0], "failure");
      assertEquals((await c.call({ mode: "complete" })).lines[0], "success");
      assertEquals((await c.call({ mode: "query" })).lines[0], "failure");
    });

    await t.step("success without a query confirms nothing", async () => {
      const c = await saleClient(h);
      assertEquals(await success(c), [
        "success",
        "no mode=query in this session: nothing to confirm",
      ]);
    });
  } finally {
    await h.close();
  }
});

Deno.test("sale exchange: UTF-8 answers when configured", async () => {
  const h = await createHarness("orders_sale_utf8", {
    workers: false,
    env: { SALE_EXCHANGE_ENCODING: "utf-8", ORDER_NUMBER_PREFIX: "WEB-" },
  });
  try {
    await seedCatalog(h);
    const o = await createOrder(h, simpleOrder({ comment: "оплата ₽ 😀" }));
    assertEquals(o.number, `WEB-${o.id}`);
    const c = await saleClient(h);
    const q = await query(c);
    assertEquals(q.contentType, "application/xml; charset=utf-8");
    assertMatch(q.text, /^<\?xml version="1\.0" encoding="utf-8"\?>/);
    assertEquals(docNumbers(q), [o.number]);
    assertEquals(textOf(q.documents[0], "Ид"), o.id);
    // UTF-8 carries the characters themselves, no references.
    assertStringIncludes(q.text, "оплата ₽ 😀");
  } finally {
    await h.close();
  }
});
