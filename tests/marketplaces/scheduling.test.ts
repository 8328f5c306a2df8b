/**
 * Scheduling and starting runs: three app instances (three contexts, each with its own
 * pg-boss and workers, on one database) firing for the same cron slot produce one run;
 * POST /stock-syncs answers 202 and 409 while one runs; the push after a 1C stock import;
 * housekeeping at each slot (pruning, the stale alert) and orphaned runs.
 */
import assert from "node:assert/strict";
import { sql } from "kysely";
import { createHarness, type Harness } from "../helpers/harness.ts";
import { openContext, type OpenedContext } from "../../src/bootstrap.ts";
import { fireStockSyncSlot } from "../../src/marketplaces/scheduler.ts";
import { startMarketplaceWorkers } from "../../src/marketplaces/workers.ts";
import { enqueueStockPushAfterImport } from "../../src/marketplaces/push-trigger.ts";
import { MARKETPLACE_QUEUES } from "../../src/marketplaces/queues.ts";
import { OzonFake } from "./fakes/ozon-fake.ts";
import { startWebhookFake } from "./fakes/serve.ts";
import { api, marketplaceEnv, READER, type RunBody, syncNow, waitForRun } from "./helpers.ts";

const WH = 1020000111222000;

async function runsOfSlot(h: Harness, slot: Date) {
  return await h.ctx.db.selectFrom("stock_sync_runs").selectAll()
    .where("slot", "=", slot).orderBy("id").execute();
}

/** Waits until every run of the slot has finished. */
async function settle(h: Harness, slot: Date, expected: number) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const runs = await runsOfSlot(h, slot);
    if (runs.length >= expected && runs.every((r) => r.status !== "running")) return runs;
    if (Date.now() > deadline) throw new Error(`slot ${slot.toISOString()} did not settle`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test("scheduling and starting stock syncs", async (t) => {
  const fake = new OzonFake().start();
  const webhook = startWebhookFake();
  fake.warehouses = [{ warehouse_id: WH, name: "FBS", is_rfbs: false }];
  fake.stocks.set(
    String(WH),
    [{
      sku: 1,
      product_id: 1,
      offer_id: "A-1",
      warehouse_id: WH,
      present: 3,
      reserved: 0,
      free_stock: 3,
    }],
  );
  fake.products = [{ product_id: 1, offer_id: "A-1", sku: 1 }];
  let h: Harness | undefined;
  const others: OpenedContext[] = [];
  const stops: (() => Promise<void>)[] = [];
  try {
    h = await createHarness("mp_schedule", {
      env: marketplaceEnv({ ozon: fake, webhookUrl: webhook.url }),
    });
    const harness = h;
    for (let i = 0; i < 2; i++) {
      const ctx = await openContext(harness.ctx.config, harness.ctx.log, harness.url, 4);
      others.push(ctx);
      stops.push(await startMarketplaceWorkers(ctx));
    }
    const instances = [harness.ctx, ...others];

    await t.step("three instances firing for one slot give one run", async () => {
      const slot = new Date("2026-10-01T06:00:00.000Z");
      await Promise.all(instances.map((ctx) => fireStockSyncSlot(ctx, slot)));
      const runs = await settle(harness, slot, 1);
      assert.equal(runs.length, 1);
      assert.equal(runs[0].status, "success", runs[0].error_message ?? "");
      assert.equal(runs[0].trigger, "schedule");
      assert.equal(fake.calls("/v2/warehouse/list").length, 1);
      const jobsOfSlot = async () => {
        const r = await sql<{ n: string }>`
          SELECT count(*) AS n FROM pgboss.job
          WHERE name = ${MARKETPLACE_QUEUES.stockSync.name}
            AND singleton_key = ${`ozon:read:${slot.toISOString()}`}`.execute(harness.ctx.db);
        return Number(r.rows[0].n);
      };
      assert.equal(await jobsOfSlot(), 1);

      // An instance that fires late for the same slot enqueues nothing: no job, no run.
      await fireStockSyncSlot(others[1], slot);
      assert.equal(await jobsOfSlot(), 1);
      assert.equal((await runsOfSlot(harness, slot)).length, 1);
    });

    await t.step("the next slot is a new run; a mapped source also gets a push", async () => {
      await api(harness, "PUT", `/api/v1/marketplace-warehouse-mappings/ozon/${WH}`, {
        onecWarehouseIds: ["main"],
      });
      const slot = new Date("2026-10-01T12:00:00.000Z");
      await Promise.all(instances.map((ctx) => fireStockSyncSlot(ctx, slot)));
      const runs = await settle(harness, slot, 2);
      assert.deepEqual(runs.map((r) => [r.kind, r.status]).sort(), [
        ["push", "success"],
        ["read", "success"],
      ]);
    });

    await t.step("POST starts a run now: 202, then 409 with the running id", async () => {
      fake.gate.close();
      const first = await api(harness, "POST", "/api/v1/stock-syncs", { source: "ozon" });
      assert.equal(first.status, 202);
      const run: RunBody = await first.json();
      assert.equal(run.status, "running");
      assert.equal(run.kind, "read", "kind defaults to read");
      assert.equal(run.trigger, "manual");

      const second = await api(harness, "POST", "/api/v1/stock-syncs", {
        source: "ozon",
        kind: "read",
      });
      assert.equal(second.status, 409);
      assert.equal(second.headers.get("content-type"), "application/problem+json");
      const problem = await second.json();
      assert.equal(problem.runningRunId, run.id);
      assert.match(problem.detail, new RegExp(`run ${run.id}`));

      const health =
        await (await api(harness, "GET", "/api/v1/stock-syncs/health", undefined, READER))
          .json();
      assert.deepEqual(health.items[0].running, [{ runId: run.id, kind: "read" }]);

      fake.gate.open();
      assert.equal((await waitForRun(harness, run.id)).status, "success");
      const again = await api(harness, "POST", "/api/v1/stock-syncs", { source: "ozon" });
      assert.equal(again.status, 202);
      await waitForRun(harness, (await again.json()).id);
    });

    await t.step("POST: admin only, known sources, configured ones", async () => {
      const asReader = await api(
        harness,
        "POST",
        "/api/v1/stock-syncs",
        { source: "ozon" },
        READER,
      );
      assert.equal(asReader.status, 403);
      const unknown = await api(harness, "POST", "/api/v1/stock-syncs", { source: "amazon" });
      assert.equal(unknown.status, 400);
      const badKind = await api(harness, "POST", "/api/v1/stock-syncs", {
        source: "ozon",
        kind: "delete",
      });
      assert.equal(badKind.status, 400);
      const wb = await api(harness, "POST", "/api/v1/stock-syncs", { source: "wildberries" });
      assert.equal(wb.status, 422);
      assert.match((await wb.json()).detail, /WB_TOKEN/);
      const missing = await api(harness, "GET", "/api/v1/stock-syncs/999999", undefined, READER);
      assert.equal(missing.status, 404);
    });

    await t.step("a run left running by a dead worker does not hold the lock", async () => {
      const orphan = await harness.ctx.db.insertInto("stock_sync_runs").values({
        source: "ozon",
        kind: "read",
        trigger: "manual",
        job_id: crypto.randomUUID(),
        started_at: sql<Date>`now() - interval '5 minutes'`,
      }).returning("id").executeTakeFirstOrThrow();
      const run = await syncNow(harness, "ozon");
      assert.equal(run.status, "success");
      const dead = await harness.ctx.db.selectFrom("stock_sync_runs").selectAll()
        .where("id", "=", orphan.id).executeTakeFirstOrThrow();
      assert.equal(dead.status, "failed");
      assert.match(dead.error_message!, /interrupted/);
    });

    await t.step("a 1C stock import triggers a push (debounced)", async () => {
      const before = await harness.ctx.db.selectFrom("stock_sync_runs").select("id")
        .where("trigger", "=", "import").execute();
      assert.equal(before.length, 0);
      await enqueueStockPushAfterImport(harness.ctx);
      await enqueueStockPushAfterImport(others[0]);
      const deadline = Date.now() + 30_000;
      let runs;
      do {
        await new Promise((r) => setTimeout(r, 100));
        runs = await harness.ctx.db.selectFrom("stock_sync_runs").selectAll()
          .where("trigger", "=", "import").execute();
      } while ((runs.length === 0 || runs[0].status === "running") && Date.now() < deadline);
      assert.equal(runs[0].kind, "push");
      assert.equal(runs[0].status, "success", runs[0].error_message ?? "");
    });

    await t.step("each slot prunes old logs and alerts once when a source goes stale", async () => {
      await harness.ctx.db.insertInto("stock_sync_runs").values({
        source: "ozon",
        kind: "read",
        trigger: "schedule",
        status: "success",
        started_at: sql<Date>`now() - interval '100 days'`,
        completed_at: sql<Date>`now() - interval '100 days'`,
      }).execute();
      // Every read finished long ago: more than two 6-hour intervals.
      await sql`UPDATE stock_sync_runs SET completed_at = now() - interval '13 hours'
        WHERE kind = 'read' AND completed_at > now() - interval '1 day'`.execute(harness.ctx.db);
      fake.gate.close(); // the slot's own read must not finish before the check
      const slot = new Date("2026-10-02T00:00:00.000Z");
      await fireStockSyncSlot(harness.ctx, slot);
      await fireStockSyncSlot(others[0], slot);
      const old = await harness.ctx.db.selectFrom("stock_sync_runs").select("id")
        .where("started_at", "<", sql<Date>`now() - interval '90 days'`).execute();
      assert.equal(old.length, 0, "older than 90 days: pruned");
      const stale = webhook.notices.filter((n) => n.kind === "stale");
      assert.equal(stale.length, 1);
      assert.equal(stale[0].source, "ozon");
      const health =
        await (await api(harness, "GET", "/api/v1/stock-syncs/health", undefined, READER))
          .json();
      assert.equal(health.items[0].stale, true);
      fake.gate.open();
      await settle(harness, slot, 2);
      const after =
        await (await api(harness, "GET", "/api/v1/stock-syncs/health", undefined, READER))
          .json();
      assert.equal(after.items[0].stale, false);
    });
  } finally {
    fake.gate.open();
    for (const stop of stops) await stop();
    for (const ctx of others) await ctx.close(2000);
    await h?.close();
    await fake.close();
    await webhook.close();
  }
});
