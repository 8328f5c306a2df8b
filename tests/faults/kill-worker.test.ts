/**
 * kill -9 of the service in the middle of a large catalog import, then a fresh start: the job
 * is retried and the catalog ends exactly as after a clean import — no duplicates, nothing
 * half-applied, nothing deactivated by the interrupted run. Real processes, real Postgres.
 */
import { assert, assertEquals } from "@std/assert";
import pg from "pg";
import { createTestDatabase, dropTestDatabase } from "../helpers/harness.ts";
import { generateCatalog } from "../../src/commerceml/generator.ts";
import { catalogDigest, cleanImportDigest } from "./catalog-check.ts";
import { freePort, onecClient, startService, waitReady } from "./service-process.ts";

const PRODUCTS = 15_000;

function start(url: string, port: number) {
  return startService({
    databaseUrl: url,
    port,
    env: {
      // Find the dead worker's job quickly (production: 30 s heartbeat, 15 s supervise).
      IMPORT_HEARTBEAT_SECONDS: "10",
      QUEUE_SUPERVISE_SECONDS: "2",
    },
  });
}

Deno.test("kill -9 during a catalog import: retried, and the result equals a clean import", async () => {
  const url = await createTestDatabase("fault_kill");
  const dir = await Deno.makeTempDir();
  const port = freePort();
  let service = start(url, port);
  try {
    const cat = generateCatalog({ products: PRODUCTS });
    await cat.importXml.pipeTo((await Deno.create(`${dir}/import.xml`)).writable);
    await cat.offersXml.cancel();

    await waitReady(service);
    const client = onecClient(service);
    assertEquals((await client.checkauth()).lines[0], "success");
    await client.init();
    await client.uploadFile("import.xml", `${dir}/import.xml`);
    assertEquals(
      (await client.call({ mode: "import", filename: "import.xml" })).lines[0],
      "progress",
    );

    // Wait until the import has written batches (inside its transaction), then kill -9.
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      for (let i = 0;; i++) {
        const r = await db.query("SELECT status, counts FROM import_runs ORDER BY id DESC LIMIT 1");
        const done = r.rows[0]?.counts?.products?.created ?? 0;
        if (r.rows[0]?.status === "running" && done > 0) break;
        assert(r.rows[0]?.status !== "success", "the import finished before it could be killed");
        assert(i < 600, "the import never started");
        await new Promise((r) => setTimeout(r, 20));
      }
      await service.kill();
      // Its transaction died with it: nothing of the file is visible.
      await new Promise((r) => setTimeout(r, 300));
      const partial = await db.query("SELECT count(*)::int AS n FROM products");
      assertEquals(partial.rows[0].n, 0, "a killed import left rows behind");
    } finally {
      await db.end();
    }

    // A fresh start; 1C keeps asking (same session: sessions live in Postgres).
    service = start(url, port);
    await waitReady(service);
    const answer = await client.importFile("import.xml", 2000, 100);
    assertEquals(answer.lines[0], "success", answer.lines.join(" | "));

    const check = new pg.Client({ connectionString: url });
    await check.connect();
    const run = await check.query(
      "SELECT attempt, status FROM import_runs ORDER BY id DESC LIMIT 1",
    );
    await check.end();
    assertEquals(run.rows[0].status, "success");
    assert(run.rows[0].attempt >= 2, "the job ran again after the kill");

    // The same file imported cleanly elsewhere gives the same catalog.
    const [after, clean] = [
      await catalogDigest(url),
      await cleanImportDigest(`${dir}/import.xml`, "fault_clean"),
    ];
    assertEquals(after.products, PRODUCTS);
    assertEquals(after.inactive, 0, "nothing deactivated by the interrupted run");
    assertEquals(after, clean);
  } finally {
    await service.kill();
    await Deno.remove(dir, { recursive: true });
    await dropTestDatabase(url);
  }
});
