/**
 * "With production defaults a new registration reaches 1C within 15 minutes even after 3
 * failures": the bound is computed from the retry settings (src/customers/export-schedule.ts),
 * and the formula it relies on is checked against what pg-boss really schedules after a
 * failure, with the production settings, without waiting for any of it.
 */
import { assert, assertEquals } from "@std/assert";
import { sql } from "kysely";
import { loadConfig } from "../../src/config.ts";
import {
  retryDelayRange,
  worstCaseDeadLetterSeconds,
  worstCaseDeliverySeconds,
} from "../../src/customers/export-schedule.ts";
import { CUSTOMER_EXPORT_DEAD_LETTER } from "../../src/customers/queues.ts";
import { createHarness } from "../helpers/harness.ts";
import { FakeOnec } from "./fakes/fake-onec.ts";
import { api, expect, waitFor } from "./helpers.ts";

Deno.test("production defaults: 3 failures still reach 1C within 15 minutes", () => {
  const c = loadConfig({}).customers;
  assertEquals(
    [
      c.exportRetryLimit,
      c.exportRetryDelaySeconds,
      c.onecHttpTimeoutSeconds,
      c.exportDebounceSeconds,
    ],
    [5, 30, 30, 2],
  );
  // Backoff windows after failure n: [30·2^n, 60·2^n) s.
  assertEquals(retryDelayRange(0, 30, true), [30, 60]);
  assertEquals(retryDelayRange(1, 30, true), [60, 120]);
  assertEquals(retryDelayRange(2, 30, true), [120, 240]);
  // debounce 2 + poll 1 + 3 × (timeout 30 + longest delay + poll 1) + the successful 30 s.
  assertEquals(
    worstCaseDeliverySeconds(c, 3),
    2 + 1 + (30 + 60 + 1) + (30 + 120 + 1) + (30 + 240 + 1) + 30,
  );
  assert(worstCaseDeliverySeconds(c, 3)! <= 15 * 60);
  // Even the 4th failure (5th attempt) is within the hour; the 6th failure dead-letters.
  assert(worstCaseDeliverySeconds(c, 4)! <= 60 * 60);
  assertEquals(worstCaseDeliverySeconds(c, 6), null);
  assert(worstCaseDeadLetterSeconds(c) < 2 * 3600);
});

Deno.test({
  name: "pg-boss schedules the retry within the computed window, with production settings",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = new FakeOnec();
    // Only 1C's address is set: retry limit, delay, backoff and debounce are the defaults.
    const h = await createHarness("customers-schedule", { env: { ONEC_HTTP_URL: fake.url } });
    try {
      const email = "schedule@example.com";
      fake.failTimes(email, 1, 503);
      const created = await expect(
        await api(h, "POST", "/api/v1/customers", {
          email,
          customerType: "individual",
          firstName: "Анна",
        }),
        201,
      );
      await fake.waitForRequests(1, email);
      const job = await waitFor("the job to wait for its retry", async () => {
        const r = await sql<{
          state: string;
          retry_count: number;
          retry_limit: number;
          retry_delay: number;
          retry_backoff: boolean;
          dead_letter: string;
          start_after: Date;
          failed_at: Date;
        }>`SELECT j.state, j.retry_count, j.retry_limit, j.retry_delay, j.retry_backoff,
                  j.dead_letter, j.start_after,
                  (SELECT max(created_at) FROM customer_sync_log l
                    WHERE l.customer_id = ${created.id}::uuid AND l.status = 'error') AS failed_at
             FROM pgboss.job j
            WHERE j.name = 'customer-export' AND j.singleton_key = ${created.id}`
          .execute(h.ctx.db);
        const row = r.rows[0];
        return row?.state === "retry" ? row : null;
      });
      assertEquals(
        [job.retry_count, job.retry_limit, job.retry_delay, job.retry_backoff, job.dead_letter],
        [0, 5, 30, true, CUSTOMER_EXPORT_DEAD_LETTER],
      );
      // The failure was logged just before pg-boss scheduled the retry; the retry is due
      // 30–60 s after that (pg-boss's clock and ours are the same database).
      const delay = (job.start_after.getTime() - job.failed_at.getTime()) / 1000;
      const [min, max] = retryDelayRange(0, 30, true);
      assert(delay >= min - 1 && delay <= max + 1, `retry due after ${delay} s`);
    } finally {
      await h.close();
      await fake.close();
    }
  },
});
