/**
 * How reads fail and recover, against the fake Ozon API: refused keys fail fast and alert
 * (once an hour), 429s are waited out, 5xx are retried three times, invalid records make a
 * partial run, and a collapsed answer is held back as an anomaly instead of wiping the
 * inventory. The health endpoint reports all of it.
 */
import assert from "node:assert/strict";
import { createHarness, type Harness } from "../helpers/harness.ts";
import { OzonFake } from "./fakes/ozon-fake.ts";
import { startWebhookFake } from "./fakes/serve.ts";
import { allInventory, api, marketplaceEnv, READER, syncNow } from "./helpers.ts";

const WH = 1020000111222000;
const FBO_WH = 23128509046000;
const N = 20;
const sku = (i: number) => 1789000000 + i;

function stock(i: number, present: number) {
  return {
    sku: sku(i),
    product_id: 1000 + i,
    offer_id: `A-${i}`,
    warehouse_id: WH,
    present,
    reserved: 0,
    free_stock: present,
  };
}

function fill(fake: OzonFake) {
  fake.warehouses = [{ warehouse_id: WH, name: "Склад", is_rfbs: false, status: "created" }];
  fake.stocks.set(String(WH), Array.from({ length: N }, (_, i) => stock(i, 10)));
  fake.products = Array.from({ length: N }, (_, i) => ({
    product_id: 1000 + i,
    offer_id: `A-${i}`,
    sku: sku(i),
  }));
  fake.fboWarehouses = [{ warehouse_id: FBO_WH, name: "САМАРА_РФЦ" }];
  fake.fbo = Array.from({ length: N }, (_, i) => ({
    sku: sku(i),
    product_id: 1000 + i,
    offer_id: `A-${i}`,
    warehouse_id: FBO_WH,
    present: 5,
    reserved: 1,
  }));
}

Deno.test("Ozon read failures, partial runs and anomalies", async (t) => {
  const fake = new OzonFake().start();
  const webhook = startWebhookFake();
  fill(fake);
  let h: Harness | undefined;
  try {
    h = await createHarness("mp_failures", {
      env: marketplaceEnv({
        ozon: fake,
        webhookUrl: webhook.url,
        extra: { STOCK_SYNC_ANOMALY_MIN_ROWS: "10" },
      }),
    });
    const harness = h;
    const configuredKey = fake.apiKey;

    await t.step("a refused key fails the run at once, says so, and is never logged", async () => {
      fake.apiKey = "rotated-key"; // what we send is no longer the seller's key
      const before = fake.requests.length;
      const run = await syncNow(harness, "ozon");
      assert.equal(run.status, "failed");
      assert.match(run.errorMessage!, /check the API key/);
      assert.match(run.errorMessage!, /HTTP 403/);
      assert.equal(fake.requests.length - before, 1, "403 is not retried");
      assert.ok(!harness.logLines.join("").includes(configuredKey), "the key is not logged");
      assert.ok(!run.errorMessage!.includes(configuredKey));

      // The run row says "failed" a moment before its job posts the notice.
      await settled(harness);
      assert.equal(webhook.notices.length, 1);
      const notice = webhook.notices[0];
      assert.equal(notice.source, "ozon");
      assert.equal(notice.kind, "failed");
      assert.equal(notice.runId, run.id);
      assert.match(String(notice.text), /check the API key/);
      assert.ok(!JSON.stringify(notice).includes(configuredKey));
    });

    await t.step("401 likewise; the second failure within the hour sends no notice", async () => {
      fake.apiKey = configuredKey;
      fake.unauthenticated = true;
      const before = fake.requests.length;
      const run = await syncNow(harness, "ozon");
      fake.unauthenticated = false;
      assert.equal(run.status, "failed");
      assert.match(run.errorMessage!, /HTTP 401.*check the API key/);
      assert.equal(fake.requests.length - before, 1);
      await settled(harness);
      assert.equal(webhook.notices.length, 1, "one notice per source and kind per hour");
    });

    await t.step("a full read to start from", async () => {
      const run = await syncNow(harness, "ozon");
      assert.equal(run.status, "success", run.errorMessage ?? "");
      assert.equal(run.recordsUpdated, 2 * N);
    });

    await t.step("a throttled run waits as told by Retry-After and completes", async () => {
      fake.throttleNext = 2;
      fake.retryAfterSeconds = 1;
      const from = fake.requests.length;
      const run = await syncNow(harness, "ozon");
      assert.equal(run.status, "success", run.errorMessage ?? "");
      const seen = fake.requests.slice(from);
      assert.deepEqual(seen.slice(0, 3).map((r) => r.status), [429, 429, 200]);
      for (let i = 0; i < 2; i++) {
        assert.ok(seen[i + 1].at - seen[i].at >= 1000, "waited Retry-After before retrying");
      }
    });

    await t.step("5xx: three attempts, then the run fails with the reason", async () => {
      fake.failNext = 3;
      const from = fake.requests.length;
      const run = await syncNow(harness, "ozon");
      assert.equal(run.status, "failed");
      assert.match(run.errorMessage!, /HTTP 500.*gave up after 3 attempts/);
      assert.equal(fake.requests.length - from, 3);
      // The inventory is untouched by a failed run.
      const items = await allInventory(harness, "source=ozon&stockType=FBS");
      assert.equal(items.length, N);
      assert.ok(items.every((i) => i.available === 10));

      fake.failNext = 2;
      const recovered = await syncNow(harness, "ozon");
      assert.equal(recovered.status, "success", "two 500s and a 200 is a success");
    });

    await t.step("invalid records are skipped and counted; the rest applies", async () => {
      const rows = fake.stocks.get(String(WH))!;
      rows[1] = { ...stock(1, 10), present: "ten" as unknown as number, free_stock: 3 };
      rows[2] = stock(2, 4); // a valid change
      const { sku: _, ...noSku } = stock(3, 1);
      rows[3] = noSku as typeof rows[3];
      fake.fbo[4] = { ...fake.fbo[4], reserved: -1 };
      const run = await syncNow(harness, "ozon");
      assert.equal(run.status, "partial");
      assert.equal(run.recordsSkipped, 3);
      assert.match(run.errorMessage!, /3 invalid record\(s\) skipped/);
      assert.deepEqual(
        run.itemErrors.map((e) => [e.key, e.code]),
        [
          [`warehouse ${WH} / sku ${sku(1)}`, "INVALID_RECORD"],
          [`warehouse ${WH} / sku ?`, "INVALID_RECORD"],
          [`FBO sku ${sku(4)}`, "INVALID_RECORD"],
        ],
      );
      assert.match(run.itemErrors[0].message, /present/);

      const fbs = new Map(
        (await allInventory(harness, "stockType=FBS")).map((i) => [i.sku, i.available]),
      );
      assert.equal(fbs.get(String(sku(2))), 4, "valid records are applied");
      assert.equal(fbs.get(String(sku(1))), 10, "a bad record with a readable key keeps its row");
      assert.equal(fbs.get(String(sku(3))), 0, "a record without a key cannot be told apart");
      const fbo = new Map(
        (await allInventory(harness, "stockType=FBO")).map((i) => [i.sku, i.available]),
      );
      assert.equal(fbo.get(String(sku(4))), 4, "kept as it was");
      fake.stocks.set(String(WH), Array.from({ length: N }, (_, i) => stock(i, 10)));
      fake.fbo[4] = { ...fake.fbo[4], reserved: 1 };
      assert.equal((await syncNow(harness, "ozon")).status, "success");
    });

    await t.step("a collapse is held back as an anomaly, then applied when confirmed", async () => {
      // 20 × 10 + 20 × 4 = 280 available; now 20 × 1 on FBS and no FBO at all: −93 %.
      fake.stocks.set(String(WH), Array.from({ length: N }, (_, i) => stock(i, 1)));
      const fbo = fake.fbo;
      fake.fbo = [];
      const run = await syncNow(harness, "ozon");
      assert.equal(run.status, "partial");
      assert.match(run.anomaly!, /total available stock fell from 280 to 20/);
      assert.match(run.errorMessage!, /inventory was left as it was/);
      assert.equal(run.recordsUpdated, 0);
      const items = await allInventory(harness, "source=ozon");
      assert.equal(items.reduce((s, i) => s + i.available, 0), 280, "nothing wiped");

      const health =
        await (await api(harness, "GET", "/api/v1/stock-syncs/health", undefined, READER))
          .json();
      const ozon = health.items.find((i: { source: string }) => i.source === "ozon");
      assert.equal(ozon.anomaly.runId, run.id);
      const notice = webhook.notices.at(-1)!;
      assert.equal(notice.kind, "anomaly");
      assert.equal(notice.runId, run.id);

      const confirmed = await syncNow(harness, "ozon");
      assert.equal(confirmed.status, "success", "the same answer twice is real");
      assert.equal(confirmed.anomaly, null);
      const after = await allInventory(harness, "source=ozon");
      assert.equal(after.reduce((s, i) => s + i.available, 0), 20);
      fake.fbo = fbo;
      fake.stocks.set(String(WH), Array.from({ length: N }, (_, i) => stock(i, 10)));
      assert.equal((await syncNow(harness, "ozon")).status, "success");
    });

    await t.step("zero rows where the previous run had many is an anomaly", async () => {
      const warehouses = fake.warehouses;
      const products = fake.products;
      fake.warehouses = [];
      fake.products = [];
      const run = await syncNow(harness, "ozon");
      assert.equal(run.status, "partial");
      assert.match(run.anomaly!, /no stock rows returned; run \d+ had 40/);
      assert.equal(
        (await allInventory(harness, "source=ozon")).filter((i) => i.available > 0).length,
        40,
      );
      fake.warehouses = warehouses;
      fake.products = products;
    });

    await t.step("health: per source", async () => {
      const res = await api(harness, "GET", "/api/v1/stock-syncs/health", undefined, READER);
      assert.equal(res.status, 200);
      const { items } = await res.json();
      const ozon = items.find((i: { source: string }) => i.source === "ozon");
      const wb = items.find((i: { source: string }) => i.source === "wildberries");
      assert.equal(ozon.configured, true);
      assert.equal(ozon.stale, false);
      assert.ok(ozon.lastSuccessAt);
      assert.match(ozon.lastError.message, /gave up after 3 attempts/);
      assert.equal(ozon.anomaly.message.startsWith("no stock rows returned"), true);
      // 3 failed; 9 succeeded (fully or partly).
      assert.equal(ozon.successRate24h, 9 / 12);
      assert.deepEqual(ozon.running, []);
      assert.deepEqual(wb, {
        source: "wildberries",
        configured: false,
        lastSuccessAt: null,
        stale: false,
        successRate24h: null,
        lastError: null,
        anomaly: null,
        lastPushAt: null,
        running: [],
      });
    });
  } finally {
    await h?.close();
    await fake.close();
    await webhook.close();
  }
});

/** Waits until no stock-sync job is still running (its alert, if any, has been sent). */
async function settled(
  h: { ctx: { pool: { query: (sql: string) => Promise<{ rows: { n: number }[] }> } } },
) {
  for (let i = 0; i < 200; i++) {
    const r = await h.ctx.pool.query(
      "SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'marketplace-stock-sync' AND state IN ('created', 'retry', 'active')",
    );
    if (r.rows[0].n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("the stock-sync job did not settle");
}
