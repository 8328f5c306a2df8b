/**
 * Every outbound call is a row of the integration log: customer exports to a fake 1C HTTP
 * service, stock reads from fake Ozon and Wildberries APIs (real local servers, real jobs).
 * Each attempt has its method, URL, status and duration; bodies are kept masked and cut at
 * BODY_LIMIT; a timeout is an error row; and no credential (Basic password, Api-Key, WB
 * token) is stored anywhere in the table.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { createHarness } from "../helpers/harness.ts";
import { FakeOnec } from "../customers/fakes/fake-onec.ts";
import { OzonFake } from "../marketplaces/fakes/ozon-fake.ts";
import { WildberriesFake } from "../marketplaces/fakes/wildberries-fake.ts";
import { marketplaceEnv, syncNow } from "../marketplaces/helpers.ts";
import { expect, waitFor } from "../customers/helpers.ts";
import { BODY_LIMIT } from "../../src/integration-log/truncate.ts";

const ONEC_PASSWORD = "Onec-Integr-Pa55-31f";
const OZON_KEY = "Ozn-Integr-K3y-aa11-bb22";
const WB_TOKEN = "Wb-Integr-T0ken-eyJhbGciOi-q9";

Deno.test({
  name: "outbound calls to 1C, Ozon and Wildberries are recorded, masked and truncated",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const onec = new FakeOnec({ login: "site", password: ONEC_PASSWORD });
    const ozon = new OzonFake();
    ozon.apiKey = OZON_KEY;
    ozon.start();
    const wb = new WildberriesFake();
    wb.token = WB_TOKEN;
    wb.start();
    const h = await createHarness("integration_log_outbound", {
      env: {
        ONEC_HTTP_URL: onec.url,
        ONEC_HTTP_LOGIN: "site",
        ONEC_HTTP_PASSWORD: ONEC_PASSWORD,
        ONEC_HTTP_TIMEOUT_SECONDS: "1",
        CUSTOMER_EXPORT_RETRY_LIMIT: "2",
        CUSTOMER_EXPORT_RETRY_DELAY_SECONDS: "0",
        CUSTOMER_EXPORT_DEBOUNCE_SECONDS: "0",
        ...marketplaceEnv({ ozon, wb }),
      },
    });
    const rowsOf = (kind: "onec-http" | "ozon" | "wildberries") =>
      h.ctx.db.selectFrom("integration_log").selectAll().where("kind", "=", kind)
        .orderBy("id").execute();
    try {
      const register = async (email: string) => {
        const res = await h.app.request("/api/v1/customers", {
          method: "POST",
          headers: {
            Authorization: "Bearer dev-platform-token",
            "Content-Type": "application/json",
            "X-Request-Id": `rid-${email.split("@")[0]}`,
          },
          body: JSON.stringify({ email, customerType: "individual", firstName: "Анна" }),
        });
        return (await expect(res, 201)).id as string;
      };
      const synced = (id: string) =>
        waitFor(`customer ${id} synced`, async () => {
          const res = await h.app.request(`/api/v1/customers/${id}`, {
            headers: { Authorization: "Bearer dev-admin-token" },
          });
          return (await res.json()).syncStatus === "synced";
        });

      await t.step("1C: a 503, then a timeout, then 201 — three rows", async () => {
        onec.script("anna@example.com", { kind: "fail", status: 503 }, { kind: "hang" });
        const id = await register("anna@example.com");
        await synced(id);
        const rows = await rowsOf("onec-http");
        assertEquals(rows.map((r) => [r.method, r.status, r.http_status]), [
          ["POST", "failure", 503],
          ["POST", "error", null],
          ["POST", "success", 201],
        ]);
        for (const r of rows) {
          assertEquals(r.direction, "outbound");
          assertEquals(r.url, `${onec.url}/customers`);
          assertEquals(r.request_id, "rid-anna");
          assertEquals(r.ref, `customer ${id}`);
          assert(r.duration_ms >= 0);
          assertStringIncludes(r.request_body ?? "", `"platform_id":"${id}"`);
          assertStringIncludes(r.request_body ?? "", '"email":"anna@example.com"');
          assertEquals(Number(r.request_bytes), new TextEncoder().encode(r.request_body!).length);
        }
        assertStringIncludes(rows[0].response_body ?? "", "scripted failure");
        assertStringIncludes(rows[1].error ?? "", "timeout");
        assertEquals(rows[1].response_body, null);
        // The timeout row took at least the client's 1 s limit.
        assert(rows[1].duration_ms >= 900, `${rows[1].duration_ms} ms`);
        assertEquals(rows[2].response_body, '{"id":"onec-1"}');
      });

      await t.step("Ozon: every call of a read; a big answer is cut at the limit", async () => {
        // ~20 KB of warehouses in one page.
        ozon.warehouses = Array.from({ length: 100 }, (_, i) => ({
          warehouse_id: 1020000000000 + i,
          name: `Склад номер ${i} с длинным названием для проверки усечения`,
          is_rfbs: false,
          status: "created",
        }));
        const run = await syncNow(h, "ozon", "read");
        const rows = await rowsOf("ozon");
        assertEquals(rows.length, ozon.requests.length, "one row per call the fake answered");
        const list = rows.find((r) => r.url === `${ozon.url}/v2/warehouse/list`)!;
        assertEquals([list.method, list.status, list.http_status], ["POST", "success", 200]);
        assertEquals(list.ref, `stock-sync run ${run.id}`);
        assertStringIncludes(list.request_body ?? "", '"limit":200');
        const body = list.response_body ?? "";
        assertMatch(body, /^\{"warehouses":\[\{"warehouse_id":1020000000000,/);
        // At most BODY_LIMIT bytes were read of the answer (Cyrillic: fewer characters).
        const cut = /…\[truncated: (\d+) bytes in all\]$/.exec(body);
        assert(cut, body.slice(-100));
        assert(Number(cut[1]) > 10_000, "the marker names the whole answer's size");
        const kept = new TextEncoder().encode(body.slice(0, cut.index)).length;
        assert(kept <= BODY_LIMIT && kept > BODY_LIMIT - 4, `${kept} bytes kept`);
      });

      await t.step("Wildberries: a 502 and its retry are two rows", async () => {
        wb.failNext = 1;
        await syncNow(h, "wildberries", "read");
        const rows = await rowsOf("wildberries");
        assertEquals(rows.length, wb.requests.length);
        const first = rows[0];
        assertEquals([first.status, first.http_status], ["failure", 502]);
        assertEquals(first.response_body, "bad gateway");
        assertEquals(rows[1].url, first.url, "the retry of the same call");
        assertEquals([rows[1].status, rows[1].http_status], ["success", 200]);
        assertEquals(first.method, "GET");
        assertEquals(first.request_body, null);
      });

      await t.step("no credential is stored in any row", async () => {
        const r = await h.ctx.pool.query("SELECT x::text AS r FROM integration_log x");
        const text = r.rows.map((x: { r: string }) => x.r).join("\n");
        assert(text.length > 1000, "the log is not empty");
        const pair = new TextEncoder().encode(`site:${ONEC_PASSWORD}`);
        for (
          const secret of [
            ONEC_PASSWORD,
            btoa(String.fromCharCode(...pair)),
            OZON_KEY,
            WB_TOKEN,
            "dev-platform-token",
            "dev-admin-token",
          ]
        ) {
          assertEquals(text.includes(secret), false, `found ${secret} in the log`);
        }
      });
    } finally {
      await h.close();
      await onec.close();
      await ozon.close();
      await wb.close();
    }
  },
});
