/**
 * The Контрагенты reader and the mapping to customer fields, on the sample corpus files that
 * carry counterparties and on hand-written edge cases. No database.
 */
import { assert, assertEquals, assertRejects } from "@std/assert";
import {
  type CounterpartyItem,
  type CounterpartyRecord,
  readCounterparties,
} from "../../src/customers/counterparty-reader.ts";
import { mapCounterparty } from "../../src/customers/counterparty-mapping.ts";
import { toE164 } from "../../src/customers/phone.ts";
import { parseWallClock, startOfDay } from "../../src/customers/zoned-time.ts";
import { nameKey, normalizeEmail } from "../../src/customers/customer-fields.ts";
import { bytesOf, fileBytes, SAMPLES } from "./helpers.ts";

async function readAll(source: AsyncIterable<Uint8Array>): Promise<CounterpartyItem[]> {
  const out: CounterpartyItem[] = [];
  for await (const items of readCounterparties(source)) out.push(...items);
  return out;
}

const records = (items: CounterpartyItem[]) =>
  items.filter((i): i is CounterpartyRecord => i.type === "counterparty");

const MAP = { timeZone: "Europe/Moscow", roleRequisite: "Ценовая группа" };

Deno.test("directory sample: every Контрагент with its requisites, contacts and representatives", async () => {
  const items = await readAll(
    fileBytes(new URL("ArgentCrusade__commerceml/tests/fixtures/contractors-example.xml", SAMPLES)),
  );
  const rs = records(items);
  assertEquals(rs.map((r) => r.id), [
    "d9510b52-e154-11db-80b9-00c09f6bedaa",
    "4141d5ec-e2a6-11db-95d9-505054503030",
    "021e0e3f-e329-11db-95d9-505054503030",
    "c5b29133-e35a-11db-95d9-505054503030",
  ]);
  const uyt = rs[2];
  assertEquals(uyt.source, "directory");
  assertEquals(uyt.fileDate, "2015-06-26T18:28:11");
  assertEquals(uyt.version, "AAAAAQAAAAk=");
  assertEquals(uyt.officialName, 'ТОО "ТД Уют"');
  assertEquals(uyt.taxId, "181620360057");
  assertEquals(uyt.kpp, null);
  assertEquals(uyt.contacts, [
    { type: "Электронная почта", value: "Uyt@komp.kz" },
    { type: "Телефон рабочий", value: "+7 (3272) 25-39-39" },
  ]);
  assertEquals(uyt.representatives, [{
    relation: "Контактное лицо",
    id: "640a2bf0-e8ac-11db-95da-505054503030",
    name: "Коновалов Александр Зиновьевич",
  }]);
  // The bank's Адрес inside РасчетныеСчета is not the counterparty's.
  assertEquals(uyt.addresses, {
    "АдресРегистрации": "005897, Города Республиканского значения: Алматы, Тохтарова, дом № 18",
  });

  const m = mapCounterparty(uyt, MAP);
  assert(m.ok);
  assertEquals(m.customer.fields, {
    email: "Uyt@komp.kz",
    phone: "+7 (3272) 25-39-39",
    firstName: null,
    lastName: null,
    companyName: 'ТОО "ТД Уют"',
    taxId: "181620360057",
    kpp: null,
    customerType: "legal_entity",
    role: null,
    contactPerson: "Коновалов Александр Зиновьевич",
    address: "005897, Города Республиканского значения: Алматы, Тохтарова, дом № 18",
  });
  assertEquals(m.customer.typeKnown, true);
  // ДатаФормирования is Moscow wall-clock time.
  assertEquals(m.customer.changedAt?.toISOString(), "2015-06-26T15:28:11.000Z");
});

Deno.test("buyers inside order documents (2.03 official sample, 2.09 УТ, 3.1 Bitrix, cp1251)", async () => {
  const official = records(
    await readAll(
      fileBytes(new URL("irpsv__commerceml/tests/assets/off-doc-1c/orders.xml", SAMPLES)),
    ),
  );
  assertEquals(official.map((r) => r.id), ["1#admin# admin"]);
  assertEquals(official[0].source, "document");
  const admin = mapCounterparty(official[0], MAP);
  assert(admin.ok);
  assertEquals(admin.customer.fields.customerType, "individual");
  assertEquals([admin.customer.fields.lastName, admin.customer.fields.firstName], [
    "Иванов",
    "admin",
  ]);
  assertEquals(admin.customer.fields.contactPerson, "admin");

  const ut = records(
    await readAll(
      fileBytes(new URL("ArgentCrusade__commerceml/tests/fixtures/documents-example.xml", SAMPLES)),
    ),
  );
  // The same buyer in both documents: listed twice, resolved once by the import.
  assertEquals(ut.map((r) => r.id), [
    "4a65ecb6-8b1b-11df-be16-e0cb4ed5f70f",
    "4a65ecb6-8b1b-11df-be16-e0cb4ed5f70f",
  ]);
  assertEquals(ut[0].addresses, { "Адрес": "Адрес" });
  assertEquals(ut[0].representatives[0].name, "Смирнов Олег Иванович");

  const bitrix = records(
    await readAll(
      fileBytes(
        new URL(
          "irpsv__commerceml/tests/assets/bitrix-module-6/documents/2/documents.xml",
          SAMPLES,
        ),
      ),
    ),
  );
  assert(bitrix.length >= 2, "3.1 Контейнер/Документ buyers are read");
  const kaspersky = bitrix.find((r) => r.representatives.length === 2)!;
  const mapped = mapCounterparty(kaspersky, MAP);
  assert(mapped.ok);
  // Bitrix's "<>" placeholder is not a contact person.
  assertEquals(mapped.customer.fields.contactPerson, "Борисов Андрей Владимирович");

  const cp1251 = records(
    await readAll(fileBytes(new URL("carono__yii2-1c-exchange/files/xml/from.xml", SAMPLES))),
  );
  assertEquals(cp1251.map((r) => [r.id, r.lastName]), [["1#admin# admin", "Иванов"]]);
  // 2.03 nests a representative's fields in Представитель/Контрагент.
  assertEquals(cp1251[0].representatives, [{
    relation: "Контактное лицо",
    id: "b342955a9185c40132d4c1df6b30af2f",
    name: "admin",
  }]);
});

Deno.test("individual vs legal entity, names, emails, phones, role, skipped counterparties", async () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация ВерсияСхемы="2.08" ДатаФормирования="2024-03-01T10:00:00">
  <Контрагенты>
    <Контрагент>
      <Ид> p-1 </Ид><Наименование>Петров Пётр</Наименование>
      <ПолноеНаименование>Петров Пётр Петрович</ПолноеНаименование>
      <Контакты>
        <Контакт><Тип>Почта</Тип><Значение> Petrov@Example.COM </Значение></Контакт>
        <Контакт><Тип>Телефон рабочий</Тип><Значение>8 (495) 111-22-33</Значение></Контакт>
        <Контакт><Тип>Телефон мобильный</Тип><Значение>8 912 345-67-89</Значение></Контакт>
        <Контакт><Тип>Факс</Тип><Значение>8 495 000-00-00</Значение></Контакт>
      </Контакты>
      <ЗначенияРеквизитов>
        <ЗначениеРеквизита><Наименование>Ценовая группа</Наименование><Значение>Опт</Значение></ЗначениеРеквизита>
      </ЗначенияРеквизитов>
    </Контрагент>
    <Контрагент><Ид>o-1</Ид><Наименование>Ромашка</Наименование><ИНН>7707083893</ИНН></Контрагент>
    <Контрагент><Ид>o-2</Ид><Наименование>Ромашка</Наименование>
      <ОфициальноеНаименование>ООО «Ромашка»</ОфициальноеНаименование><КПП>773601001</КПП>
      <Руководитель><Наименование>Not the company</Наименование></Руководитель>
    </Контрагент>
    <Контрагент><Наименование>без Ид</Наименование></Контрагент>
    <Контрагент><Ид>d-1</Ид><ПометкаУдаления>true</ПометкаУдаления><Наименование>x</Наименование></Контрагент>
    <Контрагент><Ид>s-1</Ид><Наименование>Поставщик</Наименование><Роль>Поставщик</Роль></Контрагент>
  </Контрагенты>
</КоммерческаяИнформация>`;
  const items = await readAll(bytesOf(xml, 7));
  assertEquals(items.filter((i) => i.type === "skip").map((i) => i.type === "skip" && i.reason), [
    "Контрагент without Ид",
  ]);
  const [petrov, inn10, official, deleted, supplier] = records(items).map((r) =>
    mapCounterparty(r, MAP)
  );
  assert(petrov.ok && inn10.ok && official.ok);
  assertEquals(petrov.customer.onecId, "p-1");
  assertEquals(petrov.customer.fields.customerType, "individual");
  assertEquals(petrov.customer.typeKnown, false);
  assertEquals([petrov.customer.fields.lastName, petrov.customer.fields.firstName], [
    "Петров",
    "Пётр",
  ]);
  assertEquals(petrov.customer.fields.email, "Petrov@Example.COM");
  assertEquals(petrov.customer.fields.phone, "8 912 345-67-89", "the mobile number first");
  assertEquals(petrov.customer.fields.role, "Опт");
  assertEquals(inn10.customer.fields.customerType, "legal_entity");
  assertEquals(inn10.customer.fields.companyName, "Ромашка");
  assertEquals(official.customer.fields.companyName, "ООО «Ромашка»");
  assertEquals(official.customer.typeKnown, true);
  assertEquals(deleted.ok, false);
  assertEquals(supplier.ok, false);
});

Deno.test("malformed input fails with a position; hostile input is refused", async () => {
  await assertRejects(
    () => readAll(bytesOf("<?xml version='1.0'?><Каталог/>")),
    Error,
    "not a CommerceML document",
  );
  await assertRejects(
    () =>
      readAll(bytesOf(
        `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><КоммерческаяИнформация/>`,
      )),
    Error,
    "DOCTYPE",
  );
  await assertRejects(
    () =>
      readAll(bytesOf(
        "<КоммерческаяИнформация><Контрагенты><Контрагент><Ид>1</Ид></Контрагенты>",
      )),
    Error,
    "line 1",
  );
  await assertRejects(
    () => readAll(bytesOf("<КоммерческаяИнформация><Контрагенты>")),
    Error,
    "unexpected end of file",
  );
});

Deno.test("phones to E.164, emails and names normalised, 1C wall-clock time", () => {
  assertEquals(toE164("8 (912) 345-67-89", "7"), "+79123456789");
  assertEquals(toE164("+7 912 345 67 89", "7"), "+79123456789");
  assertEquals(toE164("9123456789", "7"), "+79123456789");
  assertEquals(toE164("79123456789", "7"), "+79123456789");
  assertEquals(toE164("+7 (3272) 25-39-39", "7"), "+73272253939");
  assertEquals(toE164("+7 495 111-22-33 доб. 123", "7"), "+74951112233");
  assertEquals(toE164("0044 20 7946 0958", "7"), "+442079460958");
  assertEquals(toE164("029 123 45 67", "375"), "+375291234567");
  assertEquals(toE164("12-34", "7"), null);
  assertEquals(toE164("", "7"), null);
  assertEquals(normalizeEmail("  Buyer@Example.COM "), "buyer@example.com");
  assertEquals(
    nameKey({ lastName: "Иванов", firstName: "Пётр", companyName: null }),
    nameKey({ lastName: "петр", firstName: "ИВАНОВ", companyName: "x" }),
  );
  assertEquals(
    nameKey({ lastName: null, firstName: null, companyName: "ООО Ромашка" }),
    "ооо ромашка",
  );
  assertEquals(
    parseWallClock("2024-01-15T12:00:00", "Europe/Moscow")?.toISOString(),
    "2024-01-15T09:00:00.000Z",
  );
  assertEquals(
    parseWallClock("2024-07-01 00:30:00", "Europe/Berlin")?.toISOString(),
    "2024-06-30T22:30:00.000Z",
  );
  assertEquals(
    parseWallClock("2024-01-15T12:00:00Z", "Europe/Moscow")?.toISOString(),
    "2024-01-15T12:00:00.000Z",
  );
  assertEquals(parseWallClock("2024-01-15", "UTC")?.toISOString(), "2024-01-15T00:00:00.000Z");
  assertEquals(parseWallClock("yesterday", "UTC"), null);
  assertEquals(
    startOfDay(new Date("2024-01-15T22:30:00Z"), "Europe/Moscow").toISOString(),
    "2024-01-15T21:00:00.000Z",
  );
});
