/**
 * Every CommerceML file of the shared sample corpus (real exports from 1C, Bitrix and
 * others; ../shared/samples/commerceml) through the real import pipeline into a real
 * database, set by set in the order 1C sends them. Counts and a few exact values are
 * checked against what the files say (see the corpus's SOURCES.md).
 */
import { assert, assertEquals, assertRejects } from "@std/assert";
import { ImportInputError } from "../../src/imports/import-input-error.ts";
import { createHarness, type Harness } from "../helpers/harness.ts";
import { type ImportResult, importStream } from "../../src/catalog/import-stream.ts";
import { readFileChunks } from "../../src/exchange/local-file.ts";

const CORPUS = new URL("../../../shared/samples/commerceml/", import.meta.url).pathname;

async function importFile(h: Harness, rel: string, runId: string): Promise<ImportResult> {
  const client = await h.ctx.pool.connect();
  try {
    return await importStream({
      client,
      source: readFileChunks(CORPUS + rel),
      runId,
      batchSize: 500,
      splitPackage: /___|\/\d+\//.test(rel),
    });
  } finally {
    client.release();
  }
}

async function reset(h: Harness) {
  await h.ctx.pool.query(
    "TRUNCATE products, offers, prices, stocks, groups, properties, property_values, price_types, warehouses, units, import_seen",
  );
}

async function count(h: Harness, table: string, where = "true"): Promise<number> {
  const r = await h.ctx.pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`);
  return r.rows[0].n;
}

const created = (r: ImportResult, entity: string) => r.counts[entity]?.created ?? 0;
const skipped = (r: ImportResult, entity: string) => r.counts[entity]?.skipped ?? 0;

/** Results, printed at the end in the README's table format. */
const table: string[] = [];
function note(file: string, r: ImportResult) {
  const c = (e: string) => {
    const x = r.counts[e];
    return x ? x.created + x.updated + x.unchanged : 0;
  };
  table.push(
    `| ${file} | ${r.schemaVersion ?? "?"} | ${r.kind} | ${c("groups")} | ${c("products")} | ${
      c("offers")
    } | ${c("prices")} | ${c("stocks")} | ${skipped(r, "offers")} | ${
      r.warnings.join("; ") || "—"
    } |`,
  );
}

Deno.test("sample corpus imports", async (t) => {
  const h = await createHarness("sample_corpus", { workers: false });
  let run = 1;
  const imp = async (rel: string) => {
    const r = await importFile(h, rel, String(run++));
    note(rel, r);
    return r;
  };
  try {
    await t.step("official 1C example 2.04 (off-doc-1c): products per characteristic", async () => {
      await reset(h);
      const i = await imp("irpsv__commerceml/tests/assets/off-doc-1c/import.xml");
      assertEquals(created(i, "products"), 4);
      assert((await count(h, "products", "onec_id LIKE '%#%'")) === 4);
      const o = await imp("irpsv__commerceml/tests/assets/off-doc-1c/offers.xml");
      assertEquals(created(o, "offers"), 2);
      assertEquals(created(o, "prices"), 8);
      assertEquals(await count(h, "price_types"), 4);
      // Offers whose Ид is the full product#characteristic id attach to that product.
      assertEquals(await count(h, "offers o JOIN products p ON p.onec_id = o.product_id"), 2);
    });

    await t.step(
      "УТ 11 import0_1/offers0_1 (dobromyslov): deleted product, per-warehouse stock",
      async () => {
        await reset(h);
        const i = await imp("dobromyslov__commerceml-parser/data/import0_1.xml");
        assertEquals(created(i, "products"), 36);
        assertEquals(await count(h, "products", "NOT is_active AND deleted"), 1);
        const o = await imp("dobromyslov__commerceml-parser/data/offers0_1.xml");
        assertEquals(await count(h, "warehouses"), 3);
        // 44 offers, 8 of them for products this package does not carry: skipped, reported.
        assertEquals(created(o, "offers"), 36);
        assertEquals(skipped(o, "offers"), 8);
        assertEquals(created(o, "stocks"), 36 * 3);
      },
    );

    await t.step(
      "windows-1251 Bitrix site catalog (Dialdev): 163 groups, 1660 products",
      async () => {
        await reset(h);
        const i = await imp("Dialdev__Santechtula/upload/1c_catalog/import.xml");
        assertEquals(created(i, "groups"), 163);
        assertEquals(created(i, "products"), 1660);
        const deep = await h.ctx.pool.query(
          `WITH RECURSIVE d AS (SELECT onec_id, 1 AS depth FROM groups WHERE parent_id IS NULL
         UNION ALL SELECT g.onec_id, d.depth + 1 FROM groups g JOIN d ON g.parent_id = d.onec_id)
         SELECT max(depth)::int AS depth FROM d`,
        );
        assertEquals(deep.rows[0].depth, 4);
        assert((await count(h, "products", "name ~ '[А-Яа-я]'")) > 1000, "Cyrillic decoded");
        const o = await imp("Dialdev__Santechtula/upload/1c_catalog/offers.xml");
        assertEquals(created(o, "offers"), 1660);
        // 104 of the 1660 <Цена> elements carry no ЦенаЗаЕдиницу: no price, not a zero price.
        assertEquals(created(o, "prices"), 1556);
      },
    );

    await t.step("2.03 catalog with characteristics (gillbeits tests)", async () => {
      await reset(h);
      const i = await imp("gillbeits__commerceml/tests/import.xml");
      assertEquals(created(i, "products"), 6);
      assertEquals(created(i, "groups"), 2);
      const o = await imp("gillbeits__commerceml/tests/offers.xml");
      assertEquals(created(o, "offers"), 6);
      assertEquals(created(o, "prices"), 12);
    });

    await t.step(
      "2.07 УТ 11-style (carono): pictures, dictionary properties, stock attributes",
      async () => {
        await reset(h);
        const i = await imp("carono__php-commerceml/tests/xml/import.xml");
        assertEquals(created(i, "products"), 2);
        assertEquals(created(i, "groups"), 22);
        assertEquals(await count(h, "property_values"), 154);
        const pics = await h.ctx.pool.query(
          "SELECT images FROM products WHERE cardinality(images) > 0",
        );
        assertEquals(pics.rows.length, 1);
        assertEquals(pics.rows[0].images.length, 3);
        assert(pics.rows[0].images[0].startsWith("import_files/9d/"));
        const o = await imp("carono__php-commerceml/tests/xml/offers.xml");
        assertEquals(created(o, "offers") + skipped(o, "offers"), 5);
        assert(created(o, "stocks") > 0);
      },
    );

    await t.step("2.04 CRLF catalog with non-standard ЭтоФильтр (andrtechno)", async () => {
      await reset(h);
      const i = await imp("andrtechno__mod-exchange1c/tests/data/import.xml");
      assertEquals(created(i, "products"), 82);
      assertEquals(created(i, "groups"), 7);
      assertEquals(created(i, "properties"), 44);
      const o = await imp("andrtechno__mod-exchange1c/tests/data/offers.xml");
      // 78 of the 121 offers belong to products missing from this import.xml.
      assertEquals(created(o, "offers"), 43);
      assertEquals(skipped(o, "offers"), 78);
      assertEquals(created(o, "prices"), 43 * 2);
    });

    await t.step(
      "Bitrix module 3.1 split exchange: each package updates what it carries",
      async () => {
        await reset(h);
        const base = "irpsv__commerceml/tests/assets/bitrix-module-6/";
        const cls = await imp(base + "import.xml");
        assertEquals(cls.kind, "classifier");
        assertEquals(await count(h, "price_types"), 8);
        assertEquals(await count(h, "warehouses"), 12);
        assertEquals(await count(h, "units", "code = '796'"), 1, "unit code trimmed");
        await imp(base + "properties/1/import.xml");
        assertEquals(await count(h, "properties"), 25);
        assertEquals(await count(h, "property_values"), 146);
        const goods = await imp(base + "goods/1/import.xml");
        assertEquals(created(goods, "products"), 21);
        const offers = await imp(base + "goods/1/offers.xml");
        assertEquals(created(offers, "offers"), 86);
        assertEquals(await count(h, "offers", "NOT is_active"), 6, "ПометкаУдаления honoured");
        assertEquals(await count(h, "prices"), 0, "an offers package without Цены sets no prices");
        const prices = await imp(base + "goods/1/prices.xml");
        assertEquals(created(prices, "prices"), 86);
        const rests = await imp(base + "goods/1/rests.xml");
        assertEquals(created(rests, "stocks"), 1032);
        assertEquals(await count(h, "prices"), 86, "a rests package does not touch prices");
        const win10 = "235ccc6d-ab81-11e4-944a-00155d020201#a5abd77f-93f6-11e5-9468-00155d020201";
        const price = await h.ctx.pool.query(
          "SELECT value::float8 AS v FROM prices WHERE offer_id = $1 AND price_type_id = $2",
          [win10, "aef2c177-1862-11de-9d9d-001a4d4b12d9"],
        );
        assertEquals(price.rows[0].v, 2042.66);
        const stock = await h.ctx.pool.query(
          "SELECT quantity::float8 AS q FROM stocks WHERE offer_id = $1 AND warehouse_id = $2",
          [win10, "be3dfd89-0ac5-11e1-84f0-00241d886595"],
        );
        assertEquals(stock.rows[0].q, 0);
        const variant = await h.ctx.pool.query(
          "SELECT product_id, name FROM offers WHERE onec_id = $1",
          [win10],
        );
        assertEquals(variant.rows[0].product_id, "235ccc6d-ab81-11e4-944a-00155d020201");
        assertEquals(variant.rows[0].name.startsWith("Windows 10 Education Lic (KW5-00336"), true);
        // A prices package again: stock stays.
        const again = await imp(base + "goods/1/prices.xml");
        assertEquals(again.counts.prices?.unchanged, 86);
        assertEquals(await count(h, "stocks"), 1032, "a prices package does not zero stock");
        // Split packages never deactivate by themselves.
        assertEquals(await count(h, "products", "NOT is_active"), 0);
      },
    );

    await t.step(
      "minimal 3.1 set (wagood) and classifier/goods fixtures (ArgentCrusade)",
      async () => {
        await reset(h);
        const w = "wagood__commerceml/example/commerce-ml3/";
        await imp(w + "import___57c55968-51d1-46f0-b5d7-927f420b8fd4.xml");
        const g = await imp(w + "import___5335d080-66b0-4355-887c-d54bba6f1f08.xml");
        assertEquals(created(g, "products"), 1);
        const o = await imp(w + "offers___13955e2c-c7d0-4189-8db7-9bc863cde645.xml");
        assertEquals(created(o, "offers") + skipped(o, "offers"), 2);
        const a = "ArgentCrusade__commerceml/tests/fixtures/";
        const groups = await imp(a + "group-example.xml");
        assertEquals(created(groups, "groups"), 12);
        const p = await imp(a + "products-example.xml");
        assertEquals(created(p, "products"), 1);
        const pics = await h.ctx.pool.query(
          "SELECT cardinality(images) AS n FROM products ORDER BY updated_at DESC LIMIT 1",
        );
        assertEquals(pics.rows[0].n, 5, "Картинка order kept");
        const pr = await imp(a + "prices-example.xml");
        assertEquals(created(pr, "prices") + skipped(pr, "offers"), 3);
      },
    );

    await t.step("Turumburum 3.1 classifier (CRLF) and a rests package", async () => {
      await reset(h);
      const t1 = await imp("TurumburumStudio__ExchangeCommerceML/storage/xml/classifier.xml");
      assertEquals(created(t1, "groups"), 2);
      assertEquals(await count(h, "price_types"), 7);
      assertEquals(await count(h, "warehouses"), 14);
      // Stock for a catalog without products: refused, nothing kept.
      await assertRejects(
        () => imp("TurumburumStudio__ExchangeCommerceML/storage/xml/rests.xml"),
        ImportInputError,
        "import the catalog first",
      );
    });

    await t.step(
      "2.09 split offers/prices/rests (gillbeits example) for products not sent",
      async () => {
        await reset(h);
        await imp("gillbeits__commerceml/tests/import.xml"); // some other catalog exists
        const base = "gillbeits__commerceml/example/";
        const o = await imp(base + "offers___7f304edc-2527-4d3d-b058-6e4ee53de2e0.xml");
        assertEquals(skipped(o, "offers"), 978);
        const p = await imp(base + "prices___d66a6b51-ce9c-4e7a-8c7c-25079721107f.xml");
        assertEquals(skipped(p, "offers"), 978);
        const r = await imp(base + "rests___1af6e7b8-a026-4690-9752-1c9d64cb914d.xml");
        assertEquals(skipped(r, "offers"), 978);
        assertEquals(await count(h, "offers"), 0);
      },
    );

    await t.step("offers for an empty catalog fail: import the catalog first", async () => {
      await reset(h);
      await assertRejects(
        () => imp("irpsv__commerceml/tests/assets/umi-cms/offers.xml"),
        ImportInputError,
        "import the catalog first",
      );
      assertEquals(await count(h, "price_types"), 0, "nothing from the refused file stays");
    });

    await t.step("offers for products the catalog lacks are skipped and reported", async () => {
      // A catalog exists (gillbeits), but not the products these offers belong to.
      await imp("gillbeits__commerceml/tests/import.xml");
      const u = await imp("irpsv__commerceml/tests/assets/umi-cms/offers.xml");
      assertEquals(skipped(u, "offers"), 14);
      assertEquals(await count(h, "price_types"), 5);
      assert(u.warnings[0].includes("skipped"));
      const b = await imp("irpsv__commerceml/tests/assets/real-1c-ut101/offers.xml");
      assertEquals(skipped(b, "offers"), 103);
      assertEquals(await count(h, "offers"), 0);
    });

    await t.step(
      "order and counterparty documents are recognised, not imported as catalog",
      async () => {
        for (
          const rel of [
            "irpsv__commerceml/tests/assets/off-doc-1c/orders.xml",
            "carono__yii2-1c-exchange/files/xml/to.xml",
            "carono__yii2-1c-exchange/files/xml/from.xml",
            "dicrtarasov__yii2-exchange1c/doc/orders.xml",
            "dobromyslov__commerceml-parser/data/bitrix-query-response-full.xml",
            "ArgentCrusade__commerceml/tests/fixtures/contractors-example.xml",
            "ArgentCrusade__commerceml/tests/fixtures/documents-example.xml",
          ]
        ) {
          const r = await imp(rel);
          assert(["document", "counterparties"].includes(r.kind), `${rel}: ${r.kind}`);
          assertEquals(created(r, "products"), 0);
        }
        const empty = await imp(
          "dobromyslov__commerceml-parser/data/bitrix-query-response-empty.xml",
        );
        assertEquals(empty.kind, "empty");
      },
    );
  } finally {
    console.log(table.join("\n"));
    await h.close();
  }
});
