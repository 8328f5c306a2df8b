/**
 * SIGTERM (what Fly sends on a deploy or a scale-down) while work runs, the service being its
 * own process. src/main.ts stops accepting requests, gives running jobs 20 s to finish, then
 * hands them back to the queue; the next start resumes them.
 *
 * To stop in the middle deterministically, the test holds `LOCK TABLE products IN SHARE MODE`
 * before the import starts: the import opens its transaction, writes the classifier, and waits
 * at its first batch of products.
 *
 * - The lock outlasts the grace period (a job stuck in the database): the process still exits
 *   with 0 soon after the grace, nothing of the file is committed, and the next start imports
 *   it again: 1C's repeated `mode=import` ends `success` and the catalog equals a clean import.
 * - The lock is released within the grace period: the import finishes before the exit.
 * - A stock sync held by a slow marketplace finishes before the exit, likewise.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import pg from "pg";
import { createTestDatabase, dropTestDatabase } from "../helpers/harness.ts";
import { generateCatalog } from "../../src/commerceml/generator.ts";
import { OzonFake } from "../marketplaces/fakes/ozon-fake.ts";
import { catalogDigest, cleanImportDigest } from "./catalog-check.ts";
import {
  freePort,
  onecClient,
  type ServiceProcess,
  startService,
  waitFor,
  waitReady,
} from "./service-process.ts";

const PRODUCTS = 5000;
/** src/main.ts: running jobs get this long after SIGTERM. */
const GRACE_MS = 20_000;
/** How long after the grace the process may take to be gone. */
const EXIT_BOUND_MS = GRACE_MS + 15_000;

async function catalogFile(dir: string, seed: number): Promise<string> {
  const cat = generateCatalog({ products: PRODUCTS, seed });
  const path = `${dir}/import-${seed}.xml`;
  await cat.importXml.pipeTo((await Deno.create(path)).writable);
  await cat.offersXml.cancel();
  return path;
}

/** A transaction holding SHARE on products: imports wait at their first product batch. */
async function lockProducts(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query("BEGIN");
  await c.query("LOCK TABLE products IN SHARE MODE");
  return c;
}

/** Some session of the service's database is waiting for a lock (the import, on ours). */
async function importWaitingOnLock(db: pg.Client): Promise<void> {
  await waitFor("the import waiting at the products lock", async () => {
    const r = await db.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    return r.rows[0].n > 0;
  });
}

/**
 * A 1C session whose import of `file` has started and waits at a lock on products, held by the
 * returned client until it commits.
 */
async function importStuckOnLock(
  service: ServiceProcess,
  db: pg.Client,
  url: string,
  file: string,
): Promise<{ client: ReturnType<typeof onecClient>; lock: pg.Client }> {
  const client = onecClient(service, 30_000);
  assertEquals((await client.checkauth()).lines[0], "success");
  await client.init();
  await client.uploadFile("import.xml", file);
  const lock = await lockProducts(url);
  try {
    const a = await client.call({ mode: "import", filename: "import.xml" });
    assertEquals(a.lines[0], "progress", a.lines.join(" | "));
    await importWaitingOnLock(db);
  } catch (e) {
    await lock.query("COMMIT");
    await lock.end();
    throw e;
  }
  return { client, lock };
}

/** Asserts the process has not exited half a second after SIGTERM: it waits for `work`. */
async function stillRunning(s: ServiceProcess, work: string): Promise<void> {
  let ended = false;
  s.exited.then(() => ended = true);
  await new Promise((r) => setTimeout(r, 500));
  assert(!ended, `exited before its running ${work} finished:\n${s.tail()}`);
}

/** The process's exit status, or a failure naming what it last logged. */
async function exitedWithin(s: ServiceProcess, ms: number): Promise<Deno.CommandStatus> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((r) => timer = setTimeout(() => r(null), ms));
  const status = await Promise.race([s.exited, late]);
  clearTimeout(timer);
  assert(status, `the service did not exit within ${ms} ms of SIGTERM:\n${s.tail()}`);
  return status;
}

/** SIGTERM, then wait until it logged that it is shutting down. */
async function terminate(s: ServiceProcess): Promise<void> {
  s.child.kill("SIGTERM");
  await waitFor(
    "the shutdown to begin",
    () => Promise.resolve(s.output.join("").includes("shutting down")),
  );
}

Deno.test({
  name: "SIGTERM during an import and a stock sync: graceful, and the work resumes",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const url = await createTestDatabase("fault_sigterm");
    const dir = await Deno.makeTempDir({ prefix: "fault-sigterm-" });
    const ozon = new OzonFake().start();
    ozon.warehouses = [{ warehouse_id: 7, name: "Склад", is_rfbs: false, status: "created" }];
    ozon.stocks.set("7", [{
      sku: 1789000001,
      product_id: 1001,
      offer_id: "A-1",
      warehouse_id: 7,
      present: 4,
      reserved: 1,
      free_stock: 3,
    }]);
    const port = freePort();
    const start = () =>
      startService({
        databaseUrl: url,
        port,
        env: {
          LOG_LEVEL: "info",
          IMPORT_HEARTBEAT_SECONDS: "10",
          QUEUE_SUPERVISE_SECONDS: "2",
          OZON_CLIENT_ID: ozon.clientId,
          OZON_API_KEY: ozon.apiKey,
          OZON_BASE_URL: ozon.url,
          MARKETPLACE_PACING_SCALE: "0",
          MARKETPLACE_RETRY_BASE_MS: "20",
        },
      });
    let service = start();
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const [first, second] = [await catalogFile(dir, 1), await catalogFile(dir, 2)];
      await waitReady(service);

      await t.step(
        "stuck past the grace: exits 0, nothing applied, resumed on restart",
        async () => {
          const { client, lock } = await importStuckOnLock(service, db, url, first);
          try {
            await terminate(service);
            const status = await exitedWithin(service, EXIT_BOUND_MS);
            assertEquals(status.code, 0, service.tail());
            const logs = service.output.join("");
            assertMatch(logs, /work still stuck in the database; exiting anyway/);
            assertMatch(logs, /"msg":"stopped"/);
            // Still holding the lock: whatever the import wrote is uncommitted, invisible.
            const r = await lock.query("SELECT count(*)::int AS n FROM products");
            assertEquals(r.rows[0].n, 0, "an interrupted import left products behind");
          } finally {
            await lock.query("COMMIT");
            await lock.end();
          }

          // The next start: pg-boss hands the job out again; 1C's repeats see it through.
          service = start();
          await waitReady(service);
          const done = await client.importFile("import.xml", 600, 100);
          assertEquals(done.lines[0], "success", done.lines.join(" | "));
          const run = await db.query(
            "SELECT status, attempt FROM import_runs ORDER BY id DESC LIMIT 1",
          );
          assertEquals(run.rows[0].status, "success");
          assert(run.rows[0].attempt >= 2, "the job ran again after the restart");
          const [after, clean] = [
            await catalogDigest(url),
            await cleanImportDigest(first, "fault_sigterm_clean"),
          ];
          assertEquals(after.products, PRODUCTS);
          assertEquals(after, clean);
        },
      );

      await t.step("released within the grace: the import finishes, then the exit", async () => {
        const { lock } = await importStuckOnLock(service, db, url, second);
        try {
          await terminate(service);
          // The import cannot finish while the lock is held, so neither can the process.
          await stillRunning(service, "import");
        } finally {
          await lock.query("COMMIT");
          await lock.end();
        }
        const status = await exitedWithin(service, EXIT_BOUND_MS);
        assertEquals(status.code, 0, service.tail());
        const run = await db.query(
          "SELECT status, attempt, counts FROM import_runs ORDER BY id DESC LIMIT 1",
        );
        assertEquals([run.rows[0].status, run.rows[0].attempt], ["success", 1]);
        assertEquals(run.rows[0].counts.products.created, PRODUCTS);
        // A full file: the first catalog's products are inactive now, the second's active.
        const p = await db.query(
          "SELECT count(*)::int AS n, count(*) FILTER (WHERE is_active)::int AS active FROM products",
        );
        assertEquals(p.rows[0], { n: 2 * PRODUCTS, active: PRODUCTS });
      });

      await t.step("a stock sync held by a slow marketplace finishes before the exit", async () => {
        service = start();
        await waitReady(service);
        ozon.gate.close();
        const res = await fetch(`${service.base}/api/v1/stock-syncs`, {
          method: "POST",
          headers: { Authorization: "Bearer dev-admin-token", "Content-Type": "application/json" },
          body: JSON.stringify({ source: "ozon", kind: "read" }),
        });
        assertEquals(res.status, 202, await res.clone().text());
        const run: { id: number } = await res.json();
        try {
          await waitFor("Ozon holding a request", () => Promise.resolve(ozon.arrived.length > 0));
          await terminate(service);
          await stillRunning(service, "sync");
        } finally {
          ozon.gate.open();
        }
        const status = await exitedWithin(service, EXIT_BOUND_MS);
        assertEquals(status.code, 0, service.tail());
        const row = await db.query(
          "SELECT status, records_updated FROM stock_sync_runs WHERE id = $1",
          [run.id],
        );
        assertEquals(row.rows[0], { status: "success", records_updated: 1 });
      });
    } finally {
      await service.kill();
      await db.end();
      await ozon.close();
      await Deno.remove(dir, { recursive: true });
      await dropTestDatabase(url);
    }
  },
});
