/**
 * PostgreSQL stopped and restarted in the middle of an exchange. The service runs as its own
 * process on a PostgreSQL of the test's own (tests/faults/private-postgres.ts), which the test
 * stops with `pg_ctl stop -m immediate` (every connection dropped at once, as a crash does)
 * right after 1C uploaded its catalog and a customer export was queued.
 *
 * While the database is down: every exchange request is still a protocol answer (HTTP 200,
 * `failure` with the reason — "Protocol errors are HTTP 200 + failure: any other status
 * aborts the whole 1C run"), none hangs, /readyz is 503 naming the database, /healthz 200, the
 * process stays up. After the restart: the pool and pg-boss recover by themselves, 1C's retry
 * of the exchange completes with the right catalog, and the job queued before the outage runs.
 *
 * Then the database is frozen (SIGSTOP: connections open, nothing answers — a failover, a
 * partition): checkauth, init and import still answer `failure` within their deadline.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import pg from "pg";
import { generateCatalog, productId, productName } from "../../src/commerceml/generator.ts";
import { FakeOnec } from "../customers/fakes/fake-onec.ts";
import { startPrivatePostgres } from "./private-postgres.ts";
import {
  freePort,
  onecClient,
  type ServiceProcess,
  startService,
  waitFor,
  waitReady,
} from "./service-process.ts";

const PRODUCTS = 300;
/** A request slower than this while the database is stopped counts as a hang. */
const ANSWER_WITHIN_MS = 8_000;
/** …and while it is frozen (the exchange's own deadline is 10 s). */
const FROZEN_ANSWER_WITHIN_MS = 20_000;

async function catalogFile(dir: string): Promise<string> {
  const cat = generateCatalog({ products: PRODUCTS });
  const path = `${dir}/import.xml`;
  await cat.importXml.pipeTo((await Deno.create(path)).writable);
  await cat.offersXml.cancel();
  return path;
}

/** One exchange request during the outage: a protocol answer, in time, never an error page. */
async function protocolAnswer(
  what: string,
  call: () => Promise<{ status: number; lines: string[]; headers: Headers }>,
): Promise<string[]> {
  const a = await call().catch((e) => {
    throw new Error(`${what}: no answer in time (${e})`);
  });
  assertEquals(a.status, 200, `${what}: ${a.lines.join(" | ")}`);
  assertMatch(a.headers.get("content-type") ?? "", /^text\/plain/, what);
  assert(
    a.lines[0] === "failure" || a.lines[0] === "progress",
    `${what}: expected failure or progress, got ${a.lines.join(" | ")}`,
  );
  assert(a.lines[1]?.length, `${what}: the answer gives a reason`);
  return a.lines;
}

Deno.test({
  name: "PostgreSQL stopped, restarted, frozen mid-exchange: protocol answers, 503, recovery",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "fault-pg-restart-" });
    const database = await startPrivatePostgres(freePort());
    const fake1c = new FakeOnec();
    let service: ServiceProcess | undefined;
    try {
      const file = await catalogFile(dir);
      service = startService({
        databaseUrl: database.url,
        env: {
          IMPORT_HEARTBEAT_SECONDS: "10",
          QUEUE_SUPERVISE_SECONDS: "2",
          ONEC_HTTP_URL: fake1c.url,
          ONEC_HTTP_TIMEOUT_SECONDS: "2",
          CUSTOMER_EXPORT_RETRY_DELAY_SECONDS: "1",
          // The export job waits this long before it may run: it is due during the outage.
          CUSTOMER_EXPORT_DEBOUNCE_SECONDS: "2",
        },
      });
      await waitReady(service);
      const s = service;

      // 1C: checkauth, init, the file; the platform registers a customer (a queued job).
      const client = onecClient(s, ANSWER_WITHIN_MS);
      assertEquals((await client.checkauth()).lines[0], "success");
      assertEquals((await client.init()).lines[0], "zip=no");
      await client.uploadFile("import.xml", file);
      const registered = await fetch(`${s.base}/api/v1/customers`, {
        method: "POST",
        headers: {
          Authorization: "Bearer dev-platform-token",
          "Content-Type": "application/json",
        },
        body: JSON.stringify({
          email: "outage@example.com",
          phone: "+7 912 000-00-07",
          customerType: "individual",
          firstName: "Ольга",
          lastName: "Сбоева",
        }),
      });
      assertEquals(registered.status, 201, await registered.clone().text());
      const customer: { id: string } = await registered.json();

      // The database goes away, connections and all.
      await database.stop("immediate");

      const outage: string[][] = [];
      outage.push(
        await protocolAnswer(
          "mode=import",
          () => client.call({ mode: "import", filename: "import.xml" }),
        ),
      );
      outage.push(
        await protocolAnswer(
          "mode=file",
          () =>
            client.call({ mode: "file", filename: "extra.xml" }, {
              method: "POST",
              body: new TextEncoder().encode('<?xml version="1.0"?><a/>'),
            }),
        ),
      );
      outage.push(
        await protocolAnswer("mode=init", () => client.call({ mode: "init" })),
      );
      // 1C gave up on this run; its next one starts with checkauth.
      const retry = onecClient(s, ANSWER_WITHIN_MS);
      outage.push(await protocolAnswer("mode=checkauth", () => retry.checkauth()));
      outage.push(
        await protocolAnswer(
          "mode=import again",
          () => client.call({ mode: "import", filename: "import.xml" }),
        ),
      );
      for (const lines of outage) {
        assertMatch(lines[1], /^temporary server error: /, lines.join(" | "));
      }

      const readyz = await fetch(`${s.base}/readyz`, {
        signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
      });
      assertEquals(readyz.status, 503);
      const why: { status: string; reason: string } = await readyz.json();
      assertEquals(why.status, "unavailable");
      assertMatch(why.reason, /^database unreachable: /);
      const healthz = await fetch(`${s.base}/healthz`, {
        signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
      });
      assertEquals([healthz.status, await healthz.json()], [200, { status: "ok" }]);

      // An API read is a 503 a client may retry (problem+json), not a hang or a 500.
      const read = await fetch(`${s.base}/api/v1/products`, {
        headers: { Authorization: "Bearer dev-reader-token" },
        signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
      });
      assertEquals(read.status, 503, `an API read during the outage: ${read.status}`);
      assertEquals(read.headers.get("retry-after"), "5");
      assertMatch(read.headers.get("content-type") ?? "", /application\/problem\+json/);
      assertMatch((await read.json()).detail, /database is unavailable/);

      // Let pg-boss's loops hit the outage a few times too (fetch, supervise, heartbeats).
      await new Promise((r) => setTimeout(r, 3000));
      let ended = false;
      s.exited.then(() => ended = true);
      assert(!ended, `the service exited during the outage:\n${s.tail()}`);

      assertEquals(fake1c.requests.length, 0, "the export ran before the outage");
      await database.start();

      // Ready again without a restart of the service.
      await waitFor(
        "readyz 200 after the restart",
        async () => {
          const r = await fetch(`${s.base}/readyz`, { signal: AbortSignal.timeout(5000) });
          await r.body?.cancel();
          return r.ok;
        },
        30_000,
        200,
      );

      // 1C's next run: checkauth, init, the file again, import until done.
      const again = onecClient(s, 30_000);
      assertEquals((await again.checkauth()).lines[0], "success");
      await again.init();
      await again.uploadFile("import.xml", file);
      const done = await again.importFile("import.xml", 600, 100);
      assertEquals(done.lines[0], "success", done.lines.join(" | "));
      assertMatch(done.lines[1], new RegExp(`products: ${PRODUCTS} created`));

      // The session of the interrupted run still works too: its import completes.
      const resumed = await client.importFile("import.xml", 600, 100);
      assertEquals(resumed.lines[0], "success", resumed.lines.join(" | "));

      const c = new pg.Client({ connectionString: database.url });
      await c.connect();
      try {
        const r = await c.query(
          "SELECT count(*)::int AS n, count(*) FILTER (WHERE is_active)::int AS active FROM products",
        );
        assertEquals(r.rows[0], { n: PRODUCTS, active: PRODUCTS });
        const p = await c.query("SELECT name FROM products WHERE onec_id = $1", [productId(7)]);
        assertEquals(p.rows[0]?.name, productName(7));
        const runs = await c.query(
          "SELECT status, count(*)::int AS n FROM import_runs GROUP BY status ORDER BY status",
        );
        assertEquals(runs.rows, [{ status: "success", n: 2 }]);
      } finally {
        await c.end();
      }

      // The export queued before the outage ran after it: 1C received the customer.
      await waitFor(
        "the customer export after the restart",
        async () => {
          const r = await fetch(`${s.base}/api/v1/customers/${customer.id}`, {
            headers: { Authorization: "Bearer dev-platform-token" },
          });
          const body: { syncStatus: string; onecId: string | null } = await r.json();
          return body.syncStatus === "synced" && body.onecId ? body : null;
        },
        30_000,
        200,
      );
      assertEquals(fake1c.about("outage@example.com").at(-1)?.status, 201);

      // Frozen instead of stopped (a failover, a partition): connections stay open and nothing
      // answers. Pooled connections would hold 1C until TCP gives up; the exchange's deadline
      // (routes/exchange.ts) answers `failure` instead.
      await database.freeze();
      try {
        const frozen = onecClient(s, FROZEN_ANSWER_WITHIN_MS);
        const answers = await Promise.all([
          protocolAnswer("frozen: mode=checkauth", () => frozen.checkauth()),
          protocolAnswer("frozen: mode=init", () =>
            again.call({ mode: "init" }, {
              signal: AbortSignal.timeout(FROZEN_ANSWER_WITHIN_MS),
            })),
          protocolAnswer(
            "frozen: mode=import",
            () =>
              again.call({ mode: "import", filename: "import.xml" }, {
                signal: AbortSignal.timeout(FROZEN_ANSWER_WITHIN_MS),
              }),
          ),
        ]);
        for (const lines of answers) {
          assertMatch(lines[1], /^temporary server error: /, lines.join(" | "));
        }
        const readyz = await fetch(`${s.base}/readyz`, {
          signal: AbortSignal.timeout(FROZEN_ANSWER_WITHIN_MS),
        });
        assertEquals(readyz.status, 503);
        assertMatch((await readyz.json()).reason, /^database unreachable: /);
      } finally {
        await database.thaw();
      }
      await waitReady(s);
      const after = onecClient(s, 30_000);
      assertEquals((await after.checkauth()).lines[0], "success");

      assert(!ended, `the service exited:\n${s.tail()}`);
      assert(!/Uncaught|panicked/.test(s.output.join("")), s.tail());
    } finally {
      await service?.kill();
      await fake1c.close();
      await database.destroy();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
