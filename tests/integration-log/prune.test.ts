/**
 * "Pruned after 90 days (configurable)": INTEGRATION_LOG_RETENTION_DAYS is validated, the
 * daily pg-boss schedule is registered, and its job deletes the rows older than the retention
 * and keeps the newer ones — in bounded batches.
 */
import { assertEquals, assertThrows } from "@std/assert";
import { createHarness } from "../helpers/harness.ts";
import { waitFor } from "../customers/helpers.ts";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { pruneIntegrationLog } from "../../src/integration-log/prune.ts";
import { PRUNE_CRON } from "../../src/integration-log/workers.ts";
import { INTEGRATION_LOG_PRUNE_QUEUE } from "../../src/integration-log/queues.ts";

const DAY = 24 * 3600_000;

Deno.test("INTEGRATION_LOG_RETENTION_DAYS: 90 by default, a whole number of days", () => {
  assertEquals(loadConfig({}).integrationLog.retentionDays, 90);
  assertEquals(
    loadConfig({ INTEGRATION_LOG_RETENTION_DAYS: "7" }).integrationLog.retentionDays,
    7,
  );
  for (const bad of ["0", "-1", "1.5", "ninety", "3651"]) {
    assertThrows(
      () => loadConfig({ INTEGRATION_LOG_RETENTION_DAYS: bad }),
      ConfigError,
      "INTEGRATION_LOG_RETENTION_DAYS:",
    );
  }
});

Deno.test("the daily job deletes rows past the retention and keeps the rest", async (t) => {
  const h = await createHarness("integration_log_prune", {
    env: { INTEGRATION_LOG_RETENTION_DAYS: "30" },
  });
  try {
    const now = Date.now();
    const insert = (ageDays: number[]) =>
      h.ctx.db.insertInto("integration_log").values(ageDays.map((age) => ({
        at: new Date(now - age * DAY),
        kind: "exchange" as const,
        direction: "inbound" as const,
        method: "GET",
        url: `http://example.test/?age=${age}`,
        status: "success" as const,
        duration_ms: 1,
      }))).execute();
    const ages = async () =>
      (await h.ctx.db.selectFrom("integration_log").select("url").orderBy("at").execute())
        .map((r) => Number(new URL(r.url).searchParams.get("age")));

    await t.step("the schedule is registered with pg-boss", async () => {
      const schedules = await h.ctx.boss.getSchedules(INTEGRATION_LOG_PRUNE_QUEUE.name);
      assertEquals(schedules.map((s) => [s.cron, s.timezone]), [[PRUNE_CRON, "UTC"]]);
    });

    await t.step("a firing of the schedule prunes through the worker", async () => {
      await insert([400, 31, 30.01, 29.9, 1, 0]);
      // What pg-boss's cron sends at 03:17 UTC, sent now.
      await h.ctx.boss.send(INTEGRATION_LOG_PRUNE_QUEUE.name, {});
      await waitFor("the old rows to go", async () => (await ages()).length === 3);
      assertEquals(await ages(), [29.9, 1, 0]);
    });

    await t.step("many old rows go in bounded batches, the new ones stay", async () => {
      await insert(Array.from({ length: 25 }, (_, i) => 31 + i));
      assertEquals(await pruneIntegrationLog(h.ctx, 10), 25);
      assertEquals(await ages(), [29.9, 1, 0]);
      assertEquals(await pruneIntegrationLog(h.ctx, 10), 0);
    });
  } finally {
    await h.close();
  }
});
