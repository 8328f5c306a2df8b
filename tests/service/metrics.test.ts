/** GET /metrics: Prometheus text with exchange, import and queue figures, and no secrets. */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { createHarness } from "../helpers/harness.ts";
import { inProcess, OneCClient } from "../../src/onec/exchange-client.ts";
import * as F from "../fixtures/catalog-v208.ts";

Deno.test("metrics after an exchange", async () => {
  const h = await createHarness("metrics");
  try {
    const c = new OneCClient(inProcess(h.app));
    await c.checkauth();
    await c.init();
    await c.upload("import.xml", new TextEncoder().encode(F.importXml()));
    assertEquals((await c.importFile("import.xml")).lines[0], "success");
    const res = await h.app.request("/metrics");
    assertEquals(res.status, 200);
    assertMatch(res.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assertMatch(
      text,
      /onec_exchange_requests_total\{type="catalog",mode="checkauth",result="success"\} \d+/,
    );
    assertMatch(
      text,
      /onec_exchange_requests_total\{type="catalog",mode="import",result="success"\} \d+/,
    );
    assertMatch(text, /onec_import_runs\{status="success",kind="catalog"\} 1/);
    assertMatch(text, /onec_import_rows_total\{entity="products",outcome="created"\} 3/);
    // The job may still be settling (active) right after its run row says success.
    assertMatch(text, /pgboss_jobs\{queue="catalog-import",state="(active|completed)"\} 1/);
    for (const line of text.split("\n")) {
      assert(
        line === "" || line.startsWith("#") || /^[a-z_]+(\{.*\})? [\d.e+-]+$/.test(line),
        line,
      );
    }
    for (
      const secret of ["1c-exchange", "dev-admin-token", "dev-reader-token", "dev-platform-token"]
    ) {
      assert(!text.includes(secret));
    }
  } finally {
    await h.close();
  }
});
