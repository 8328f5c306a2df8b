import { assert, assertEquals, assertMatch, assertNotEquals, assertThrows } from "@std/assert";
import { createHash } from "node:crypto";
import { SaxesParser } from "saxes";
import {
  expectedCounts,
  generateCatalog,
  type GeneratorOptions,
  hasVariants,
  offerIds,
  offerPrice,
  offerStock,
  priceTypeId,
  productArticle,
  productId,
  productName,
} from "../../src/commerceml/generator.ts";

interface Offer {
  id: string;
  name: string;
  prices: Map<string, string>;
  quantity: string;
  stock: Array<{ id: string; quantity: string }>;
  characteristics: string[];
}

interface Parsed {
  counts: Map<string, number>;
  /** Товар elements of the catalog, Предложение elements, Цена in Цены, Склад with ИдСклада. */
  products: number;
  offers: number;
  prices: number;
  stocks: number;
  groups: number;
  rootAttributes: Record<string, string>;
  sectionAttributes: Record<string, string>;
  productsById: Map<string, { name: string; article: string }>;
  offersById: Map<string, Offer>;
}

/** One saxes pass over the decoded stream: proves well-formedness and collects what tests check. */
async function parse(stream: ReadableStream<Uint8Array>, encoding = "utf-8"): Promise<Parsed> {
  const parser = new SaxesParser();
  const path: string[] = [];
  const out: Parsed = {
    counts: new Map(),
    products: 0,
    offers: 0,
    prices: 0,
    stocks: 0,
    groups: 0,
    rootAttributes: {},
    sectionAttributes: {},
    productsById: new Map(),
    offersById: new Map(),
  };
  let text = "";
  let product: { id: string; name: string; article: string } | null = null;
  let offer: Offer | null = null;
  let price: { type: string; value: string } | null = null;
  parser.on("opentag", (tag) => {
    const parent = path.at(-1);
    path.push(tag.name);
    text = "";
    out.counts.set(tag.name, (out.counts.get(tag.name) ?? 0) + 1);
    if (tag.name === "КоммерческаяИнформация") out.rootAttributes = tag.attributes;
    if (tag.name === "Каталог" || tag.name === "ПакетПредложений") {
      out.sectionAttributes = tag.attributes;
    }
    if (tag.name === "Группа") out.groups++;
    if (tag.name === "Товар" && parent === "Товары") {
      out.products++;
      product = { id: "", name: "", article: "" };
    }
    if (tag.name === "Предложение") {
      out.offers++;
      offer = { id: "", name: "", prices: new Map(), quantity: "", stock: [], characteristics: [] };
    }
    if (tag.name === "Цена" && parent === "Цены") {
      out.prices++;
      price = { type: "", value: "" };
    }
    if (tag.name === "Склад" && "ИдСклада" in tag.attributes) {
      out.stocks++;
      offer?.stock.push({
        id: tag.attributes.ИдСклада,
        quantity: tag.attributes.КоличествоНаСкладе,
      });
    }
  });
  parser.on("text", (t) => text += t);
  parser.on("closetag", (tag) => {
    path.pop();
    const parent = path.at(-1);
    if (product && parent === "Товар") {
      if (tag.name === "Ид") product.id = text;
      if (tag.name === "Наименование") product.name = text;
      if (tag.name === "Артикул") product.article = text;
    }
    if (tag.name === "Товар" && product && parent === "Товары") {
      out.productsById.set(product.id, product);
      product = null;
    }
    if (offer && parent === "Предложение") {
      if (tag.name === "Ид") offer.id = text;
      if (tag.name === "Наименование") offer.name = text;
      if (tag.name === "Количество") offer.quantity = text;
    }
    if (offer && parent === "ХарактеристикаТовара" && tag.name === "Значение") {
      offer.characteristics.push(text);
    }
    if (price && parent === "Цена") {
      if (tag.name === "ИдТипаЦены") price.type = text;
      if (tag.name === "ЦенаЗаЕдиницу") price.value = text;
    }
    if (tag.name === "Цена" && price && offer) {
      offer.prices.set(price.type, price.value);
      price = null;
    }
    if (tag.name === "Предложение" && offer) {
      out.offersById.set(offer.id, offer);
      offer = null;
    }
    text = "";
  });
  const decoder = new TextDecoder(encoding);
  for await (const chunk of stream) parser.write(decoder.decode(chunk, { stream: true }));
  parser.write(decoder.decode());
  parser.close();
  return out;
}

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function sha256(stream: ReadableStream<Uint8Array>): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of stream) hash.update(chunk);
  return hash.digest("hex");
}

const OPTS: GeneratorOptions = { products: 600, seed: 42 };

Deno.test("import.xml and offers.xml are well-formed and hold what `expected` says", async () => {
  const catalog = generateCatalog(OPTS);
  const expected = catalog.expected;
  assertEquals(expected, {
    products: 600,
    offers: 800,
    prices: 2400,
    stocks: 1600,
    groups: 50,
  });
  const imp = await parse(catalog.importXml);
  assertEquals(imp.products, expected.products);
  assertEquals(imp.groups, expected.groups);
  assertEquals(imp.counts.get("Свойство"), 5);
  assertEquals(imp.rootAttributes.xmlns, "urn:1C.ru:commerceml_2");
  assertEquals(imp.rootAttributes.ВерсияСхемы, "2.08");
  assertEquals(imp.sectionAttributes.СодержитТолькоИзменения, "false");
  const values = imp.counts.get("ЗначенияСвойства") ?? 0;
  assert(values >= 3 * expected.products && values <= 5 * expected.products);

  const off = await parse(catalog.offersXml);
  assertEquals(off.offers, expected.offers);
  assertEquals(off.prices, expected.prices);
  assertEquals(off.stocks, expected.stocks);
  assertEquals(off.counts.get("ТипЦены"), 3);
  assertEquals(off.sectionAttributes.СодержитТолькоИзменения, "false");
  // Every offer belongs to a product of import.xml (the part before '#').
  for (const id of off.offersById.keys()) {
    assert(imp.productsById.has(id.split("#")[0]), `offer ${id} has no product`);
  }
});

Deno.test("option variations change the counts consistently", async () => {
  for (
    const opts of [
      { products: 50, variantsEvery: 0, priceTypes: 1, warehouses: 1 },
      { products: 51, variantsEvery: 1, priceTypes: 5, warehouses: 7, seed: 9 },
      { products: 0 },
    ]
  ) {
    const catalog = generateCatalog(opts);
    const imp = await parse(catalog.importXml);
    const off = await parse(catalog.offersXml);
    const { expected } = catalog;
    assertEquals(expected, expectedCounts(opts));
    assertEquals(imp.products, expected.products);
    assertEquals(off.offers, expected.offers);
    assertEquals(off.prices, expected.prices);
    assertEquals(off.stocks, expected.stocks);
  }
  assertThrows(() => generateCatalog({ products: -1 }), RangeError);
  assertThrows(() => generateCatalog({ products: 1, priceTypes: 0 }), RangeError);
});

Deno.test("helpers predict exact ids, names, prices and stock", async () => {
  const catalog = generateCatalog(OPTS);
  const imp = await parse(catalog.importXml);
  const off = await parse(catalog.offersXml);
  for (const i of [0, 1, 2, 5, 599]) {
    const id = productId(i, OPTS.seed);
    const product = imp.productsById.get(id);
    assert(product, `product ${i} (${id}) not found`);
    assertEquals(product.name, productName(i, OPTS.seed));
    assertEquals(product.article, productArticle(i));
    const ids = offerIds(OPTS, i);
    assertEquals(ids.length, hasVariants(OPTS, i) ? 2 : 1);
    for (const [variant, offerId] of ids.entries()) {
      const offer = off.offersById.get(offerId);
      assert(offer, `offer ${offerId} not found`);
      for (let p = 0; p < 3; p++) {
        assertEquals(offer.prices.get(priceTypeId(p, OPTS.seed)), offerPrice(OPTS, i, p, variant));
        assertMatch(offerPrice(OPTS, i, p, variant), /^\d+\.\d\d$/);
      }
      const stock = offerStock(OPTS, i, variant);
      assertEquals(offer.quantity, String(stock.total));
      assertEquals(
        offer.stock,
        stock.warehouses.map((w) => ({ id: w.id, quantity: String(w.quantity) })),
      );
      assertEquals(new Set(offer.stock.map((s) => s.id)).size, 2, "two distinct warehouses");
      if (ids.length === 2) {
        assertEquals(offer.characteristics.length, 2);
        assert(offer.id.startsWith(`${id}#`));
      }
    }
  }
  assert(hasVariants(OPTS, 2) && !hasVariants(OPTS, 0));
});

Deno.test("ids are unique and look like 1C GUIDs", () => {
  const ids = new Set<string>();
  for (let i = 0; i < 50_000; i++) ids.add(productId(i));
  assertEquals(ids.size, 50_000);
  assertMatch(productId(0), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  assertNotEquals(productId(0, 1), productId(0, 2));
});

Deno.test("output is deterministic across runs and depends on the seed", async () => {
  const a = generateCatalog(OPTS);
  const b = generateCatalog(OPTS);
  assertEquals(await sha256(a.importXml), await sha256(b.importXml));
  assertEquals(await sha256(a.offersXml), await sha256(b.offersXml));
  const c = generateCatalog({ ...OPTS, seed: 43 });
  assertNotEquals(await sha256(c.importXml), await sha256(generateCatalog(OPTS).importXml));
});

Deno.test("UTF-8 output starts with a BOM and the declaration", async () => {
  const bytes = await bytesOf(generateCatalog({ products: 3 }).importXml);
  assertEquals([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  const head = new TextDecoder().decode(bytes.subarray(0, 200));
  assert(head.startsWith('<?xml version="1.0" encoding="UTF-8"?>'), head);
});

Deno.test("windows-1251 variant is the same text, declared as windows-1251, without a BOM", async () => {
  const opts = { products: 300, seed: 7 };
  for (const file of ["importXml", "offersXml"] as const) {
    const utf8 = await bytesOf(generateCatalog(opts)[file]);
    const cp1251 = await bytesOf(generateCatalog({ ...opts, windows1251: true })[file]);
    assert(cp1251.length < utf8.length * 0.75, "Cyrillic takes one byte per letter");
    assertNotEquals(cp1251[0], 0xef, "no BOM");
    const text1251 = new TextDecoder("windows-1251").decode(cp1251);
    const text8 = new TextDecoder().decode(utf8); // drops the BOM
    assert(text1251.startsWith('<?xml version="1.0" encoding="windows-1251"?>\n'));
    assertEquals(
      text1251.replace('encoding="windows-1251"', 'encoding="UTF-8"'),
      text8,
    );
    assert(/[ёЁ№«»]/.test(text1251), "the special letters are exercised");
    const parsed = await parse(
      generateCatalog({ ...opts, windows1251: true })[file],
      "windows-1251",
    );
    assert(parsed.products + parsed.offers > 0);
  }
});

Deno.test("size: bytes per product and per offer are in the range of real exports", async () => {
  const opts = { products: 3000 };
  const catalog = generateCatalog(opts);
  const imp = (await bytesOf(catalog.importXml)).length;
  const off = (await bytesOf(catalog.offersXml)).length;
  const perProduct = imp / opts.products;
  const perOffer = off / catalog.expected.offers;
  assert(perProduct > 2000 && perProduct < 3500, `${perProduct} bytes per product`);
  assert(perOffer > 1800 && perOffer < 3000, `${perOffer} bytes per offer`);
});

Deno.test("generation is lazy and chunked at 64 KiB", async () => {
  // Ten million products would be ~29 GB; reading the first chunks must not generate them.
  const catalog = generateCatalog({ products: 10_000_000 });
  const reader = catalog.importXml.getReader();
  const started = performance.now();
  for (let k = 0; k < 5; k++) {
    const { value } = await reader.read();
    assert(value);
    // Full chunks, short of a few bytes when a Cyrillic letter does not fit at the end.
    assert(value.length > 64 * 1024 - 4 && value.length <= 64 * 1024, `${value.length}`);
  }
  assert(performance.now() - started < 2000);
  await reader.cancel();
  await catalog.offersXml.cancel();
});
