/**
 * kill -9 of the service in the middle of a large catalog import, then a fresh start: the job
 * is retried and the catalog ends exactly as after a clean import — no duplicates, nothing
 * half-applied, nothing deactivated by the interrupted run. Real processes, real Postgres.
 */
import { assert, assertEquals } from "@std/assert";
import pg from "pg";
import { createTestDatabase, dropTestDatabase } from "../helpers/harness.ts";
import { OneCClient } from "../../src/onec/exchange-client.ts";
import { generateCatalog } from "../../src/commerceml/generator.ts";
import { importStream } from "../../src/catalog/import-stream.ts";
import { readFileChunks } from "../../src/exchange/local-file.ts";
import { createDb, createPool } from "../../db/pool.ts";
import { migrateToLatest } from "../../db/migrate.ts";
import type { Kysely } from "kysely";

const root = new URL("../../", import.meta.url).pathname;
const PRODUCTS = 15_000;

function startService(url: string, port: number): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "src/main.ts"],
    cwd: root,
    env: {
      DATABASE_URL: url,
      PORT: String(port),
      LOG_LEVEL: "warn",
      EXCHANGE_ZIP: "no",
      // Find the dead worker's job quickly (production: 30 s heartbeat, 15 s supervise).
      IMPORT_HEARTBEAT_SECONDS: "10",
      QUEUE_SUPERVISE_SECONDS: "2",
    },
    stdout: "null",
    stderr: "null",
  }).spawn();
}

async function ready(base: string) {
  for (let i = 0; i < 300; i++) {
    try {
      const r = await fetch(`${base}/readyz`);
      await r.body?.cancel();
      if (r.ok) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the service did not become ready");
}

/** Everything the catalog holds, as one digest. */
async function catalogDigest(url: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query(
      `SELECT (SELECT count(*) FROM products)::int AS products,
         (SELECT count(*) FROM products WHERE NOT is_active)::int AS inactive,
         (SELECT count(*) FROM groups)::int AS groups,
         (SELECT md5(string_agg(onec_id || '|' || name || '|' || coalesce(sku, '') || '|' ||
            array_to_string(group_ids, ',') || '|' || hash, ',' ORDER BY onec_id)) FROM products) AS digest`,
    );
    return r.rows[0];
  } finally {
    await c.end();
  }
}

Deno.test("kill -9 during a catalog import: retried, and the result equals a clean import", async () => {
  const url = await createTestDatabase("fault_kill");
  const cleanUrl = await createTestDatabase("fault_clean");
  const dir = await Deno.makeTempDir();
  const port = 19500 + Math.floor(Math.random() * 400);
  const base = `http://127.0.0.1:${port}`;
  let service = startService(url, port);
  try {
    const cat = generateCatalog({ products: PRODUCTS });
    await cat.importXml.pipeTo((await Deno.create(`${dir}/import.xml`)).writable);
    await cat.offersXml.cancel();

    await ready(base);
    const client = new OneCClient((input, init) => fetch(base + input, init));
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
      service.kill("SIGKILL");
      await service.status;
      // Its transaction died with it: nothing of the file is visible.
      await new Promise((r) => setTimeout(r, 300));
      const partial = await db.query("SELECT count(*)::int AS n FROM products");
      assertEquals(partial.rows[0].n, 0, "a killed import left rows behind");
    } finally {
      await db.end();
    }

    // A fresh start; 1C keeps asking (same session: sessions live in Postgres).
    service = startService(url, port);
    await ready(base);
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
    const pool = createPool(cleanUrl, 2);
    const cleanDb = createDb(pool);
    await migrateToLatest(cleanDb as unknown as Kysely<unknown>);
    const conn = await pool.connect();
    await importStream({
      client: conn,
      source: readFileChunks(`${dir}/import.xml`),
      runId: "1",
      batchSize: 1000,
      threaded: false,
    });
    conn.release();
    await cleanDb.destroy();
    const [after, clean] = [await catalogDigest(url), await catalogDigest(cleanUrl)];
    assertEquals(after.products, PRODUCTS);
    assertEquals(after.inactive, 0, "nothing deactivated by the interrupted run");
    assertEquals(after, clean);
  } finally {
    try {
      service.kill("SIGKILL");
      await service.status;
    } catch { /* already stopped */ }
    await Deno.remove(dir, { recursive: true });
    await dropTestDatabase(url);
    await dropTestDatabase(cleanUrl);
  }
});
