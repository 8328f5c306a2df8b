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

Deno.test("metrics carry customer export and stock sync outcomes", async () => {
  const h = await createHarness("metrics_outcomes", { workers: false });
  try {
    // Rows as the export job and the stock sync write them (their own tests drive those).
    await h.ctx.pool.query(`
      INSERT INTO customers (email, customer_type, last_change_source, sync_status,
                             export_dead_lettered_at)
      VALUES ('a@example.com', 'individual', 'platform', 'error', now()),
             ('b@example.com', 'individual', 'platform', 'synced', NULL);
      INSERT INTO customer_sync_log (operation, status) VALUES
        ('export_to_1c', 'success'), ('export_to_1c', 'success'), ('export_to_1c', 'error');
      INSERT INTO stock_sync_runs (source, kind, trigger, status, records_processed,
                                   records_updated, completed_at)
      VALUES ('ozon', 'push', 'schedule', 'success', 10, 4, now() - interval '90 seconds'),
             ('ozon', 'push', 'schedule', 'failed', 0, 0, now()),
             ('wildberries', 'read', 'manual', 'success', 7, 7, now());
    `);
    const text = await (await h.app.request("/metrics")).text();
    assertMatch(
      text,
      /customer_sync_outcomes_total\{operation="export_to_1c",status="success"\} 2\n/,
    );
    assertMatch(
      text,
      /customer_sync_outcomes_total\{operation="export_to_1c",status="error"\} 1\n/,
    );
    assertMatch(text, /customers\{sync_status="error"\} 1\n/);
    assertMatch(text, /customer_exports_dead_lettered 1\n/);
    assertMatch(text, /stock_sync_runs_total\{source="ozon",kind="push",status="failed"\} 1\n/);
    assertMatch(
      text,
      /stock_sync_records_total\{source="ozon",kind="push",status="success",outcome="updated"\} 4\n/,
    );
    const age = /stock_sync_last_success_age_seconds\{source="ozon",kind="push"\} ([\d.]+)/
      .exec(text);
    assert(age && Number(age[1]) >= 90, `ozon push age: ${age?.[1]}`);
  } finally {
    await h.close();
  }
});
