/**
 * `deno task sync-customers` as an operator runs it: a real process against a real database
 * and a fake 1C HTTP service.
 */
import { assertEquals, assertMatch } from "@std/assert";
import pg from "pg";
import { createTestDatabase, dropTestDatabase } from "../helpers/harness.ts";
import { FakeOnec } from "./fakes/fake-onec.ts";
import { SAMPLES } from "./helpers.ts";

const CLI = new URL("../../src/cli/sync-customers.ts", import.meta.url).pathname;

async function sync(url: string, fake: FakeOnec, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    env: {
      DATABASE_URL: url,
      ONEC_HTTP_URL: fake.url,
      CUSTOMER_EXPORT_DEBOUNCE_SECONDS: "0",
      CUSTOMER_EXPORT_RETRY_DELAY_SECONDS: "0",
      LOG_LEVEL: "error",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, text + new TextDecoder().decode(out.stderr));
  return text;
}

Deno.test({
  name: "sync-customers: import from 1C's directory, then export what 1C lacks",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = new FakeOnec();
    fake.directory = await Deno.readTextFile(
      new URL("ArgentCrusade__commerceml/tests/fixtures/contractors-example.xml", SAMPLES),
    );
    const url = await createTestDatabase("customers-cli");
    try {
      const imported = await sync(url, fake, "--direction", "import", "--chunk-size", "3");
      assertMatch(imported, /^import: 4 created, 0 updated, 0 unchanged, 0 conflicts, 0 skipped/m);

      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(
          `INSERT INTO customers (email, email_normalized, customer_type, company_name,
             last_change_source, needs_1c_export, sync_status)
           SELECT 'new' || i || '@example.com', 'new' || i || '@example.com', 'legal_entity',
             'New ' || i, 'platform', true, 'pending' FROM generate_series(1, 3) AS i`,
        );
        const both = await sync(url, fake, "--direction", "both", "--chunk-size", "2");
        assertMatch(both, /^import: 0 created, 0 updated, 4 unchanged/m);
        assertMatch(both, /^export: 3 queued; 3 sent, 0 rejected, 0 will be retried/m);
        const r = await client.query(
          `SELECT count(*)::int AS n FROM customers WHERE onec_id LIKE 'onec-%' AND NOT needs_1c_export`,
        );
        assertEquals(r.rows[0].n, 3);
      } finally {
        await client.end();
      }
    } finally {
      await dropTestDatabase(url);
      await fake.close();
    }
  },
});
