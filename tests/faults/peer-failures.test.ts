/**
 * The peers misbehaving: 1C's HTTP service (customer export) and the Ozon / Wildberries APIs
 * (stock sync) hang without answering, drop the connection, cut an answer in the middle of its
 * body, or answer garbage (an HTML page, truncated JSON, JSON of another shape) — through a
 * fault-injecting proxy on a real socket (tests/faults/faulty-peer.ts) in front of the usual
 * fakes. What tests/marketplaces/failures.test.ts, http-client.test.ts and
 * tests/customers/export.test.ts already cover (HTTP status codes, 429s, a late answer,
 * invalid records) is not repeated.
 *
 * Each fault: the call ends within its timeout, retryable ones are retried with backoff
 * (pg-boss's retry of the export job; the marketplace client's own attempts), garbage fails at
 * once with a message naming it, and work that does not need the peer carries on meanwhile.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { createHarness, type Harness } from "../helpers/harness.ts";
import { inProcess, OneCClient } from "../../src/onec/exchange-client.ts";
import { CUSTOMER_QUEUES } from "../../src/customers/queues.ts";
import { FakeOnec } from "../customers/fakes/fake-onec.ts";
import { OzonFake } from "../marketplaces/fakes/ozon-fake.ts";
import { WildberriesFake } from "../marketplaces/fakes/wildberries-fake.ts";
import { api, type RunBody, syncNow, waitForRun } from "../marketplaces/helpers.ts";
import { importXml, P1 } from "../fixtures/catalog-v208.ts";
import { type Arrival, FaultyPeer } from "./faulty-peer.ts";
import { waitFor } from "./service-process.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const PLATFORM = "dev-platform-token";
const WH = 1020000111222000;
const RETRY_BASE_MS = 300;
/**
 * Gaps between arrivals are compared with lower bounds only (never "at most"): the timeout
 * runs from the moment the request left, a little before it arrived whole at the peer.
 */
const SLACK_MS = 100;

function fillOzon(fake: OzonFake) {
  fake.warehouses = [{ warehouse_id: WH, name: "Склад", is_rfbs: false, status: "created" }];
  fake.stocks.set(
    String(WH),
    Array.from({ length: 5 }, (_, i) => ({
      sku: 1789000000 + i,
      product_id: 1000 + i,
      offer_id: `A-${i}`,
      warehouse_id: WH,
      present: 10,
      reserved: 0,
      free_stock: 10,
    })),
  );
  fake.products = Array.from({ length: 5 }, (_, i) => ({
    product_id: 1000 + i,
    offer_id: `A-${i}`,
    sku: 1789000000 + i,
  }));
}

interface Peers {
  onec: FakeOnec;
  ozon: OzonFake;
  wb: WildberriesFake;
  onecPeer: FaultyPeer;
  ozonPeer: FaultyPeer;
  wbPeer: FaultyPeer;
}

function startPeers(): Peers {
  const onec = new FakeOnec();
  const ozon = new OzonFake().start();
  fillOzon(ozon);
  const wb = new WildberriesFake().start();
  wb.warehouses = [{ id: 1001, name: "Склад", officeId: 15, cargoType: 1, deliveryType: 1 }];
  return {
    onec,
    ozon,
    wb,
    onecPeer: new FaultyPeer(new URL(onec.url).origin),
    ozonPeer: new FaultyPeer(ozon.url),
    wbPeer: new FaultyPeer(wb.url),
  };
}

async function stopPeers(p: Peers) {
  for (const peer of [p.onecPeer, p.ozonPeer, p.wbPeer]) await peer.close();
  await p.onec.close();
  await p.ozon.close();
  await p.wb.close();
}

function peerEnv(p: Peers, extra: Record<string, string>): Record<string, string> {
  return {
    ONEC_HTTP_URL: `${p.onecPeer.url}/hs/site`,
    CUSTOMER_EXPORT_RETRY_LIMIT: "3",
    // pg-boss backoff: the retry after attempt n waits [1·2^(n-1), 2·2^(n-1)) s.
    CUSTOMER_EXPORT_RETRY_DELAY_SECONDS: "1",
    CUSTOMER_EXPORT_DEBOUNCE_SECONDS: "0",
    OZON_CLIENT_ID: p.ozon.clientId,
    OZON_API_KEY: p.ozon.apiKey,
    OZON_BASE_URL: p.ozonPeer.url,
    WB_TOKEN: p.wb.token,
    WB_MARKETPLACE_BASE_URL: p.wbPeer.url,
    WB_ANALYTICS_BASE_URL: p.wbPeer.url,
    WB_CONTENT_BASE_URL: p.wbPeer.url,
    MARKETPLACE_RETRY_BASE_MS: String(RETRY_BASE_MS),
    MARKETPLACE_PACING_SCALE: "0",
    ...extra,
  };
}

async function expectJson(res: Response, status: number): Promise<Json> {
  const text = await res.text();
  assertEquals(res.status, status, text);
  return text ? JSON.parse(text) : null;
}

async function register(h: Harness, email: string): Promise<string> {
  const res = await h.app.request("/api/v1/customers", {
    method: "POST",
    headers: { Authorization: `Bearer ${PLATFORM}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      email,
      customerType: "individual",
      firstName: "Тест",
      lastName: "Сбой",
    }),
  });
  return (await expectJson(res, 201)).id;
}

async function customer(h: Harness, id: string): Promise<Json> {
  return await expectJson(
    await h.app.request(`/api/v1/customers/${id}`, {
      headers: { Authorization: `Bearer ${PLATFORM}` },
    }),
    200,
  );
}

/** The customer once its export settled: synced, or refused (retries keep it `pending`). */
async function settled(h: Harness, id: string): Promise<Json> {
  return await waitFor(`customer ${id} settled`, async () => {
    const c = await customer(h, id);
    return (c.syncStatus === "synced" && !c.needs1cExport) || c.syncStatus === "error" ? c : null;
  });
}

async function exportAttempts(h: Harness, id: string): Promise<Json[]> {
  const log = await expectJson(
    await h.app.request(`/api/v1/customers/${id}/sync-log`, {
      headers: { Authorization: `Bearer ${PLATFORM}` },
    }),
    200,
  );
  return log.items.filter((i: Json) => i.operation === "export_to_1c")
    .sort((a: Json, b: Json) => a.details.attempt - b.details.attempt);
}

const gaps = (arrivals: Arrival[]) => arrivals.slice(1).map((a, i) => a.at - arrivals[i].at);

Deno.test({
  name: "peers that hang, drop, cut and answer garbage: timeouts, backoff, named errors",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const p = startPeers();
    let h: Harness | undefined;
    try {
      h = await createHarness("fault_peers", {
        env: peerEnv(p, { ONEC_HTTP_TIMEOUT_SECONDS: "1", MARKETPLACE_HTTP_TIMEOUT_MS: "1000" }),
      });
      const harness = h;

      await t.step("1C hangs: each attempt ends at the timeout, retried with backoff", async () => {
        p.onecPeer.script(null, { kind: "hang" }, { kind: "hang" });
        const from = p.onecPeer.arrivals.length;
        const id = await register(harness, "hang@example.com");
        const c = await settled(harness, id);
        assertEquals(c.syncStatus, "synced");
        const seen = p.onecPeer.arrivals.slice(from);
        assertEquals(seen.map((a) => a.fault), ["hang", "hang", "pass"]);
        const attempts = await exportAttempts(harness, id);
        assertEquals(
          attempts.map((a) => [a.details.attempt, a.status, a.errorMessage]),
          [
            [1, "error", "1C did not answer within 1 s"],
            [2, "error", "1C did not answer within 1 s"],
            [3, "success", null],
          ],
        );
        // Timeout (1 s) + pg-boss's backoff: at least 1 s after the first failure, 2 s after
        // the second.
        const [first, second] = gaps(seen);
        assert(first >= 2000 - SLACK_MS, `first retry after ${first} ms`);
        assert(second >= 3000 - SLACK_MS, `second retry after ${second} ms`);
        const job = await harness.ctx.boss.getJobById(
          CUSTOMER_QUEUES.export.name,
          attempts[2].details.jobId,
        );
        assertEquals(
          [job?.state, job?.retryCount, job?.retryDelay, job?.retryBackoff],
          ["completed", 2, 1, true],
        );
        p.onecPeer.release();
      });

      await t.step("1C drops the connection, then cuts its answer: retried, named", async () => {
        p.onecPeer.script(null, { kind: "drop" }, { kind: "cut" });
        const from = p.onecPeer.arrivals.length;
        const id = await register(harness, "reset@example.com");
        const c = await settled(harness, id);
        assertEquals(c.syncStatus, "synced");
        assertEquals(p.onecPeer.arrivals.slice(from).map((a) => a.fault), ["drop", "cut", "pass"]);
        const attempts = await exportAttempts(harness, id);
        assertEquals(attempts.map((a) => a.status), ["error", "error", "success"]);
        // The reason, not just fetch's "fetch failed" (its cause is appended).
        assertMatch(attempts[0].errorMessage, /^could not reach 1C: .*connection closed/);
        assertMatch(attempts[1].errorMessage, /^could not reach 1C: error reading a body/);
        for (const a of attempts.slice(0, 2)) assertEquals(a.details.retriable, true);
      });

      await t.step(
        "1C answers garbage with 200: rejected at once, the message shows it",
        async () => {
          const garbage = [
            { type: "text/html", body: "<html><body><h1>Вход в систему</h1></body></html>" },
            { type: "application/json", body: '{"id": "onec-' },
            { type: "application/json", body: '{"result": {"ref": "onec-9"}}' },
          ];
          for (const [i, g] of garbage.entries()) {
            p.onecPeer.script(null, {
              kind: "raw",
              status: 200,
              contentType: g.type,
              body: g.body,
            });
            const from = p.onecPeer.arrivals.length;
            const id = await register(harness, `garbage${i}@example.com`);
            const c = await settled(harness, id);
            assertEquals(c.syncStatus, "error");
            assertEquals(
              c.syncErrorMessage,
              `1C answered 200 without {"id": "<Ид>"}: ${g.body}`,
            );
            assertEquals(p.onecPeer.arrivals.length - from, 1, "a broken contract is not retried");
            const [attempt] = await exportAttempts(harness, id);
            assertEquals(attempt.details.permanent, true);
          }
        },
      );

      await t.step(
        "Ozon hangs: three attempts, each ended by the timeout, backed off",
        async () => {
          p.ozonPeer.otherwise = { kind: "hang" };
          const from = p.ozonPeer.arrivals.length;
          const run = await syncNow(harness, "ozon");
          p.ozonPeer.otherwise = { kind: "pass" };
          p.ozonPeer.release();
          assertEquals(run.status, "failed");
          assertEquals(
            run.errorMessage,
            "Ozon /v2/warehouse/list: no answer within 1000 ms (gave up after 3 attempts)",
          );
          const seen = p.ozonPeer.arrivals.slice(from);
          assertEquals(seen.length, 3);
          // Timeout + the client's backoff (base·2^(n-1), ±25 %).
          const [first, second] = gaps(seen);
          assert(first >= 1000 + 0.75 * RETRY_BASE_MS - SLACK_MS, `2nd attempt after ${first} ms`);
          assert(second >= 1000 + 1.5 * RETRY_BASE_MS - SLACK_MS, `3rd attempt after ${second} ms`);
        },
      );

      await t.step(
        "Ozon drops and cuts: retried; a good answer after them is a success",
        async () => {
          p.ozonPeer.script(null, { kind: "drop" }, { kind: "cut" });
          const ok = await syncNow(harness, "ozon");
          assertEquals(ok.status, "success", ok.errorMessage ?? "");

          p.ozonPeer.script(null, { kind: "cut" }, { kind: "drop" }, { kind: "cut" });
          const failed = await syncNow(harness, "ozon");
          assertEquals(failed.status, "failed");
          assertMatch(
            failed.errorMessage!,
            /^Ozon \/v2\/warehouse\/list: .+ \(gave up after 3 attempts\)$/,
          );
        },
      );

      await t.step("Ozon answers garbage: the run fails at once naming the answer", async () => {
        const cases: [string, string, RegExp][] = [
          [
            "text/html",
            "<!DOCTYPE html><html><body>Технические работы</body></html>",
            /^Ozon \/v2\/warehouse\/list: the answer is not JSON$/,
          ],
          [
            "application/json",
            '{"warehouses": [{"warehouse_id": 1',
            /^Ozon \/v2\/warehouse\/list: the answer is not JSON$/,
          ],
          [
            "application/json",
            '{"result": "maintenance"}',
            /^Ozon \/v2\/warehouse\/list: the answer has no warehouses\[\] list$/,
          ],
        ];
        for (const [type, body, message] of cases) {
          p.ozonPeer.script(null, { kind: "raw", status: 200, contentType: type, body });
          const from = p.ozonPeer.arrivals.length;
          const run = await syncNow(harness, "ozon");
          assertEquals(run.status, "failed");
          assertMatch(run.errorMessage!, message);
          assertEquals(p.ozonPeer.arrivals.length - from, 1, "garbage is not retried");
        }
        // Untouched by all of it: a later clean run reads everything.
        const ok = await syncNow(harness, "ozon");
        assertEquals(ok.status, "success", ok.errorMessage ?? "");
      });

      await t.step("Wildberries: a dropped connection is retried, an HTML page fails", async () => {
        p.wbPeer.script(null, { kind: "drop" });
        const ok = await syncNow(harness, "wildberries");
        assertEquals(ok.status, "success", ok.errorMessage ?? "");
        assertEquals(p.wbPeer.arrivals[0].fault, "drop");

        p.wbPeer.script(null, {
          kind: "raw",
          status: 200,
          contentType: "text/html",
          body: "<html>502 Bad Gateway</html>",
        });
        const failed = await syncNow(harness, "wildberries");
        assertEquals(failed.status, "failed");
        assertMatch(failed.errorMessage!, /^Wildberries \/\S+: the answer is not JSON$/);
      });
    } finally {
      await h?.close();
      await stopPeers(p);
    }
  },
});

Deno.test({
  name: "while 1C and Ozon hang, a catalog exchange and API reads complete",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const p = startPeers();
    p.onecPeer.otherwise = { kind: "hang" };
    p.ozonPeer.otherwise = { kind: "hang" };
    let h: Harness | undefined;
    try {
      // Long timeouts: the peers are still hanging, within their first attempt, throughout.
      h = await createHarness("fault_peers_busy", {
        env: peerEnv(p, { ONEC_HTTP_TIMEOUT_SECONDS: "60", MARKETPLACE_HTTP_TIMEOUT_MS: "60000" }),
      });
      const harness = h;
      const customerId = await register(harness, "stuck@example.com");
      const started: RunBody = await expectJson(
        await api(harness, "POST", "/api/v1/stock-syncs", { source: "ozon", kind: "read" }),
        202,
      );
      await waitFor(
        "both peers holding a request",
        () => Promise.resolve(p.onecPeer.hanging === 1 && p.ozonPeer.hanging === 1),
      );

      // Meanwhile: 1C's catalog exchange, start to end, and reads of the API.
      const client = new OneCClient(inProcess(harness.app));
      assertEquals((await client.checkauth()).lines[0], "success");
      await client.init();
      await client.upload("import.xml", new TextEncoder().encode(importXml()));
      const done = await client.importFile("import.xml", 500, 20);
      assertEquals(done.lines[0], "success", done.lines.join(" | "));
      const product = await expectJson(
        await api(harness, "GET", `/api/v1/products/${P1}`, undefined, "dev-reader-token"),
        200,
      );
      assertEquals(product.name, "Дрель ударная");
      assertEquals((await customer(harness, customerId)).syncStatus, "pending");

      // …and the peers are still on their first request: nothing waited for them.
      assertEquals([p.onecPeer.hanging, p.ozonPeer.hanging], [1, 1]);
      assertEquals([p.onecPeer.arrivals.length, p.ozonPeer.arrivals.length], [1, 1]);
      const running = await expectJson(
        await api(harness, "GET", `/api/v1/stock-syncs/${started.id}`, undefined),
        200,
      );
      assertEquals(running.status, "running");

      // The peers come back (the held connections close): both retry and complete.
      p.onecPeer.otherwise = { kind: "pass" };
      p.ozonPeer.otherwise = { kind: "pass" };
      p.onecPeer.release();
      p.ozonPeer.release();
      const run = await waitForRun(harness, started.id);
      assertEquals(run.status, "success", run.errorMessage ?? "");
      const c = await settled(harness, customerId);
      assertEquals(c.syncStatus, "synced");
    } finally {
      await h?.close();
      await stopPeers(p);
    }
  },
});
