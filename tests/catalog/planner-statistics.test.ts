/**
 * A first import of many rows leaves Postgres with fresh statistics before 1C hears `success`,
 * so the reads that follow are planned for the real table sizes (src/catalog/planner-statistics.ts).
 */
import { assert, assertEquals } from "@std/assert";
import { createHarness } from "../helpers/harness.ts";
import { inProcess, OneCClient } from "../../src/onec/exchange-client.ts";
import { generateCatalog } from "../../src/commerceml/generator.ts";

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("an import that adds thousands of rows refreshes the planner's statistics", async () => {
  const h = await createHarness("planner_stats");
  try {
    const cat = generateCatalog({ products: 1500 });
    const c = new OneCClient(inProcess(h.app));
    await c.checkauth();
    await c.init();
    await c.upload("import.xml", await bytesOf(cat.importXml));
    await c.upload("offers.xml", await bytesOf(cat.offersXml));
    for (const name of ["import.xml", "offers.xml"]) {
      assertEquals((await c.importFile(name, 2000, 50)).lines[0], "success");
    }
    const r = await h.ctx.pool.query(
      `SELECT relname, reltuples FROM pg_class
       WHERE relname IN ('products', 'offers', 'prices', 'stocks') ORDER BY relname`,
    );
    // -1 means "never analyzed" (Postgres 14+): the planner would guess from the file size.
    for (const row of r.rows) assert(row.reltuples >= 1000, `${row.relname}: ${row.reltuples}`);
    assertEquals(r.rows.length, 4);
  } finally {
    await h.close();
  }
});
