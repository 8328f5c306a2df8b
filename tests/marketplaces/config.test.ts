/**
 * The capability's configuration and its small pure parts: pacing, exact int64 ids, slot
 * job ids.
 */
import assert from "node:assert/strict";
import * as v from "valibot";
import { Cron } from "croner";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { Pacer } from "../../src/marketplaces/pacer.ts";
import { parseExactJson } from "../../src/marketplaces/exact-json.ts";
import { Id, jsonInt } from "../../src/marketplaces/record-schemas.ts";
import { slotJobId } from "../../src/marketplaces/sync-jobs.ts";
import { cronSlot } from "../../src/marketplaces/scheduler.ts";

Deno.test("marketplace configuration", async (t) => {
  await t.step("defaults: no marketplace, every six hours, the real hosts", () => {
    const m = loadConfig({}).marketplaces;
    assert.equal(m.ozon, null);
    assert.equal(m.wildberries, null);
    assert.equal(m.cron, "0 */6 * * *");
    assert.equal(m.timezone, "UTC");
    assert.equal(m.intervalSeconds, 6 * 3600);
    assert.equal(m.logRetentionDays, 90);
    assert.equal(m.anomalyDropShare, 0.5);
    assert.equal(m.alertWebhookUrl, null);
    assert.deepEqual(m.http, { timeoutMs: 30_000, retryBaseMs: 1000, pacingScale: 1 });
    const both = loadConfig({ OZON_CLIENT_ID: "42", OZON_API_KEY: "k", WB_TOKEN: "t" })
      .marketplaces;
    assert.equal(both.ozon?.baseUrl, "https://api-seller.ozon.ru");
    assert.equal(both.wildberries?.marketplaceBaseUrl, "https://marketplace-api.wildberries.ru");
    assert.equal(both.wildberries?.analyticsBaseUrl, "https://seller-analytics-api.wildberries.ru");
    assert.equal(both.wildberries?.contentBaseUrl, "https://content-api.wildberries.ru");
  });

  await t.step("bad values name the variable", () => {
    const bad: [Record<string, string>, string][] = [
      [{ OZON_CLIENT_ID: "42" }, "OZON_API_KEY: required when the other Ozon credential is set"],
      [{ OZON_API_KEY: "k" }, "OZON_CLIENT_ID: required"],
      [{ OZON_CLIENT_ID: "abc", OZON_API_KEY: "k" }, "OZON_CLIENT_ID: must be the numeric"],
      [{ STOCK_SYNC_CRON: "every day" }, "STOCK_SYNC_CRON:"],
      [{ STOCK_SYNC_TZ: "Mars/Olympus" }, "STOCK_SYNC_TZ: unknown time zone"],
      [
        { STOCK_SYNC_ANOMALY_DROP: "1.5" },
        "STOCK_SYNC_ANOMALY_DROP: STOCK_SYNC_ANOMALY_DROP must be at most 1",
      ],
      [{ WB_ANALYTICS_BASE_URL: "nope" }, "WB_ANALYTICS_BASE_URL:"],
      [{ STOCK_SYNC_LOG_RETENTION_DAYS: "0" }, "STOCK_SYNC_LOG_RETENTION_DAYS:"],
    ];
    for (const [env, message] of bad) {
      assert.throws(() => loadConfig(env), (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.ok(e.message.startsWith(message), `${e.message} should start with ${message}`);
        return true;
      });
    }
  });

  await t.step("an irregular schedule is stale after two of its longest gaps", () => {
    const m = loadConfig({ STOCK_SYNC_CRON: "0 9,18 * * *", STOCK_SYNC_TZ: "Europe/Moscow" })
      .marketplaces;
    assert.equal(m.intervalSeconds, 15 * 3600);
  });
});

Deno.test("pacing: one request per interval after a burst", () => {
  const p = new Pacer(1);
  const pace = { key: "k", intervalMs: 100, burst: 3 };
  assert.deepEqual([0, 0, 0, 0, 0].map(() => p.reserve(pace, 1000)), [0, 0, 0, 100, 200]);
  // Later, the bucket has refilled.
  assert.equal(p.reserve(pace, 5000), 0);
  p.holdOff(pace, 1000, 6000);
  assert.equal(p.reserve(pace, 6000), 1000);
  assert.equal(new Pacer(0).reserve(pace, 0), 0, "scale 0: no pacing");
});

Deno.test("int64 ids stay exact both ways", () => {
  const parsed = parseExactJson('{"sku": 9007199254740993, "small": 42, "x": 1.5}') as Record<
    string,
    unknown
  >;
  assert.equal(parsed.sku, "9007199254740993");
  assert.equal(parsed.small, 42);
  assert.equal(parsed.x, 1.5);
  assert.equal(v.parse(Id, parsed.sku), "9007199254740993");
  assert.equal(v.parse(Id, 1020000111222000), "1020000111222000");
  assert.equal(v.safeParse(Id, 1.5).success, false);
  assert.equal(JSON.stringify({ id: jsonInt("9007199254740993") }), '{"id":9007199254740993}');
  assert.equal(JSON.stringify({ id: jsonInt("-999999") }), '{"id":-999999}');
});

Deno.test("slot job ids: the same UUID for the same slot, in every instance", async () => {
  const a = await slotJobId("ozon", "read", "2026-10-01T06:00:00.000Z");
  assert.equal(a, await slotJobId("ozon", "read", "2026-10-01T06:00:00.000Z"));
  assert.notEqual(a, await slotJobId("ozon", "read", "2026-10-01T12:00:00.000Z"));
  assert.notEqual(a, await slotJobId("ozon", "push", "2026-10-01T06:00:00.000Z"));
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

Deno.test("a firing belongs to the scheduled time nearest to it", () => {
  const job = new Cron("0 */6 * * *", { paused: true, timezone: "UTC" });
  const slot = "2026-10-01T06:00:00.000Z";
  for (
    const at of ["2026-10-01T06:00:00.004Z", "2026-10-01T05:59:59.998Z", "2026-10-01T06:00:02Z"]
  ) {
    assert.equal(cronSlot(job, new Date(at)).toISOString(), slot, at);
  }
  const everySecond = new Cron("* * * * * *", { paused: true });
  assert.equal(
    cronSlot(everySecond, new Date("2026-10-01T06:00:01.009Z")).toISOString(),
    "2026-10-01T06:00:01.000Z",
  );
});
