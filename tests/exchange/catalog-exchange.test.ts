/**
 * The whole catalog protocol against a real Postgres and real pg-boss workers:
 * checkauth → init → file (in parts, plain and zipped) → import polling → success, then the
 * catalog holds exactly what the files said.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { BlobWriter, TextReader, ZipWriter } from "@zip.js/zip.js";
import { sql } from "kysely";
import { createHarness, type Harness } from "../helpers/harness.ts";
import { inProcess, OneCClient } from "../../src/onec/exchange-client.ts";
import * as F from "../fixtures/catalog-v208.ts";

const enc = new TextEncoder();

async function exchange(
  h: Harness,
  files: [string, string][],
  client = new OneCClient(inProcess(h.app)),
) {
  assertEquals((await client.checkauth()).lines[0], "success");
  await client.init();
  for (const [name, xml] of files) {
    for (const a of await client.upload(name, enc.encode(xml), 700)) {
      assertEquals(a.lines[0], "success");
    }
  }
  const answers = [];
  for (const [name] of files) answers.push(await client.importFile(name));
  return { client, answers };
}

async function product(h: Harness, id: string) {
  return await h.ctx.db.selectFrom("products").selectAll().where("onec_id", "=", id)
    .executeTakeFirst();
}

Deno.test("catalog exchange", async (t) => {
  const h = await createHarness("catalog_exchange");
  try {
    await t.step(
      "checkauth refuses wrong or missing credentials and creates no session",
      async () => {
        const c = new OneCClient(inProcess(h.app));
        const wrong = await c.checkauth("1c", "nope");
        assertEquals(wrong.status, 200);
        assertEquals(wrong.lines[0], "failure");
        const none = await c.call({ mode: "checkauth" });
        assertEquals(none.lines[0], "failure");
        const n = await h.ctx.db.selectFrom("exchange_sessions").select((eb) =>
          eb.fn.countAll().as("n")
        )
          .executeTakeFirstOrThrow();
        assertEquals(Number(n.n), 0);
      },
    );

    await t.step(
      "checkauth answers five LF lines without BOM; later modes need the cookie",
      async () => {
        const c = new OneCClient(inProcess(h.app));
        const a = await c.checkauth();
        assertEquals(a.lines.length, 5);
        assertEquals(a.lines[0], "success");
        assertMatch(a.lines[3], /^sessid=[0-9a-f]{32}$/);
        assertMatch(a.lines[4], /^timestamp=\d{10}$/);
        assert(a.raw[0] === "s".charCodeAt(0), "no BOM");
        assert(!new TextDecoder().decode(a.raw).includes("\r"));
        assertMatch(a.headers.get("content-type")!, /^text\/plain; charset=utf-8/);
        const stranger = new OneCClient(inProcess(h.app));
        assertEquals((await stranger.call({ mode: "init" })).lines[0], "failure");
        // sessid alone (no cookie) is enough, as newer 1C clients send it.
        const bySessid = new OneCClient(inProcess(h.app), { sendSessid: true });
        bySessid.sessid = c.sessid;
        assertEquals((await bySessid.call({ mode: "init" })).lines[0], "zip=yes");
      },
    );

    await t.step("init answers zip and file_limit", async () => {
      const c = new OneCClient(inProcess(h.app));
      await c.checkauth();
      const a = await c.init();
      assertEquals(a.lines, ["zip=yes", "file_limit=1000000"]);
    });

    await t.step("import.xml and offers.xml uploaded in parts import fully", async () => {
      const { answers } = await exchange(h, [["import.xml", F.importXml()], [
        "offers.xml",
        F.offersXml(),
      ]]);
      assertEquals(answers[0].lines[0], "success", answers[0].lines.join(" | "));
      assertMatch(answers[0].lines[1], /products: 3 created/);
      assertEquals(answers[1].lines[0], "success", answers[1].lines.join(" | "));
      assertMatch(answers[1].lines[1], /offers: 2 created/);

      const p1 = await product(h, F.P1);
      assertEquals(p1?.name, "Дрель ударная");
      assertEquals(p1?.sku, "ART-1");
      assertEquals(p1?.group_ids, [F.GROUP_CHILD]);
      assertEquals(p1?.images, ["import_files/5f/drill.jpg"]);
      assertEquals(p1?.manufacturer, "Bosch");
      const prices = await h.ctx.db.selectFrom("prices").selectAll().where("offer_id", "=", F.P1)
        .orderBy("price_type_id").execute();
      assertEquals(prices.map((p) => [p.price_type_id, Number(p.value)]), [
        [F.PT_RETAIL, 4990.5],
        [F.PT_WHOLESALE, 4100],
      ]);
      const stocks = await h.ctx.db.selectFrom("stocks").selectAll().where("offer_id", "=", F.P1)
        .orderBy("warehouse_id").execute();
      assertEquals(stocks.map((s) => [s.warehouse_id, Number(s.quantity)]), [[F.WH_MAIN, 5], [
        F.WH_SHOP,
        2,
      ]]);
      const variant = await h.ctx.db.selectFrom("offers").selectAll().where(
        "onec_id",
        "=",
        F.VARIANT,
      )
        .executeTakeFirstOrThrow();
      assertEquals(variant.product_id, F.P2);
      assertEquals(variant.characteristics, { "Размер": "XL", "Цвет": "Синий" });
      const vstock = await h.ctx.db.selectFrom("stocks").selectAll().where(
        "offer_id",
        "=",
        F.VARIANT,
      ).execute();
      assertEquals(vstock.map((s) => [s.warehouse_id, Number(s.quantity)]), [[F.WH_MAIN, 3]]);
      const groups = await h.ctx.db.selectFrom("groups").selectAll().orderBy("onec_id").execute();
      assertEquals(groups.map((g) => [g.onec_id, g.parent_id]), [[F.GROUP_CHILD, F.GROUP_ROOT], [
        F.GROUP_ROOT,
        null,
      ]]);
    });

    await t.step("the API returns exactly what the files said", async () => {
      const res = await h.app.request(`/api/v1/products/${F.P1}`, {
        headers: { Authorization: "Bearer dev-reader-token" },
      });
      assertEquals(res.status, 200);
      const p = await res.json();
      assertEquals(p.onecId, F.P1);
      assertEquals(p.sku, "ART-1");
      assertEquals(p.barcode, "4600000000011");
      assertEquals(p.name, "Дрель ударная");
      assertEquals(p.description, "Мощная дрель");
      assertEquals(p.categoryIds, [F.GROUP_CHILD]);
      assertEquals(p.manufacturer, "Bosch");
      assertEquals(p.isActive, true);
      assertEquals(p.properties, { "Цвет": "Красный", "Мощность": "750" });
      assertEquals(p.images, ["/images/import_files/5f/drill.jpg"]);
      assertEquals(p.offers.length, 1);
      const offer = p.offers[0];
      assertEquals(offer.onecId, F.P1);
      assertEquals(offer.quantity, 7);
      assertEquals(
        offer.prices.map((
          x: { priceTypeId: string; priceType: string; value: number; currency: string },
        ) => [x.priceTypeId, x.priceType, x.value, x.currency]),
        [[F.PT_RETAIL, "Розничная", 4990.5, "RUB"], [F.PT_WHOLESALE, "Оптовая", 4100, "RUB"]],
      );
      assertEquals(
        offer.stocks.map((
          x: { warehouseId: string; warehouse: string; quantity: number },
        ) => [x.warehouseId, x.warehouse, x.quantity]),
        [[F.WH_MAIN, "Основной склад", 5], [F.WH_SHOP, "Магазин", 2]],
      );
      const p2 = await (await h.app.request(`/api/v1/products/${F.P2}`, {
        headers: { Authorization: "Bearer dev-reader-token" },
      })).json();
      assertEquals(p2.offers.map((o: { onecId: string }) => o.onecId), [F.VARIANT]);
      assertEquals(p2.offers[0].characteristics, { "Размер": "XL", "Цвет": "Синий" });
      const p3 = await (await h.app.request(`/api/v1/products/${F.P3}`, {
        headers: { Authorization: "Bearer dev-reader-token" },
      })).json();
      assert(p3.sku === null || p3.sku === "", "no Артикул → empty sku");
      const list = await (await h.app.request("/api/v1/products?limit=2", {
        headers: { Authorization: "Bearer dev-reader-token" },
      })).json();
      assertEquals(list.total, 3);
      assertEquals(list.items.length, 2);
      assert(list.nextCursor);
    });

    await t.step("the same exchange again changes nothing and duplicates nothing", async () => {
      const before = await product(h, F.P1);
      const { answers } = await exchange(h, [["import.xml", F.importXml()], [
        "offers.xml",
        F.offersXml(),
      ]]);
      assertMatch(answers[0].lines[1], /products: 3 unchanged/);
      assertMatch(answers[1].lines[1], /offers: 2 unchanged/);
      const after = await product(h, F.P1);
      assertEquals(after?.updated_at, before?.updated_at);
      const n = await h.ctx.db.selectFrom("products").select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow();
      assertEquals(Number(n.n), 3);
    });

    await t.step(
      "a partial exchange never deactivates; a full one deactivates what it lacks",
      async () => {
        await exchange(h, [["import.xml", F.importXml({ products: [F.P1], changesOnly: true })]]);
        assertEquals((await product(h, F.P3))?.is_active, true);
        const { answers } = await exchange(h, [[
          "import.xml",
          F.importXml({ products: [F.P1, F.P2] }),
        ]]);
        assertMatch(answers[0].lines[1], /products: .*1 deactivated/);
        assertEquals((await product(h, F.P3))?.is_active, false);
        assertEquals((await product(h, F.P1))?.is_active, true);
        // It comes back when 1C lists it again.
        await exchange(h, [["import.xml", F.importXml()]]);
        assertEquals((await product(h, F.P3))?.is_active, true);
      },
    );

    await t.step(
      "a split exchange deactivates only what no package listed, at deactivate",
      async () => {
        await exchange(h, [["import.xml", F.importXml()]]); // all three active
        const c = new OneCClient(inProcess(h.app));
        await c.checkauth();
        await c.init();
        const files: [string, string][] = [
          ["goods/1/import___a.xml", F.importXml({ products: [F.P1] })],
          ["goods/2/import___b.xml", F.importXml({ products: [F.P2] })],
        ];
        for (const [name, xml] of files) await c.upload(name, enc.encode(xml));
        for (const [name] of files) {
          const a = await c.importFile(name);
          assertEquals(a.lines[0], "success", a.lines.join(" | "));
          assert(!/deactivated/.test(a.lines[1]), "one package never deactivates");
        }
        assertEquals((await product(h, F.P3))?.is_active, true);
        const d = await c.call({ mode: "deactivate", timestamp: String(c.timestamp) });
        assertEquals(d.lines, ["success", "1 product(s) deactivated"]);
        assertEquals((await product(h, F.P3))?.is_active, false);
        assertEquals((await product(h, F.P1))?.is_active, true);
        assertEquals((await product(h, F.P2))?.is_active, true);
        assertEquals((await c.call({ mode: "complete" })).lines[0], "success");
      },
    );

    await t.step("a split exchange without mode=deactivate deactivates at complete", async () => {
      await exchange(h, [["import.xml", F.importXml()]]);
      const c = new OneCClient(inProcess(h.app));
      await c.checkauth();
      await c.init();
      await c.upload("goods/1/import___a.xml", enc.encode(F.importXml({ products: [F.P1, F.P3] })));
      assertEquals((await c.importFile("goods/1/import___a.xml")).lines[0], "success");
      assertEquals((await product(h, F.P2))?.is_active, true);
      const done = await c.call({ mode: "complete" });
      assertEquals(done.lines, ["success", "exchange complete; 1 product(s) deactivated"]);
      assertEquals((await product(h, F.P2))?.is_active, false);
      await exchange(h, [["import.xml", F.importXml()]]); // restore for the next steps
    });

    await t.step("deactivate after a failed package deactivates nothing", async () => {
      const c = new OneCClient(inProcess(h.app));
      await c.checkauth();
      await c.init();
      await c.upload("goods/1/import___a.xml", enc.encode(F.importXml({ products: [F.P1] })));
      await c.upload("goods/2/import___b.xml", enc.encode("<broken"));
      await c.importFile("goods/1/import___a.xml");
      assertEquals((await c.importFile("goods/2/import___b.xml")).lines[0], "failure");
      const d = await c.call({ mode: "deactivate", timestamp: String(c.timestamp) });
      assertEquals(d.lines[0], "success");
      assertMatch(d.lines[1], /nothing deactivated: import run \d+ failed/);
      assertEquals((await product(h, F.P2))?.is_active, true);
    });

    await t.step(
      "an identical re-sent file is skipped unless what it carries changed since",
      async () => {
        const lastRun = () =>
          h.ctx.db.selectFrom("import_runs").selectAll().orderBy("id", "desc")
            .executeTakeFirstOrThrow();
        const xml = F.importXml({ p1Name: "Дрель (версия Б)" });
        await exchange(h, [["import.xml", xml]]);
        const first = await lastRun();
        assertEquals(first.same_as_run_id, null);
        const { answers } = await exchange(h, [["import.xml", xml]]);
        assertMatch(answers[0].lines[1], /products: 3 unchanged/);
        const second = await lastRun();
        assertEquals(second.same_as_run_id, first.id);
        assertEquals(second.content_sha256, first.content_sha256);
        // Another file changes a product: the identical file must be applied again.
        await exchange(h, [["import.xml", F.importXml({ p1Name: "Другое имя" })]]);
        await exchange(h, [["import.xml", xml]]);
        const third = await lastRun();
        assertEquals(third.same_as_run_id, null);
        assertEquals((await product(h, F.P1))?.name, "Дрель (версия Б)");
        await exchange(h, [["import.xml", F.importXml()]]); // back to the fixture's names
      },
    );

    await t.step(
      "pictures are stored once, served with caching headers, removed when unused",
      async () => {
        const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9]);
        const send = async (xml: string, pictures: [string, Uint8Array][]) => {
          const c = new OneCClient(inProcess(h.app));
          await c.checkauth();
          await c.init();
          for (const [name, bytes] of pictures) await c.upload(name, bytes);
          await c.upload("import.xml", enc.encode(xml));
          const a = await c.importFile("import.xml");
          assertEquals(a.lines[0], "success", a.lines.join(" | "));
          return a;
        };
        await send(F.importXml({ p1Image: "import_files/5f/drill.jpg" }), [
          ["import_files/5f/drill.jpg", jpeg],
        ]);
        const res = await h.app.request("/images/import_files/5f/drill.jpg");
        assertEquals(res.status, 200);
        assertEquals(res.headers.get("content-type"), "image/jpeg");
        assertMatch(res.headers.get("cache-control")!, /max-age=\d+/);
        assertEquals(new Uint8Array(await res.arrayBuffer()), jpeg);
        const etag = res.headers.get("etag")!;
        const again = await h.app.request("/images/import_files/5f/drill.jpg", {
          headers: { "If-None-Match": etag },
        });
        assertEquals(again.status, 304);
        // 1C re-sends the same picture (under another path too): still one stored copy.
        await send(F.importXml({ p1Image: "import_files/aa/drill-copy.jpg", p1Name: "Дрель 2" }), [
          ["import_files/5f/drill.jpg", jpeg],
          ["import_files/aa/drill-copy.jpg", jpeg],
        ]);
        const n = await h.ctx.pool.query("SELECT count(*)::int AS n FROM images");
        assertEquals(n.rows[0].n, 1);
        // No product names the old path any more: the path goes; the content stays (still used).
        assertEquals((await h.app.request("/images/import_files/5f/drill.jpg")).status, 404);
        assertEquals((await h.app.request("/images/import_files/aa/drill-copy.jpg")).status, 200);
        // The last product picture dropped: the content goes too.
        await send(F.importXml({ p1Image: null, p1Name: "Дрель 3" }), []);
        const left = await h.ctx.pool.query("SELECT count(*)::int AS n FROM images");
        assertEquals(left.rows[0].n, 0);
        await exchange(h, [["import.xml", F.importXml()]]);
      },
    );

    await t.step(
      "malformed XML fails with line and column and leaves the catalog intact",
      async () => {
        const broken = F.importXml({ p1Name: "Сломано" }).replace("</Товары>", "</Товар>");
        const { answers } = await exchange(h, [["import.xml", broken]]);
        assertEquals(answers[0].lines[0], "failure");
        assertMatch(answers[0].lines.join("\n"), /line \d+, column \d+/);
        assertEquals((await product(h, F.P1))?.name, "Дрель ударная");
        const run = await h.ctx.db.selectFrom("import_runs").selectAll().orderBy("id", "desc")
          .executeTakeFirstOrThrow();
        assertEquals(run.status, "failed");
      },
    );

    await t.step(
      "a zip uploaded in fragments is unpacked and its files import by name",
      async () => {
        const zw = new ZipWriter(new BlobWriter("application/zip"));
        await zw.add("import.xml", new TextReader(F.importXml({ p1Name: "Дрель из архива" })));
        await zw.add("offers.xml", new TextReader(F.offersXml({ p1Retail: "5100" })));
        await zw.add("import_files/5f/drill.jpg", new TextReader("not really a jpeg"));
        const zip = new Uint8Array(await (await zw.close()).arrayBuffer());
        const c = new OneCClient(inProcess(h.app));
        await c.checkauth();
        await c.init();
        for (const a of await c.upload("v8_1A2B_1.zip", zip, 300)) {
          assertEquals(a.lines[0], "success");
        }
        const a1 = await c.importFile("import.xml");
        assertEquals(a1.lines[0], "success", a1.lines.join(" | "));
        const a2 = await c.importFile("offers.xml");
        assertEquals(a2.lines[0], "success", a2.lines.join(" | "));
        assertEquals((await product(h, F.P1))?.name, "Дрель из архива");
        const price = await h.ctx.db.selectFrom("prices").select("value").where(
          "offer_id",
          "=",
          F.P1,
        )
          .where("price_type_id", "=", F.PT_RETAIL).executeTakeFirstOrThrow();
        assertEquals(Number(price.value), 5100);
      },
    );

    await t.step("an offer for an unknown product is skipped and reported", async () => {
      const { answers } = await exchange(h, [[
        "offers.xml",
        F.offersXml({ includeUnknown: true }),
      ]]);
      assertEquals(answers[0].lines[0], "success");
      assertMatch(answers[0].lines[1], /1 skipped/);
      assertMatch(answers[0].lines[1], /unknown-product#x/);
    });

    await t.step("unsafe file names are refused with failure", async () => {
      const c = new OneCClient(inProcess(h.app));
      await c.checkauth();
      await c.init();
      for (
        const name of [
          "../etc/passwd",
          "/etc/passwd",
          "a/../../b.xml",
          "shell.php",
          "a\u0000b.xml",
          "C:\\x.xml",
        ]
      ) {
        const [a] = await c.upload(name, enc.encode("<x/>"));
        assertEquals(a.lines[0], "failure", name);
      }
      // 1C on Linux prefixes /tmp/: stripped, the file is kept under its own name.
      const [ok] = await c.upload("/tmp/import_files/ab/pic.jpg", enc.encode("img"));
      assertEquals(ok.lines[0], "success");
      const names = await h.ctx.db.selectFrom("upload_files").select("name")
        .where("session_id", "=", c.cookie.split("=")[1]).execute();
      assertEquals(
        names.map((n) => n.name),
        ["import_files/ab/pic.jpg"],
      );
    });

    await t.step("repeated and concurrent import calls create one run and one job", async () => {
      const c = new OneCClient(inProcess(h.app));
      await c.checkauth();
      await c.init();
      await c.upload("import.xml", enc.encode(F.importXml()));
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => c.call({ mode: "import", filename: "import.xml" })),
      );
      for (const a of answers) assert(["progress", "success"].includes(a.lines[0]));
      const final = await c.importFile("import.xml");
      assertEquals(final.lines[0], "success");
      const sessionId = c.cookie.split("=")[1];
      const runs = await h.ctx.db.selectFrom("import_runs").select("job_id").where(
        "session_id",
        "=",
        sessionId,
      ).execute();
      assertEquals(runs.length, 1);
      const jobs = await h.ctx.pool.query(
        "SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'catalog-import' AND data->>'runId' = $1",
        [String(
          (await h.ctx.db.selectFrom("import_runs").select("id").where("session_id", "=", sessionId)
            .executeTakeFirstOrThrow()).id,
        )],
      );
      assertEquals(jobs.rows[0].n, 1);
    });

    await t.step(
      "a finished XML upload starts importing when the next XML begins; 1C's import finds that run",
      async () => {
        const c = new OneCClient(inProcess(h.app));
        await c.checkauth();
        await c.init();
        const sessionId = c.cookie.split("=")[1];
        const runs = () =>
          h.ctx.db.selectFrom("import_runs").select(["file_name", "status"])
            .where("session_id", "=", sessionId).orderBy("id").execute();
        await c.upload("import.xml", enc.encode(F.importXml()), 700);
        // Pictures and a zip in between start nothing: 1C may still be sending the catalog's.
        await c.upload("import_files/ab/early.jpg", new Uint8Array([0xff, 0xd8, 0xff, 0xd9]));
        assertEquals(await runs(), []);
        // The first part of offers.xml: import.xml is complete, its import starts now.
        const offers = enc.encode(F.offersXml());
        await c.upload("offers.xml", offers.subarray(0, 700), 700);
        assertEquals((await runs()).map((r) => r.file_name), ["import.xml"]);
        await c.upload("offers.xml", offers.subarray(700), 700);
        assertEquals((await runs()).length, 1, "more parts of the same file start nothing");
        const answers = [await c.importFile("import.xml"), await c.importFile("offers.xml")];
        assertEquals(answers.map((a) => a.lines[0]), ["success", "success"]);
        assertEquals(
          (await runs()).map((r) => [r.file_name, r.status]),
          [["import.xml", "success"], ["offers.xml", "success"]],
          "one run per file: 1C's import found the early one",
        );
      },
    );

    await t.step(
      "an early start that fails does not fail the upload: 1C's import starts the run",
      async () => {
        const c = new OneCClient(inProcess(h.app));
        await c.checkauth();
        await c.init();
        await c.upload("import.xml", enc.encode(F.importXml()));
        // No run row can be written while offers.xml begins: the early start fails.
        await sql`ALTER TABLE import_runs ADD CONSTRAINT no_runs CHECK (false) NOT VALID`
          .execute(h.ctx.db);
        let answers;
        try {
          answers = await c.upload("offers.xml", enc.encode(F.offersXml()));
        } finally {
          await sql`ALTER TABLE import_runs DROP CONSTRAINT no_runs`.execute(h.ctx.db);
        }
        assert(answers.every((a) => a.lines[0] === "success"), "the bytes were stored");
        const done = [await c.importFile("import.xml"), await c.importFile("offers.xml")];
        assertEquals(done.map((a) => a.lines[0]), ["success", "success"]);
      },
    );

    await t.step("the get_param?type quirk and the .php-less path work", async () => {
      const res = await h.app.request("/1c_exchange?get_param?type=catalog&mode=checkauth", {
        headers: { Authorization: `Basic ${btoa("1c:1c-exchange")}` },
      });
      assertEquals((await res.text()).split("\n")[0], "success");
    });

    await t.step("unknown mode and type get failure with HTTP 200", async () => {
      const c = new OneCClient(inProcess(h.app));
      await c.checkauth();
      const a = await c.call({ mode: "frobnicate" });
      assertEquals([a.status, a.lines[0]], [200, "failure"]);
      const b = await new OneCClient(inProcess(h.app), { type: "bogus" }).call({
        mode: "checkauth",
      });
      assertEquals([b.status, b.lines[0]], [200, "failure"]);
    });

    await t.step("complete closes the session: its cookie stops working", async () => {
      const c = new OneCClient(inProcess(h.app));
      await c.checkauth();
      assertEquals((await c.call({ mode: "complete" })).lines[0], "success");
      assertEquals((await c.call({ mode: "init" })).lines[0], "failure");
    });
  } finally {
    await h.close();
  }
});

Deno.test("catalog exchange over a real socket", async () => {
  const h = await createHarness("catalog_socket");
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, h.app.fetch);
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    const client = new OneCClient((input, init) => fetch(base + input, init), {
      path: "/1c_exchange",
    });
    const { answers } = await exchange(h, [["import.xml", F.importXml()], [
      "offers.xml",
      F.offersXml(),
    ]], client);
    assertEquals(answers.map((a) => a.lines[0]), ["success", "success"]);
    assertEquals((await product(h, F.P2))?.name, "Футболка");
  } finally {
    await server.shutdown();
    await h.close();
  }
});
