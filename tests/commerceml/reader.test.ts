import { assert, assertEquals, assertInstanceOf, assertRejects, assertThrows } from "@std/assert";
import {
  CommerceMLReader,
  parseCmlNumber,
  readCommerceML,
  type ReaderOptions,
} from "../../src/commerceml/reader.ts";
import {
  CmlError,
  type CmlRecord,
  type GroupRecord,
  type OfferRecord,
  type ProductRecord,
} from "../../src/commerceml/records.ts";

const encoder = new TextEncoder();

async function* chunked(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.byteLength; i += size) yield bytes.slice(i, i + size);
}

async function parse(xml: string, opts?: ReaderOptions, chunkSize = 65536): Promise<CmlRecord[]> {
  const out: CmlRecord[] = [];
  for await (const batch of readCommerceML(chunked(encoder.encode(xml), chunkSize), opts)) {
    assert(batch.length > 0, "empty batches are not yielded");
    out.push(...batch);
  }
  return out;
}

function parseError(xml: string, opts?: ReaderOptions, chunkSize?: number): Promise<CmlError> {
  return assertRejects(() => parse(xml, opts, chunkSize), CmlError);
}

const ofType = <T extends CmlRecord["type"]>(records: CmlRecord[], type: T) =>
  records.filter((r): r is Extract<CmlRecord, { type: T }> => r.type === type);

const doc = (body: string, attrs = ' ВерсияСхемы="2.08"') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация${attrs}>\n${body}\n</КоммерческаяИнформация>\n`;

// ---- Classifier ------------------------------------------------------------------------------

const CLASSIFIER = doc(`<Классификатор>
  <Ид>cls</Ид><Наименование>Классификатор</Наименование>
  <Владелец><Ид>o</Ид><Наименование>ООО Ромашка</Наименование></Владелец>
  <Группы>
    <Группа>
      <Ид>g1</Ид><Наименование>Мебель</Наименование>
      <Группы>
        <Группа><Ид>g1.1</Ид><Наименование>Столы</Наименование>
          <Группы><Группа><Ид>g1.1.1</Ид><Наименование>Обеденные</Наименование></Группа></Группы>
        </Группа>
        <Группа><Ид> g1.2 </Ид><Наименование>Стулья</Наименование><ПометкаУдаления>true</ПометкаУдаления></Группа>
      </Группы>
    </Группа>
    <Группа><Ид>g2</Ид><Наименование>Свет</Наименование></Группа>
  </Группы>
  <Свойства>
    <Свойство>
      <Ид>p1</Ид><Наименование>Цвет</Наименование><ТипЗначений>Справочник</ТипЗначений>
      <ВариантыЗначений>
        <Справочник><ИдЗначения>v1</ИдЗначения><Значение>Красный</Значение></Справочник>
        <Справочник><ИдЗначения>v2</ИдЗначения><Значение>Синий</Значение></Справочник>
      </ВариантыЗначений>
      <ЭтоФильтр>true</ЭтоФильтр>
    </Свойство>
    <Свойство><Ид>p2</Ид><Наименование>Размер</Наименование><ДляПредложений>true</ДляПредложений>
      <ВариантыЗначений><Значение>S</Значение><Значение>M</Значение></ВариантыЗначений>
      <ПометкаУдаления>false</ПометкаУдаления>
    </Свойство>
    <СвойствоНоменклатуры><Ид>p3</Ид><Наименование>Вес</Наименование><Обязательное>false</Обязательное></СвойствоНоменклатуры>
  </Свойства>
  <ТипыЦен>
    <ТипЦены><Ид>pt1</Ид><Наименование>Розничная</Наименование><Валюта>руб</Валюта>
      <Налог><Наименование>НДС</Наименование><УчтеноВСумме>true</УчтеноВСумме></Налог></ТипЦены>
  </ТипыЦен>
  <Склады><Склад><Ид>w1</Ид><Наименование>Основной</Наименование><Комментарий/></Склад></Склады>
  <ЕдиницыИзмерения>
    <ЕдиницаИзмерения><Ид>796 </Ид><НомерВерсии>1</НомерВерсии><ПометкаУдаления>false</ПометкаУдаления>
      <НаименованиеКраткое>шт</НаименованиеКраткое><Код>796 </Код><НаименованиеПолное>Штука</НаименованиеПолное>
      <МеждународноеСокращение>PCE</МеждународноеСокращение></ЕдиницаИзмерения>
    <ЕдиницаИзмерения><Ид>166</Ид><НаименованиеКраткое>кг</НаименованиеКраткое></ЕдиницаИзмерения>
  </ЕдиницыИзмерения>
</Классификатор>`);

Deno.test("classifier: groups, properties, price types, warehouses, units", async () => {
  const records = await parse(CLASSIFIER);
  assertEquals(records[0], {
    type: "header",
    schemaVersion: "2.08",
    section: "classifier",
    changesOnly: null,
  });
  assertEquals(ofType(records, "group"), [
    { type: "group", id: "g1", parentId: null, name: "Мебель", position: 0, deleted: false },
    { type: "group", id: "g1.1", parentId: "g1", name: "Столы", position: 0, deleted: false },
    {
      type: "group",
      id: "g1.1.1",
      parentId: "g1.1",
      name: "Обеденные",
      position: 0,
      deleted: false,
    },
    { type: "group", id: "g1.2", parentId: "g1", name: "Стулья", position: 1, deleted: true },
    { type: "group", id: "g2", parentId: null, name: "Свет", position: 1, deleted: false },
  ]);
  assertEquals(ofType(records, "property"), [
    {
      type: "property",
      id: "p1",
      name: "Цвет",
      valueType: "Справочник",
      values: { v1: "Красный", v2: "Синий" },
      forOffers: false,
      deleted: false,
    },
    {
      type: "property",
      id: "p2",
      name: "Размер",
      valueType: null,
      values: { S: "S", M: "M" },
      forOffers: true,
      deleted: false,
    },
    {
      type: "property",
      id: "p3",
      name: "Вес",
      valueType: null,
      values: {},
      forOffers: false,
      deleted: false,
    },
  ]);
  assertEquals(ofType(records, "priceType"), [
    { type: "priceType", id: "pt1", name: "Розничная", currency: "руб" },
  ]);
  assertEquals(ofType(records, "warehouse"), [{ type: "warehouse", id: "w1", name: "Основной" }]);
  assertEquals(ofType(records, "unit"), [
    { type: "unit", code: "796", name: "шт", fullName: "Штука", international: "PCE" },
    { type: "unit", code: "166", name: "кг", fullName: null, international: null },
  ]);
});

Deno.test("groups: a parent is emitted before its children even when its Ид comes last", async () => {
  const records = await parse(doc(`<Классификатор><Группы>
    <Группа>
      <Группы>
        <Группа><Ид>child</Ид><Наименование>Ребёнок</Наименование>
          <Группы><Группа><Ид>grandchild</Ид><Наименование>Внук</Наименование></Группа></Группы>
        </Группа>
        <Группа><Наименование>Второй</Наименование><Ид>child2</Ид></Группа>
      </Группы>
      <Наименование>Родитель</Наименование>
      <Ид>parent</Ид>
    </Группа>
  </Группы></Классификатор>`));
  const groups = ofType(records, "group");
  assertEquals(groups.map((g: GroupRecord) => [g.id, g.parentId, g.position]), [
    ["parent", null, 0],
    ["child", "parent", 0],
    ["grandchild", "child", 0],
    ["child2", "parent", 1],
  ]);
});

Deno.test("group without Ид is an error", async () => {
  const err = await parseError(doc(`<Классификатор><Группы><Группа><Наименование>x</Наименование>
  </Группа></Группы></Классификатор>`));
  assert(err.message.includes("Группа without Ид"), err.message);
});

// ---- Catalog ---------------------------------------------------------------------------------

const CATALOG = doc(
  `<Каталог СодержитТолькоИзменения="false">
  <Ид>cat</Ид><ИдКлассификатора>cls</ИдКлассификатора><Наименование>Каталог</Наименование>
  <Товары>
    <Товар>
      <Ид>prod-1</Ид>
      <НомерВерсии>AAAAAQ==</НомерВерсии>
      <ПометкаУдаления>false</ПометкаУдаления>
      <Штрихкод> 4600000000017 </Штрихкод>
      <Артикул>A-1</Артикул>
      <Наименование>Стол &quot;Прага&quot; &amp; стул</Наименование>
      <БазоваяЕдиница Код="796" НаименованиеПолное="Штука" МеждународноеСокращение="PCE">шт
        <Пересчет><Единица>796</Единица><Коэффициент>1</Коэффициент></Пересчет>
      </БазоваяЕдиница>
      <Группы><Ид>g1</Ид><Ид>g2</Ид></Группы>
      <Описание><![CDATA[<p>Стол</p>]]> и стул
  </Описание>
      <Картинка>import_files/ab/1.jpg</Картинка>
      <Картинка/>
      <Картинка>import_files/ab/2.jpg</Картинка>
      <Изготовитель><Ид>m1</Ид><Наименование>Фабрика</Наименование></Изготовитель>
      <Страна>Россия</Страна>
      <Вес>1.5</Вес>
      <БитриксТеги><Тег><Значение>x</Значение></Тег></БитриксТеги>
      <ЗначенияСвойств>
        <ЗначенияСвойства><Ид>p1</Ид><Значение>v1</Значение><Значение>v2</Значение></ЗначенияСвойства>
        <ЗначенияСвойства><Ид>p2</Ид><Значение/></ЗначенияСвойства>
        <ЗначенияСвойства><Ид>p3</Ид><Значение>1,4</Значение></ЗначенияСвойства>
      </ЗначенияСвойств>
      <СтавкиНалогов>
        <СтавкаНалога><Наименование>НДС</Наименование><Ставка>20</Ставка></СтавкаНалога>
        <СтавкаНалога><Наименование>Акциз</Наименование></СтавкаНалога>
      </СтавкиНалогов>
      <ЗначенияРеквизитов>
        <ЗначениеРеквизита><Наименование>ВидНоменклатуры</Наименование><Значение>Товар</Значение></ЗначениеРеквизита>
        <ЗначениеРеквизита><Наименование>ОписаниеФайла</Наименование><Значение>a.pdf#A</Значение><Значение>b.pdf#B</Значение></ЗначениеРеквизита>
      </ЗначенияРеквизитов>
      <ХарактеристикиТовара>
        <ХарактеристикаТовара><Ид>c1</Ид><Наименование>Цвет</Наименование><Значение>Белый</Значение></ХарактеристикаТовара>
      </ХарактеристикиТовара>
    </Товар>
    <Товар Статус="Удален"><Ид>prod-2</Ид><Наименование>Старый</Наименование></Товар>
    <Товар><Ид>prod-3</Ид><Наименование>Тоже старый</Наименование><Статус>Удален</Статус><ШтрихКод>123</ШтрихКод></Товар>
    <Товар><Ид>prod-4</Ид><ПометкаУдаления>true</ПометкаУдаления><Наименование>3.x</Наименование><БазоваяЕдиница>796 </БазоваяЕдиница></Товар>
    <Товар><Ид>prod-5</Ид><Наименование>УТ 11</Наименование>
      <БазоваяЕдиница Код="796 " НаименованиеПолное="Штука"><Пересчет><Единица>796</Единица></Пересчет></БазоваяЕдиница></Товар>
  </Товары>
</Каталог>`,
);

Deno.test("catalog: every product field", async () => {
  const records = await parse(CATALOG);
  assertEquals(records[0], {
    type: "header",
    schemaVersion: "2.08",
    section: "catalog",
    changesOnly: false,
  });
  const products = ofType(records, "product");
  assertEquals(products.length, 5);
  assertEquals(
    products[0],
    {
      type: "product",
      id: "prod-1",
      sku: "A-1",
      barcode: "4600000000017",
      name: 'Стол "Прага" & стул',
      description: "<p>Стол</p> и стул",
      groupIds: ["g1", "g2"],
      manufacturer: "Фабрика",
      images: ["import_files/ab/1.jpg", "import_files/ab/2.jpg"],
      propertyValues: [
        { id: "p1", values: ["v1", "v2"] },
        { id: "p2", values: [] },
        { id: "p3", values: ["1,4"] },
      ],
      requisites: { "ВидНоменклатуры": "Товар", "ОписаниеФайла": "a.pdf#A\nb.pdf#B" },
      taxRates: [{ name: "НДС", rate: "20" }, { name: "Акциз", rate: "" }],
      characteristics: { "Цвет": "Белый" },
      baseUnit: "шт",
      version: "AAAAAQ==",
      deleted: false,
    } satisfies ProductRecord,
  );
  assertEquals(products.map((p) => [p.id, p.deleted]), [
    ["prod-1", false],
    ["prod-2", true],
    ["prod-3", true],
    ["prod-4", true],
    ["prod-5", false],
  ]);
  assertEquals(products[2].barcode, "123");
  assertEquals(products[3].baseUnit, "796");
  assertEquals(products[4].baseUnit, "796", "Код attribute when there is no text");
  assertEquals(products[1].groupIds, []);
});

Deno.test("the same records whatever the chunking (1, 7, 100 bytes, whole)", async () => {
  const whole = await parse(CATALOG + "");
  for (const size of [1, 7, 100]) assertEquals(await parse(CATALOG, undefined, size), whole);
  const classifier = await parse(CLASSIFIER);
  assertEquals(await parse(CLASSIFIER, undefined, 3), classifier);
});

Deno.test("CRLF line endings and a UTF-8 BOM", async () => {
  const xml = "\uFEFF" + CATALOG.replaceAll("\n", "\r\n");
  const records = await parse(xml);
  const product = ofType(records, "product")[0];
  assertEquals(product.description, "<p>Стол</p> и стул");
  assertEquals(product.baseUnit, "шт");
  assertEquals(ofType(records, "product").length, 5);
});

Deno.test("namespaces are ignored: default namespace and prefixed elements", async () => {
  const body = `<Каталог СодержитТолькоИзменения="true"><Товары><Товар><Ид>x</Ид>
    <Наименование>Имя</Наименование></Товар></Товары></Каталог>`;
  for (
    const ns of ["urn:1C.ru:commerceml_2", "urn:1C.ru:commerceml_210", "urn:1C.ru:commerceml_3"]
  ) {
    const records = await parse(
      doc(body, ` xmlns="${ns}" xmlns:xs="http://www.w3.org/2001/XMLSchema" ВерсияСхемы="3.1"`),
    );
    assertEquals(ofType(records, "product").map((p) => p.name), ["Имя"]);
  }
  const prefixed = `<?xml version="1.0"?>
<cml:КоммерческаяИнформация xmlns:cml="urn:1C.ru:commerceml_3" ВерсияСхемы="3.1">
  <cml:Каталог><cml:Товары><cml:Товар><cml:Ид>y</cml:Ид><cml:Наименование>Пре</cml:Наименование>
  </cml:Товар></cml:Товары></cml:Каталог>
</cml:КоммерческаяИнформация>`;
  const records = await parse(prefixed);
  assertEquals(records[0], {
    type: "header",
    schemaVersion: "3.1",
    section: "catalog",
    changesOnly: null,
  });
  assertEquals(ofType(records, "product").map((p) => [p.id, p.name]), [["y", "Пре"]]);
});

// ---- Offers ----------------------------------------------------------------------------------

const OFFERS = doc(`<ПакетПредложений СодержитТолькоИзменения="1">
  <Ид>cat#</Ид><Наименование>Пакет</Наименование>
  <ТипыЦен><ТипЦены><Ид>Отпускная цена</Ид><Наименование>Отпускная цена</Наименование><Валюта>RUB</Валюта></ТипЦены></ТипыЦен>
  <Склады><Склад><Ид>w1</Ид><Наименование>Москва</Наименование>
    <Адрес><Представление>Москва</Представление><АдресноеПоле><Тип>Город</Тип><Значение>Москва</Значение></АдресноеПоле></Адрес>
  </Склад></Склады>
  <Предложения>
    <Предложение>
      <Ид>prod-1#char-1</Ид><Штрихкод>46</Штрихкод><Артикул>A</Артикул><Наименование>Стол (белый)</Наименование>
      <БазоваяЕдиница Код="796">шт</БазоваяЕдиница>
      <ХарактеристикиТовара><ХарактеристикаТовара><Наименование>Цвет</Наименование><Значение>Белый</Значение></ХарактеристикаТовара></ХарактеристикиТовара>
      <ЗначенияСвойств><ЗначенияСвойства><Ид>p2</Ид><Значение>M</Значение></ЗначенияСвойства></ЗначенияСвойств>
      <Цены>
        <Цена><Представление>1 234,50 руб. за шт</Представление><ИдТипаЦены>Отпускная цена</ИдТипаЦены>
          <ЦенаЗаЕдиницу>1&#160;234,50</ЦенаЗаЕдиницу><Валюта>RUB</Валюта><Единица>шт</Единица><Коэффициент>1</Коэффициент></Цена>
        <Цена><ИдТипаЦены>opt</ИдТипаЦены><ЦенаЗаЕдиницу> 296.4 </ЦенаЗаЕдиницу><Налог><Наименование>НДС</Наименование></Налог></Цена>
        <Цена><Представление>Уточните у менеджера</Представление><ИдТипаЦены>ask</ИдТипаЦены><ЦенаЗаЕдиницу/></Цена>
      </Цены>
      <Количество>30,5</Количество>
      <Склад ИдСклада="w1" КоличествоНаСкладе="10"/>
      <Склад ИдСклада="w2" КоличествоНаСкладе="20.5"/>
    </Предложение>
    <Предложение>
      <Ид>prod-2</Ид><НомерВерсии>1</НомерВерсии><ПометкаУдаления>true</ПометкаУдаления>
      <Цены/>
      <Остатки>
        <Остаток><Склад><Ид>w1</Ид><Количество>5</Количество></Склад></Остаток>
        <Остаток><Склад><Ид>w2</Ид><Количество>0</Количество></Склад></Остаток>
        <Остаток><Количество>5</Количество></Остаток>
      </Остатки>
    </Предложение>
    <Предложение><Ид>prod-3</Ид><Статус>Удален</Статус></Предложение>
    <Предложение><Ид>prod-4</Ид><Остатки><Остаток><Количество>7</Количество></Остаток></Остатки></Предложение>
  </Предложения>
</ПакетПредложений>`);

Deno.test("offers: prices, both stock forms, quantities, deletion", async () => {
  const records = await parse(OFFERS);
  assertEquals(records[0], {
    type: "header",
    schemaVersion: "2.08",
    section: "offers",
    changesOnly: true,
  });
  assertEquals(ofType(records, "priceType"), [
    { type: "priceType", id: "Отпускная цена", name: "Отпускная цена", currency: "RUB" },
  ]);
  assertEquals(ofType(records, "warehouse"), [{ type: "warehouse", id: "w1", name: "Москва" }]);
  const offers = ofType(records, "offer");
  assertEquals(
    offers[0],
    {
      type: "offer",
      id: "prod-1#char-1",
      productId: "prod-1",
      name: "Стол (белый)",
      sku: "A",
      barcode: "46",
      characteristics: { "Цвет": "Белый" },
      propertyValues: [{ id: "p2", values: ["M"] }],
      prices: [
        { priceTypeId: "Отпускная цена", value: 1234.5, currency: "RUB", unit: "шт" },
        { priceTypeId: "opt", value: 296.4, currency: null, unit: null },
      ],
      stocks: [{ warehouseId: "w1", quantity: 10 }, { warehouseId: "w2", quantity: 20.5 }],
      quantity: 30.5,
      deleted: false,
    } satisfies OfferRecord,
  );
  assertEquals(offers[1], {
    type: "offer",
    id: "prod-2",
    productId: "prod-2",
    name: null,
    sku: null,
    barcode: null,
    characteristics: {},
    propertyValues: [],
    prices: [],
    stocks: [{ warehouseId: "w1", quantity: 5 }, { warehouseId: "w2", quantity: 0 }],
    quantity: 5,
    deleted: true,
  });
  assertEquals([offers[2].deleted, offers[2].prices, offers[2].stocks, offers[2].quantity], [
    true,
    null,
    null,
    null,
  ]);
  assertEquals([offers[3].stocks, offers[3].quantity], [[], 7]);
});

Deno.test("ИзмененияПакетаПредложений is read like ПакетПредложений", async () => {
  const records = await parse(doc(`<ИзмененияПакетаПредложений СодержитТолькоИзменения="true">
    <Предложения><Предложение><Ид>a#b</Ид><Цены><Цена><ИдТипаЦены>t</ИдТипаЦены>
    <ЦенаЗаЕдиницу>10</ЦенаЗаЕдиницу></Цена></Цены></Предложение></Предложения>
  </ИзмененияПакетаПредложений>`));
  assertEquals(records[0].type === "header" && records[0].section, "offers");
  const [offer] = ofType(records, "offer");
  assertEquals([offer.productId, offer.prices], ["a", [
    { priceTypeId: "t", value: 10, currency: null, unit: null },
  ]]);
});

Deno.test("an unparsable price names the offer, the value, line and column", async () => {
  const xml = doc(`<ПакетПредложений><Предложения>
<Предложение><Ид>bad-offer</Ид><Цены><Цена><ИдТипаЦены>t</ИдТипаЦены>
<ЦенаЗаЕдиницу>12,3,4</ЦенаЗаЕдиницу></Цена></Цены></Предложение>
</Предложения></ПакетПредложений>`);
  const err = await parseError(xml);
  assert(err.message.includes("bad-offer"), err.message);
  assert(err.message.includes('"12,3,4"'), err.message);
  assertEquals(err.line, 5);
  assert(err.message.startsWith("line 5, column "), err.message);
});

Deno.test("an unparsable stock quantity is an error too", async () => {
  const err = await parseError(doc(`<ПакетПредложений><Предложения><Предложение><Ид>o1</Ид>
    <Склад ИдСклада="w" КоличествоНаСкладе="много"/></Предложение></Предложения></ПакетПредложений>`));
  assert(err.message.includes("много") && err.message.includes("o1"), err.message);
  const err2 = await parseError(doc(`<ПакетПредложений><Предложения><Предложение><Ид>o2</Ид>
    <Количество>n/a</Количество></Предложение></Предложения></ПакетПредложений>`));
  assert(err2.message.includes("n/a") && err2.message.includes("o2"), err2.message);
});

Deno.test("parseCmlNumber", () => {
  assertEquals(parseCmlNumber("296.4"), 296.4);
  assertEquals(parseCmlNumber(" 2 042,66 "), 2042.66);
  assertEquals(parseCmlNumber("1\u00a0000"), 1000);
  assertEquals(parseCmlNumber("30,5"), 30.5);
  assertEquals(parseCmlNumber("-5"), -5);
  assertEquals(parseCmlNumber("1e3"), 1000);
  assertEquals(parseCmlNumber(".5"), 0.5);
  for (const bad of ["", " ", "abc", "0x10", "Infinity", "1,2,3", "12 руб"]) {
    assertEquals(parseCmlNumber(bad), null, bad);
  }
});

// ---- Headers ---------------------------------------------------------------------------------

Deno.test("header: СодержитТолькоИзменения as a child element before the records", async () => {
  const records = await parse(doc(
    `<Каталог><Ид>c</Ид>
    <СодержитТолькоИзменения>true</СодержитТолькоИзменения>
    <Товары><Товар><Ид>1</Ид><Наименование>a</Наименование></Товар></Товары></Каталог>`,
    "",
  ));
  assertEquals(records.map((r) => r.type), ["header", "product"]);
  assertEquals(records[0], {
    type: "header",
    schemaVersion: null,
    section: "catalog",
    changesOnly: true,
  });
});

Deno.test("header: a trailing child (2.03 files) is ignored, the header stays null", async () => {
  // Announcing "full" after the records would make a consumer deactivate everything unseen.
  const records = await parse(doc(`<Каталог><Товары><Товар><Ид>1</Ид></Товар></Товары>
    <СодержитТолькоИзменения>false</СодержитТолькоИзменения></Каталог>`));
  assertEquals(records.map((r) => r.type === "header" ? `${r.section}:${r.changesOnly}` : r.type), [
    "catalog:null",
    "product",
  ]);
});

Deno.test("header: a section without records still gets its header", async () => {
  const records = await parse(doc(`<Классификатор><Ид>x</Ид></Классификатор>
    <Каталог СодержитТолькоИзменения="0"><Ид>c</Ид></Каталог>`));
  assertEquals(records, [
    { type: "header", schemaVersion: "2.08", section: "classifier", changesOnly: null },
    { type: "header", schemaVersion: "2.08", section: "catalog", changesOnly: false },
  ]);
});

Deno.test("Контрагенты and Документ: header only, content skipped (even Товары inside)", async () => {
  const records = await parse(doc(`
  <Контрагенты СодержитТолькоИзменения="true"><Контрагент><Ид>k</Ид><Наименование>ООО</Наименование>
    <Представители><Представитель><Контрагент><Ид>p</Ид></Контрагент></Представитель></Представители>
  </Контрагент></Контрагенты>
  <Документ><Ид>1</Ид><Товары><Товар><Ид>ORDER_DELIVERY</Ид><Наименование>Доставка заказа</Наименование>
    <Количество>1</Количество></Товар></Товары></Документ>
  <Контейнер>
    <Документ><Ид>2</Ид><ХозОперация>Заказ товара</ХозОперация></Документ>
    <Документ><Ид>3</Ид><ХозОперация>Отпуск товара</ХозОперация></Документ>
  </Контейнер>`));
  assertEquals(records.map((r) => r.type === "header" ? `${r.section}:${r.changesOnly}` : r.type), [
    "counterparties:true",
    "document:null",
    "document:null",
    "document:null",
  ]);
});

// ---- Security and malformed input ------------------------------------------------------------

Deno.test("DOCTYPE is rejected (external entities, billion laughs)", async () => {
  const external = `<?xml version="1.0"?>
<!DOCTYPE КоммерческаяИнформация SYSTEM "file:///etc/passwd">
<КоммерческаяИнформация/>`;
  const err = await parseError(external);
  assert(err.message.includes("DOCTYPE is not allowed in CommerceML"), err.message);
  assertEquals(err.line, 2);

  const laughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<КоммерческаяИнформация><Каталог><Товары><Товар><Ид>&lol2;</Ид></Товар></Товары></Каталог></КоммерческаяИнформация>`;
  const err2 = await parseError(laughs);
  assert(err2.message.includes("DOCTYPE is not allowed"), err2.message);
});

Deno.test("entities: only the five XML ones and character references", async () => {
  const records = await parse(doc(`<Каталог><Товары><Товар><Ид>&#49;&#x32;</Ид>
    <Наименование>&lt;&gt;&amp;&apos;&quot;</Наименование></Товар></Товары></Каталог>`));
  assertEquals(ofType(records, "product").map((p) => [p.id, p.name]), [["12", `<>&'"`]]);
  const err = await parseError(
    doc(`<Каталог><Товары><Товар><Ид>&nbsp;</Ид></Товар></Товары></Каталог>`),
  );
  assert(err.message.includes("undefined entity"), err.message);
});

Deno.test("nesting deeper than maxDepth is rejected", async () => {
  const deep = doc("<a>".repeat(100) + "</a>".repeat(100));
  const err = await parseError(deep);
  assert(err.message.includes("nested deeper than 64"), err.message);
  // A custom limit applies; real files stay well under it.
  await parseError(doc("<a><b><c><d></d></c></b></a>"), { maxDepth: 4 });
  await parse(doc("<a><b><c></c></b></a>"), { maxDepth: 4 });
});

Deno.test("text longer than maxTextLength is rejected, also when split over chunks", async () => {
  const long = "x".repeat(5000);
  const opts = { maxTextLength: 1000 };
  const captured = doc(
    `<Каталог><Товары><Товар><Ид>1</Ид><Описание>${long}</Описание></Товар></Товары></Каталог>`,
  );
  for (const size of [65536, 100]) {
    const err = await parseError(captured, opts, size);
    assert(err.message.includes("text longer than 1000"), err.message);
  }
  // Not captured (unknown element), spanning many chunks: saxes' own buffer is checked.
  const skipped = doc(`<Неизвестно>${long}</Неизвестно>`);
  await parseError(skipped, opts, 100);
  // Long attribute values and comments are bounded the same way.
  await parseError(doc(`<Неизвестно a="${long}"/>`), opts, 100);
  await parseError(doc(`<!--${long}-->`), opts, 100);
  // Under the limit: fine.
  await parse(captured, { maxTextLength: 10000 }, 100);
});

Deno.test("malformed XML: message with line and column", async () => {
  const xml = doc(`<Каталог>
<Товары>
<Товар>
<Ид>1</Ид>
</Товары>
</Каталог>`);
  const err = await parseError(xml);
  assertEquals(err.line, 7);
  assert(/^line 7, column \d+: unclosed tag Товар$/.test(err.message), err.message);

  const bad = await parseError(doc(`<Каталог>\n<Ид>a</Ид><1bad/></Каталог>`));
  assertEquals([bad.line, bad.column], [4, 12]);
  assertEquals(bad.message, "line 4, column 12: disallowed character in tag name");
});

Deno.test("truncated file: unexpected end of file naming the open element", async () => {
  const full = doc(`<Каталог><Товары>
<Товар><Ид>1</Ид><Наименование>a</Наименование></Товар>
<Товар><Ид>2</Ид><Наименование>b</Наименование></Товар></Товары></Каталог>`);
  const cut = full.slice(
    0,
    full.indexOf("</Наименование></Товар></Товары>") + "</Наименование>".length,
  );
  const err = await parseError(cut);
  assert(err.message.endsWith("unexpected end of file (unclosed <Товар>)"), err.message);
  // Cut inside a tag.
  const err2 = await parseError(full.slice(0, full.indexOf("<Наименование>b") + 5));
  assert(err2.message.includes("unexpected end of file (unclosed <Товар>)"), err2.message);
  // Nothing at all.
  const err3 = await parseError("");
  assert(err3.message.includes("unexpected end of file"), err3.message);
});

Deno.test("a root element other than КоммерческаяИнформация is rejected", async () => {
  const err = await parseError(`<?xml version="1.0"?><html><body/></html>`);
  assert(err.message.includes("not a CommerceML document"), err.message);
});

Deno.test("CommerceMLReader: push API, and it stays failed after an error", () => {
  const reader = new CommerceMLReader();
  const first = reader.write(
    `<КоммерческаяИнформация ВерсияСхемы="3.1"><Каталог><Товары><Товар><Ид>1`,
  );
  assertEquals(first, []);
  const second = reader.write(`</Ид></Товар><Товар><Ид>2</Ид></Товар>`);
  assertEquals(second.map((r) => r.type), ["header", "product", "product"]);
  assertEquals(reader.write(`</Товары></Каталог></КоммерческаяИнформация>`), []);
  assertEquals(reader.close(), []);

  const broken = new CommerceMLReader();
  const err = assertThrows(() => broken.write(`<КоммерческаяИнформация><a></b>`), CmlError);
  assertInstanceOf(err, CmlError);
  assertThrows(() => broken.write(`</a>`), CmlError);
  assertThrows(() => broken.close(), CmlError);
});
