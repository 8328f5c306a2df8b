/**
 * Replay of kept exchanges (POST /api/v1/imports) and the retention of raw files.
 */
import { assertEquals, assertMatch } from "@std/assert";
import { createHarness, type Harness } from "../helpers/harness.ts";
import { inProcess, OneCClient } from "../../src/onec/exchange-client.ts";
import * as F from "../fixtures/catalog-v208.ts";

const enc = new TextEncoder();
const admin = { Authorization: "Bearer dev-admin-token", "Content-Type": "application/json" };

async function exchange(h: Harness, files: [string, string][], importThem = true) {
  const c = new OneCClient(inProcess(h.app));
  await c.checkauth();
  await c.init();
  for (const [name, xml] of files) await c.upload(name, enc.encode(xml));
  if (importThem) { for (const [name] of files) await c.importFile(name); }
  return c.cookie.split("=")[1];
}

const start = (h: Harness, body: unknown, headers: Record<string, string> = admin) =>
  h.app.request("/api/v1/imports", { method: "POST", headers, body: JSON.stringify(body) });

async function waitRun(h: Harness, id: number) {
  for (let i = 0; i < 400; i++) {
    const run = await (await h.app.request(`/api/v1/imports/${id}`, { headers: admin })).json();
    if (run.status === "success" || run.status === "failed") return run;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`run ${id} did not finish`);
}

Deno.test("replay a kept exchange by kind", async (t) => {
  const h = await createHarness("replay", { env: { EXCHANGE_KEEP: "2" } });
  try {
    const a = await exchange(h, [["import.xml", F.importXml()], ["offers.xml", F.offersXml()]]);

    await t.step("only admins may start imports", async () => {
      const r = await start(h, { exchangeId: a, kind: "catalog" }, {
        Authorization: "Bearer dev-reader-token",
        "Content-Type": "application/json",
      });
      assertEquals(r.status, 403);
      assertEquals(r.headers.get("content-type"), "application/problem+json");
    });

    await t.step("the kept files of that kind are imported again through the job", async () => {
      const r = await start(h, { exchangeId: a, kind: "prices" });
      assertEquals(r.status, 202);
      const { items } = await r.json();
      assertEquals(items.map((i: { fileName: string }) => i.fileName), ["offers.xml"]);
      const done = await waitRun(h, items[0].id);
      assertEquals(done.status, "success");
      assertEquals(done.sessionId, a);
    });

    await t.step("a kind the exchange did not carry: 422; an unknown exchange: 404", async () => {
      const c = await exchange(h, [["import.xml", F.importXml()]]);
      const r = await start(h, { exchangeId: c, kind: "rests" });
      assertEquals(r.status, 422);
      assertMatch((await r.json()).detail, /holds rests/);
      assertEquals((await start(h, { exchangeId: "nope", kind: "catalog" })).status, 404);
    });

    await t.step("a bad body is a 400 problem with issues", async () => {
      const r = await start(h, { exchangeId: a, kind: "everything" });
      assertEquals(r.status, 400);
      assertEquals((await r.json()).issues[0].path, "kind");
    });

    await t.step("files beyond the last EXCHANGE_KEEP exchanges are dropped", async () => {
      await exchange(h, [["import.xml", F.importXml()]]);
      await exchange(h, [["import.xml", F.importXml()]]);
      // Pruning runs at checkauth in the background; the next checkauth has seen it through.
      await new OneCClient(inProcess(h.app)).checkauth();
      await new Promise((r) => setTimeout(r, 200));
      const kept = await h.ctx.pool.query(
        "SELECT count(DISTINCT session_id)::int AS n FROM upload_files",
      );
      assertEquals(kept.rows[0].n, 2);
      assertEquals((await start(h, { exchangeId: a, kind: "catalog" })).status, 404);
      const runs = await h.ctx.pool.query(
        "SELECT count(*)::int AS n FROM import_runs WHERE session_id = $1",
        [a],
      );
      assertEquals(runs.rows[0].n >= 2, true, "the audit trail stays");
    });
  } finally {
    await h.close();
  }
});

Deno.test("a second start while an import runs gets 409 with the running run", async () => {
  // No workers: the first replay's run stays queued, holding the lock.
  const h = await createHarness("replay_lock", { workers: false });
  try {
    const a = await exchange(h, [["import.xml", F.importXml()]], false);
    await h.ctx.pool.query(
      `INSERT INTO import_runs (session_id, file_name, kind, status) VALUES ($1, 'import.xml', 'catalog', 'success')`,
      [a],
    );
    const first = await start(h, { exchangeId: a, kind: "catalog" });
    assertEquals(first.status, 202);
    const queued = (await first.json()).items[0].id;
    const second = await start(h, { exchangeId: a, kind: "catalog" });
    assertEquals(second.status, 409);
    const body = await second.json();
    assertEquals(body.runningRunId, queued);
    assertMatch(body.detail, /import already running/);
  } finally {
    await h.close();
  }
});
