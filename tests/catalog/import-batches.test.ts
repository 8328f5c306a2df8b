import { assertEquals } from "@std/assert";
import { readCommerceML } from "../../src/commerceml/reader.ts";
import {
  type ImportBatch,
  importBatches,
  type OfferBatch,
  parserInput,
  type ProductBatch,
} from "../../src/catalog/import-batches.ts";
import { copyColumns } from "../../src/catalog/copy-text.ts";

async function* bytes(xml: string): AsyncIterable<Uint8Array> {
  yield new TextEncoder().encode(xml);
}

async function batches(xml: string, size: number): Promise<ImportBatch[]> {
  const out: ImportBatch[] = [];
  for await (const b of importBatches(readCommerceML(parserInput(bytes(xml))), size)) out.push(b);
  return out;
}

const HEAD = `<?xml version="1.0" encoding="UTF-8"?><КоммерческаяИнформация ВерсияСхемы="2.08">`;
const product = (id: string, name: string) =>
  `<Товар><Ид>${id}</Ид><Наименование>${name}</Наименование></Товар>`;
const offer = (id: string, price: string) =>
  `<Предложение><Ид>${id}</Ид><Наименование>${id}</Наименование><Цены><Цена>` +
  `<ИдТипаЦены>t</ИдТипаЦены><ЦенаЗаЕдиницу>${price}</ЦенаЗаЕдиницу></Цена></Цены></Предложение>`;

Deno.test("an Ид listed twice in one batch keeps its last record, lines and columns in step", async () => {
  const xml = HEAD + `<Каталог><Товары>` + product("a", "first a") + product("b", "b") +
    product("a", "second a\tтаб") + product("c", "c") +
    `</Товары></Каталог></КоммерческаяИнформация>`;
  const [products] = (await batches(xml, 10)).filter((b) =>
    b.type === "products"
  ) as ProductBatch[];
  assertEquals(products.ids, ["b", "a", "c"]);
  const lines = copyColumns(products.lines, 17);
  assertEquals(lines[0], ["b", "a", "c"]);
  assertEquals(lines[3], ["b", "second a\tтаб", "c"]);
  assertEquals(lines[16], products.hashes, "each line carries its own hash");
  assertEquals(
    [...products.ends],
    [1, 2, 3].map((n) =>
      new TextEncoder().encode(
        new TextDecoder().decode(products.lines).split("\n").slice(0, n).join("\n") + "\n",
      ).length
    ),
  );
});

Deno.test("offers listed twice: prices follow the surviving offer", async () => {
  const xml = HEAD + `<ПакетПредложений><Предложения>` + offer("x", "1") + offer("y", "2") +
    offer("x", "3") + `</Предложения></ПакетПредложений></КоммерческаяИнформация>`;
  const [offers] = (await batches(xml, 10)).filter((b) => b.type === "offers") as OfferBatch[];
  assertEquals(offers.ids, ["y", "x"]);
  assertEquals(copyColumns(offers.prices, 5)[2], ["2", "3"]);
  assertEquals(offers.priceEnds.length, 2);
  // Rows end with a tab: the writer adds the product once it is known.
  const rows = [...offers.rowEnds].map((end, i) =>
    new TextDecoder().decode(offers.rows.subarray(i === 0 ? 0 : offers.rowEnds[i - 1], end))
  );
  assertEquals(rows.map((r) => r.split("\t")[0]), ["y", "x"]);
  assertEquals(rows.map((r) => r.split("\t")[7]), offers.hashes);
});

Deno.test("the same content gives the same hashes, another price another prices hash only", async () => {
  const file = (price: string) =>
    HEAD + `<ПакетПредложений><Предложения>` + offer("x", price) +
    `</Предложения></ПакетПредложений></КоммерческаяИнформация>`;
  const one = async (
    price: string,
  ) => ((await batches(file(price), 10)).find((b) => b.type === "offers") as OfferBatch);
  const [a, b, c] = [await one("1"), await one("1"), await one("2")];
  assertEquals(a.hashes, b.hashes);
  assertEquals(a.pricesHashes, b.pricesHashes);
  assertEquals(c.hashes, a.hashes, "the offer's own fields did not change");
  assertEquals(c.pricesHashes[0] === a.pricesHashes[0], false);
});
