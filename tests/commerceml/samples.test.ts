/**
 * Every real CommerceML sample in ../shared/samples/commerceml (see its SOURCES.md), parsed end
 * to end. The samples live next to the repository, never in it; without them these tests are
 * reported as ignored.
 */
import { assert, assertEquals } from "@std/assert";
import { readCommerceML } from "../../src/commerceml/reader.ts";
import type { CmlRecord, OfferRecord, ProductRecord } from "../../src/commerceml/records.ts";

const SAMPLES = new URL("../../../shared/samples/commerceml/", import.meta.url);

async function listXml(dir: URL, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) {
      out.push(...await listXml(new URL(`${entry.name}/`, dir), `${prefix}${entry.name}/`));
    } else if (entry.name.endsWith(".xml")) {
      out.push(prefix + entry.name);
    }
  }
  return out.sort();
}

let files: string[] = [];
try {
  files = await listXml(SAMPLES);
} catch (err) {
  if (!(err instanceof Deno.errors.NotFound)) throw err;
}
const haveSamples = files.length > 0;

async function read(path: string): Promise<CmlRecord[]> {
  using file = await Deno.open(new URL(path, SAMPLES));
  const records: CmlRecord[] = [];
  for await (const batch of readCommerceML(file.readable)) records.push(...batch);
  return records;
}

/** Counts that identify what a file holds; zero counts are left out. */
interface Summary {
  headers?: string;
  groups?: number;
  groupDepth?: number;
  properties?: number;
  propertyVariants?: number;
  priceTypes?: number;
  warehouses?: number;
  units?: number;
  products?: number;
  deletedProducts?: number;
  productsWithHash?: number;
  productCharacteristics?: number;
  images?: number;
  offers?: number;
  deletedOffers?: number;
  offersWithHash?: number;
  prices?: number;
  stocks?: number;
  offersWithQuantity?: number;
}

function summarize(records: CmlRecord[]): Summary {
  const s: Record<string, number> = {};
  const add = (key: keyof Summary, n = 1) => {
    if (n !== 0) s[key] = (s[key] ?? 0) + n;
  };
  const headers: string[] = [];
  const depth = new Map<string, number>();
  for (const r of records) {
    switch (r.type) {
      case "header":
        headers.push(`${r.section}:${r.changesOnly}`);
        break;
      case "group": {
        add("groups");
        // Parents come first, so the parent's depth is always known here.
        const d = r.parentId === null ? 1 : depth.get(r.parentId)! + 1;
        depth.set(r.id, d);
        s.groupDepth = Math.max(s.groupDepth ?? 0, d);
        break;
      }
      case "property":
        add("properties");
        add("propertyVariants", Object.keys(r.values).length);
        break;
      case "priceType":
        add("priceTypes");
        break;
      case "warehouse":
        add("warehouses");
        break;
      case "unit":
        add("units");
        break;
      case "product":
        add("products");
        add("deletedProducts", Number(r.deleted));
        add("productsWithHash", Number(r.id.includes("#")));
        add("productCharacteristics", Object.keys(r.characteristics).length);
        add("images", r.images.length);
        break;
      case "offer":
        add("offers");
        add("deletedOffers", Number(r.deleted));
        add("offersWithHash", Number(r.id.includes("#")));
        add("prices", r.prices?.length ?? 0);
        add("stocks", r.stocks?.length ?? 0);
        add("offersWithQuantity", Number(r.quantity !== null));
        break;
    }
  }
  return headers.length === 0 ? s : { headers: headers.join(" "), ...s };
}

// Checked against SOURCES.md (file numbers in comments). Where our count differs from its prose,
// the comment says why.
const EXPECTED: Record<string, Summary> = {
  // #29 Контрагенты, #30 two documents
  "ArgentCrusade__commerceml/tests/fixtures/contractors-example.xml": {
    headers: "counterparties:true",
  },
  "ArgentCrusade__commerceml/tests/fixtures/documents-example.xml": {
    headers: "document:null document:null",
  },
  // #31 12 groups nested up to 4 levels
  "ArgentCrusade__commerceml/tests/fixtures/group-example.xml": {
    headers: "classifier:true",
    groups: 12,
    groupDepth: 4,
  },
  "ArgentCrusade__commerceml/tests/fixtures/prices-example.xml": {
    headers: "offers:true",
    offers: 3,
    prices: 3,
  },
  "ArgentCrusade__commerceml/tests/fixtures/products-example.xml": {
    headers: "catalog:true",
    products: 1,
    images: 5,
  },
  // #39 windows-1251, one long line per section
  "Dialdev__Santechtula/upload/1c_catalog/import.xml": {
    headers: "classifier:null catalog:false",
    groups: 163,
    groupDepth: 4,
    products: 1660,
  },
  // #40: 104 offers carry <ЦенаЗаЕдиницу/> ("Уточните у менеджера"), i.e. no price.
  "Dialdev__Santechtula/upload/1c_catalog/offers.xml": {
    headers: "offers:false",
    priceTypes: 1,
    offers: 1660,
    prices: 1556,
    offersWithQuantity: 1660,
  },
  // #34 CRLF classifier, #35 12 offers × 14 warehouses
  "TurumburumStudio__ExchangeCommerceML/storage/xml/classifier.xml": {
    headers: "classifier:true catalog:true",
    groups: 2,
    groupDepth: 1,
    priceTypes: 7,
    warehouses: 14,
    units: 1,
  },
  "TurumburumStudio__ExchangeCommerceML/storage/xml/rests.xml": {
    headers: "offers:true",
    offers: 12,
    offersWithHash: 2,
    stocks: 168,
  },
  // #36 44 properties with ЭтоФильтр and no variants, 82 products each with a picture
  "andrtechno__mod-exchange1c/tests/data/import.xml": {
    headers: "classifier:null catalog:false",
    groups: 7,
    groupDepth: 2,
    properties: 44,
    products: 82,
    images: 82,
  },
  "andrtechno__mod-exchange1c/tests/data/offers.xml": {
    headers: "offers:false",
    priceTypes: 2,
    offers: 121,
    prices: 242,
    offersWithQuantity: 121,
  },
  // #21 22 groups, 10 properties with 154 values, 2 products with 3 pictures in all
  "carono__php-commerceml/tests/xml/import.xml": {
    headers: "classifier:null catalog:false",
    groups: 22,
    groupDepth: 2,
    properties: 10,
    propertyVariants: 154,
    products: 2,
    images: 3,
  },
  // #22 stock as <Склад ИдСклада КоличествоНаСкладе/>; an abbreviated Классификатор comes first
  "carono__php-commerceml/tests/xml/offers.xml": {
    headers: "classifier:null offers:false",
    priceTypes: 1,
    warehouses: 5,
    offers: 5,
    offersWithHash: 5,
    prices: 5,
    stocks: 5,
    offersWithQuantity: 5,
  },
  "carono__yii2-1c-exchange/files/xml/from.xml": { headers: "document:null" },
  "carono__yii2-1c-exchange/files/xml/to.xml": { headers: "document:null" },
  "dicrtarasov__yii2-exchange1c/doc/orders.xml": { headers: "document:null" },
  // #26: an empty root, nothing to emit
  "dobromyslov__commerceml-parser/data/bitrix-query-response-empty.xml": {},
  "dobromyslov__commerceml-parser/data/bitrix-query-response-full.xml": {
    headers: "document:null document:null",
  },
  // #27 one <Товар Статус="Удален">
  "dobromyslov__commerceml-parser/data/import0_1.xml": {
    headers: "classifier:null catalog:false",
    groups: 1,
    groupDepth: 1,
    properties: 12,
    propertyVariants: 12,
    products: 36,
    deletedProducts: 1,
  },
  // #28 44 offers, 132 stock entries
  "dobromyslov__commerceml-parser/data/offers0_1.xml": {
    headers: "classifier:null offers:false",
    priceTypes: 1,
    warehouses: 3,
    offers: 44,
    prices: 44,
    stocks: 132,
    offersWithQuantity: 44,
  },
  // #15–17 Bitrix-module 2.09 split files, 978 offers each
  "gillbeits__commerceml/example/offers___7f304edc-2527-4d3d-b058-6e4ee53de2e0.xml": {
    headers: "offers:true",
    offers: 978,
  },
  "gillbeits__commerceml/example/prices___d66a6b51-ce9c-4e7a-8c7c-25079721107f.xml": {
    headers: "offers:true",
    offers: 978,
    prices: 978,
  },
  "gillbeits__commerceml/example/rests___1af6e7b8-a026-4690-9752-1c9d64cb914d.xml": {
    headers: "offers:true",
    offers: 978,
    stocks: 978,
  },
  // #13/#14 (2.03): <СодержитТолькоИзменения> is a trailing child element, read too late to count.
  "gillbeits__commerceml/tests/import.xml": {
    headers: "classifier:null catalog:null",
    groups: 2,
    groupDepth: 2,
    properties: 5,
    products: 6,
    productsWithHash: 6,
    productCharacteristics: 6,
  },
  "gillbeits__commerceml/tests/offers.xml": {
    headers: "offers:null",
    priceTypes: 2,
    offers: 6,
    offersWithHash: 6,
    prices: 12,
    offersWithQuantity: 6,
  },
  // #11 four Контейнер/Документ
  "irpsv__commerceml/tests/assets/bitrix-module-6/documents/2/documents.xml": {
    headers: "document:null document:null document:null document:null",
  },
  "irpsv__commerceml/tests/assets/bitrix-module-6/goods/1/import.xml": {
    headers: "catalog:true",
    products: 21,
  },
  // #8: 6 offers with ПометкаУдаления=true
  "irpsv__commerceml/tests/assets/bitrix-module-6/goods/1/offers.xml": {
    headers: "offers:true",
    offers: 86,
    deletedOffers: 6,
    offersWithHash: 86,
  },
  "irpsv__commerceml/tests/assets/bitrix-module-6/goods/1/prices.xml": {
    headers: "offers:true",
    offers: 86,
    offersWithHash: 86,
    prices: 86,
  },
  // #10: 86 offers × 12 warehouses
  "irpsv__commerceml/tests/assets/bitrix-module-6/goods/1/rests.xml": {
    headers: "offers:true",
    offers: 86,
    offersWithHash: 86,
    stocks: 1032,
  },
  "irpsv__commerceml/tests/assets/bitrix-module-6/import.xml": {
    headers: "classifier:true catalog:true",
    groups: 1,
    groupDepth: 1,
    priceTypes: 8,
    warehouses: 12,
    units: 1,
  },
  // #6: 147 Справочник entries, one of them empty (<ИдЗначения/>), so 146 values.
  "irpsv__commerceml/tests/assets/bitrix-module-6/properties/1/import.xml": {
    headers: "classifier:true catalog:true",
    properties: 25,
    propertyVariants: 146,
  },
  // #1 official sample: 4 `#` products with a Цвет characteristic each
  "irpsv__commerceml/tests/assets/off-doc-1c/import.xml": {
    headers: "classifier:null catalog:false",
    groups: 1,
    groupDepth: 1,
    products: 4,
    productsWithHash: 4,
    productCharacteristics: 4,
  },
  "irpsv__commerceml/tests/assets/off-doc-1c/offers.xml": {
    headers: "offers:false",
    priceTypes: 4,
    offers: 2,
    offersWithHash: 2,
    prices: 8,
    offersWithQuantity: 2,
  },
  "irpsv__commerceml/tests/assets/off-doc-1c/orders.xml": {
    headers: "document:null document:null document:null",
  },
  // #12: 7 properties + 103 offers (84 with `#`), 6 <Статус>Удален</Статус>
  "irpsv__commerceml/tests/assets/real-1c-ut101/offers.xml": {
    headers: "classifier:null offers:null",
    properties: 7,
    propertyVariants: 27,
    priceTypes: 1,
    offers: 103,
    deletedOffers: 6,
    offersWithHash: 84,
    prices: 84,
  },
  // #4: 14 offers × 5 prices
  "irpsv__commerceml/tests/assets/umi-cms/offers.xml": {
    headers: "offers:false",
    priceTypes: 5,
    offers: 14,
    prices: 70,
    offersWithQuantity: 14,
  },
  "wagood__commerceml/example/commerce-ml3/import___5335d080-66b0-4355-887c-d54bba6f1f08.xml": {
    headers: "catalog:true",
    products: 1,
  },
  "wagood__commerceml/example/commerce-ml3/import___57c55968-51d1-46f0-b5d7-927f420b8fd4.xml": {
    headers: "classifier:true catalog:true",
    groups: 1,
    groupDepth: 1,
    priceTypes: 1,
    units: 1,
  },
  // #20: one plain offer and one `product#characteristic`
  "wagood__commerceml/example/commerce-ml3/offers___13955e2c-c7d0-4189-8db7-9bc863cde645.xml": {
    headers: "offers:true",
    offers: 2,
    offersWithHash: 1,
  },
};

Deno.test({
  name: "samples: every file is listed here, and every listed file exists",
  ignore: !haveSamples,
  fn() {
    assertEquals(files, Object.keys(EXPECTED).sort());
  },
});

for (const path of files) {
  Deno.test({
    name: `samples: ${path}`,
    ignore: !(path in EXPECTED),
    async fn() {
      const records = await read(path);
      assertEquals(summarize(records), EXPECTED[path]);
      // Every document starts with a header (when it has any content we read).
      if (records.length > 0) assertEquals(records[0].type, "header");
    },
  });
}

const products = (records: CmlRecord[]) =>
  records.filter((r): r is ProductRecord => r.type === "product");
const offers = (records: CmlRecord[]) =>
  records.filter((r): r is OfferRecord => r.type === "offer");
const find = <T extends { id: string }>(items: T[], id: string): T => {
  const found = items.find((item) => item.id === id);
  assert(found !== undefined, `no record ${id}`);
  return found;
};

Deno.test({
  name: "samples: official 1C example import.xml (2.04)",
  ignore: !haveSamples,
  async fn() {
    const records = await read("irpsv__commerceml/tests/assets/off-doc-1c/import.xml");
    assertEquals(records.find((r) => r.type === "group"), {
      type: "group",
      id: "05e26d6f-01e4-11dc-a411-00055d80a2d1",
      parentId: null,
      name: "Мебель",
      position: 0,
      deleted: false,
    });
    const table = find(
      products(records),
      "05e26d70-01e4-11dc-a411-00055d80a2d1#05e26d76-01e4-11dc-a411-00055d80a2d1",
    );
    assertEquals(table.name, "Стол обеденный");
    assertEquals(table.characteristics, { "Цвет": "Белый" });
    assertEquals(table.taxRates, [{ name: "НДС", rate: "18" }]);
    assertEquals(table.baseUnit, "шт");
    assertEquals(table.requisites["ВидНоменклатуры"], "Товар");
    for (const p of products(records)) assertEquals(Object.keys(p.characteristics), ["Цвет"]);
  },
});

Deno.test({
  name: "samples: windows-1251 catalog (Dialdev)",
  ignore: !haveSamples,
  async fn() {
    const catalog = await read("Dialdev__Santechtula/upload/1c_catalog/import.xml");
    const groups = catalog.filter((r) => r.type === "group");
    assertEquals(groups[0], {
      type: "group",
      id: "894f0cbe-9700-0840-0000-4544",
      parentId: null,
      name: "Ванны",
      position: 0,
      deleted: false,
    });
    const bath = find(products(catalog), "321");
    assertEquals(bath.name, 'Ванна "Альтаир" 160х120 без гидромассажа (АКВАТЕК)');
    assertEquals(bath.groupIds, ["894f0cbe-9700-0840-0000-4630"]);

    const offersFile = await read("Dialdev__Santechtula/upload/1c_catalog/offers.xml");
    assertEquals(find(offers(offersFile), "321").prices, [
      {
        priceTypeId: "fb1fb868-f345-11e1-8efb-00155d343e29",
        value: 25450,
        currency: "RUB",
        unit: "шт",
      },
    ]);
    const askManager = find(offers(offersFile), "14157");
    assertEquals([askManager.prices, askManager.quantity], [[], 4]);
  },
});

Deno.test({
  name: "samples: УТ 11 import0_1 / offers0_1 (dobromyslov)",
  ignore: !haveSamples,
  async fn() {
    const catalog = products(await read("dobromyslov__commerceml-parser/data/import0_1.xml"));
    assertEquals(catalog.filter((p) => p.deleted).map((p) => p.id), [
      "b631c9c1-49de-11e9-80c9-0cc47ab29cd1",
    ]);
    const rug = find(catalog, "bd8c4e15-18f9-11e7-80c2-0cc47ab29cd1");
    assertEquals([rug.sku, rug.barcode, rug.manufacturer, rug.baseUnit], [
      "PM-421-WP",
      "8809288404089",
      "Crazy Boom",
      "796",
    ]);
    assertEquals(rug.propertyValues[1], {
      id: "38409b0c-29da-11e9-80c9-0cc47ab29cd1",
      values: ["1,4"],
    });

    const rugOffer = find(
      offers(await read("dobromyslov__commerceml-parser/data/offers0_1.xml")),
      "bd8c4e15-18f9-11e7-80c2-0cc47ab29cd1",
    );
    assertEquals(rugOffer.prices, [
      {
        priceTypeId: "279b6812-740b-11e8-80c8-0cc47ab29cd1",
        value: 100,
        currency: "RUB",
        unit: "PCE",
      },
    ]);
    assertEquals(rugOffer.stocks, [
      { warehouseId: "6abdb0b5-18fd-11e7-80c2-0cc47ab29cd1", quantity: 1 },
      { warehouseId: "d2a52d49-19c9-11e7-80c2-0cc47ab29cd1", quantity: 0 },
      { warehouseId: "dd306af1-19c9-11e7-80c2-0cc47ab29cd1", quantity: 376 },
    ]);
    assertEquals(rugOffer.quantity, 377);
  },
});

Deno.test({
  name: "samples: 3.x split files (bitrix-module-6, gillbeits)",
  ignore: !haveSamples,
  async fn() {
    const classifier = await read("irpsv__commerceml/tests/assets/bitrix-module-6/import.xml");
    assertEquals(classifier.find((r) => r.type === "unit"), {
      type: "unit",
      code: "796",
      name: "шт",
      fullName: "штука",
      international: null,
    });
    const goods = products(
      await read("irpsv__commerceml/tests/assets/bitrix-module-6/goods/1/import.xml"),
    );
    const parallels = find(goods, "afc7eb78-8172-11e7-948c-00155d020201");
    assertEquals(parallels.baseUnit, "796");
    assertEquals(parallels.taxRates, [{ name: "НДС", rate: "Без налога" }]);
    assertEquals(parallels.requisites["Код"], "С0006746");
    assert(parallels.propertyValues.every((v) => v.values.length === 0));

    const rests = offers(
      await read("irpsv__commerceml/tests/assets/bitrix-module-6/goods/1/rests.xml"),
    );
    for (const o of rests) {
      assertEquals([o.prices, o.stocks?.length], [null, 12]);
      assertEquals(o.productId, o.id.slice(0, o.id.indexOf("#")));
    }

    const prices = offers(
      await read(
        "gillbeits__commerceml/example/prices___d66a6b51-ce9c-4e7a-8c7c-25079721107f.xml",
      ),
    );
    assert(prices.every((o) => o.prices?.length === 1 && o.stocks === null));
    assertEquals(find(prices, "26b0dc1e-4d66-11e4-99fe-003048c64779").prices, [
      {
        priceTypeId: "4d968229-47ba-11e4-a628-003048c64779",
        value: 181,
        currency: "RUB",
        unit: null,
      },
    ]);
  },
});

Deno.test({
  name: "samples: 2.x attribute stock form with characteristics (carono offers.xml)",
  ignore: !haveSamples,
  async fn() {
    const boots = find(
      offers(await read("carono__php-commerceml/tests/xml/offers.xml")),
      "bd72d910-55bc-11d9-848a-00112f43529a#90c55447-d3a8-11e4-9423-e0cb4ed5eed4",
    );
    assertEquals(boots.productId, "bd72d910-55bc-11d9-848a-00112f43529a");
    assertEquals(boots.characteristics, {
      "Размер": "40",
      "Тип кожи": "натуральная кожа",
      "Цвет": "Коричневый",
    });
    assertEquals(boots.stocks, [{
      warehouseId: "b6112590-41ba-11dd-ac9d-0015e9b8c48d",
      quantity: 20,
    }]);
    assertEquals(boots.prices?.[0].value, 1719);
  },
});
