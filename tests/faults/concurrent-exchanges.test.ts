/**
 * Two 1C exchanges started at the same moment, against two service instances sharing one
 * database (two pools, two pg-boss workers competing for the `catalog-import` queue). The
 * queue's `singleton` policy serializes the imports: they never overlap in time, the waiting
 * one answers `progress` naming the import it waits for, both end `success`, and the catalog
 * equals importing the two files one after the other in the order they actually ran
 * (replayed through the protocol on a second, fresh database and compared row by row).
 *
 * The two files overlap (half of the products in both, with other names and prices) and are
 * full files, so each deactivates what it did not list: the order matters to the result.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import pg from "pg";
import { createHarness, type Harness } from "../helpers/harness.ts";
import { type Answer, inProcess, OneCClient } from "../../src/onec/exchange-client.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import { openContext, type OpenedContext } from "../../src/bootstrap.ts";
import { createApp } from "../../src/app.ts";
import { startWorkers } from "../../workers/index.ts";

/** Products per file; the files share half of them. */
const PER_FILE = 3000;

interface Variant {
  tag: "A" | "B";
  from: number;
}
const A: Variant = { tag: "A", from: 0 };
const B: Variant = { tag: "B", from: PER_FILE / 2 };

const pid = (i: number) => `prod-${String(i).padStart(6, "0")}`;

/** One CommerceML 2.08 file with the catalog and its offers (prices, stock). */
function variantXml(v: Variant): Uint8Array {
  const items: string[] = [];
  const offers: string[] = [];
  const price = v.tag === "A" ? 100 : 250;
  for (let i = v.from; i < v.from + PER_FILE; i++) {
    items.push(
      `<Товар><Ид>${pid(i)}</Ид><Артикул>ART-${i}</Артикул>` +
        `<Наименование>Товар ${i} (${v.tag})</Наименование>` +
        `<Группы><Ид>grp-${v.tag}</Ид></Группы></Товар>`,
    );
    offers.push(
      `<Предложение><Ид>${pid(i)}</Ид><Наименование>Товар ${i} (${v.tag})</Наименование>` +
        `<Цены><Цена><ИдТипаЦены>pt-retail</ИдТипаЦены><ЦенаЗаЕдиницу>${price + i}.50` +
        `</ЦенаЗаЕдиницу><Валюта>RUB</Валюта></Цена></Цены>` +
        `<Склад ИдСклада="wh-main" КоличествоНаСкладе="${(i % 7) + (v.tag === "A" ? 1 : 10)}"/>` +
        `</Предложение>`,
    );
  }
  return new TextEncoder().encode(`<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_2" ВерсияСхемы="2.08" ДатаФормирования="2024-01-01T10:00:00">
  <Классификатор><Ид>cls-1</Ид><Наименование>Классификатор</Наименование>
    <Группы><Группа><Ид>grp-${v.tag}</Ид><Наименование>Группа ${v.tag}</Наименование></Группа></Группы>
  </Классификатор>
  <Каталог СодержитТолькоИзменения="false">
    <Ид>cat-1</Ид><ИдКлассификатора>cls-1</ИдКлассификатора><Наименование>Каталог</Наименование>
    <Товары>${items.join("\n")}</Товары>
  </Каталог>
  <ПакетПредложений СодержитТолькоИзменения="false">
    <Ид>cat-1#</Ид><Наименование>Пакет предложений</Наименование><ИдКаталога>cat-1</ИдКаталога>
    <ТипыЦен><ТипЦены><Ид>pt-retail</Ид><Наименование>Розничная</Наименование><Валюта>RUB</Валюта></ТипЦены></ТипыЦен>
    <Склады><Склад><Ид>wh-main</Ид><Наименование>Основной склад</Наименование></Склад></Склады>
    <Предложения>${offers.join("\n")}</Предложения>
  </ПакетПредложений>
</КоммерческаяИнформация>`);
}

/** checkauth, init and the upload of one variant: a session ready for `mode=import`. */
async function uploaded(client: OneCClient, v: Variant): Promise<void> {
  assertEquals((await client.checkauth()).lines[0], "success");
  await client.init();
  const answers = await client.upload(`import_${v.tag}.xml`, variantXml(v));
  assert(answers.every((a) => a.lines[0] === "success"), `upload of ${v.tag}`);
}

/** Repeats mode=import as 1C does, keeping every answer. */
async function importAll(client: OneCClient, v: Variant): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < 1000; i++) {
    const a = await client.call({ mode: "import", filename: `import_${v.tag}.xml` });
    answers.push(a);
    if (a.lines[0] !== "progress") return answers;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`import_${v.tag}.xml: still progress after 1000 polls`);
}

/** The catalog as rows (no timestamps), and a digest of each table. */
async function catalogDump(url: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const q = async (sql: string) => (await c.query(sql)).rows[0];
    return {
      products: await q(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE is_active)::int AS active,
        md5(string_agg(concat_ws('|', onec_id, name, sku, is_active, deleted,
          array_to_string(group_ids, ','), hash), ',' ORDER BY onec_id)) AS digest FROM products`,
      ),
      offers: await q(`SELECT count(*)::int AS n, count(*) FILTER (WHERE is_active)::int AS active,
        md5(string_agg(concat_ws('|', onec_id, product_id, name, quantity, is_active, hash,
          prices_hash, stocks_hash), ',' ORDER BY onec_id)) AS digest FROM offers`),
      prices: await q(`SELECT count(*)::int AS n, md5(string_agg(concat_ws('|', offer_id,
          price_type_id, value, currency), ',' ORDER BY offer_id, price_type_id)) AS digest
        FROM prices`),
      stocks: await q(`SELECT count(*)::int AS n, md5(string_agg(concat_ws('|', offer_id,
          warehouse_id, quantity), ',' ORDER BY offer_id, warehouse_id)) AS digest FROM stocks`),
      groups: await q(`SELECT count(*)::int AS n, md5(string_agg(concat_ws('|', onec_id, name,
          is_active), ',' ORDER BY onec_id)) AS digest FROM groups`),
    };
  } finally {
    await c.end();
  }
}

Deno.test({
  name: "two 1C exchanges at the same moment: serialized, both complete, as if sequential",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    let h: Harness | undefined;
    let second: OpenedContext | undefined;
    let stopSecond: (() => Promise<void>) | undefined;
    let sequential: Harness | undefined;
    try {
      h = await createHarness("fault_concurrent");
      // A second instance on the same database: its own pool, pg-boss and workers.
      const config = loadConfig({ DATABASE_URL: h.url, LOG_LEVEL: "warn" });
      second = await openContext(config, createLogger("warn", { write: () => {} }), h.url, 6);
      stopSecond = await startWorkers(second);
      const apps = [h.app, createApp(second)];
      const clients = apps.map((app) => new OneCClient(inProcess(app)));

      await uploaded(clients[0], A);
      await uploaded(clients[1], B);
      // Whichever import starts first is held at its first write until the other exchange has
      // polled while it ran: a small file would otherwise finish within one held answer, and
      // the test would depend on timing.
      const blocker = new pg.Client({ connectionString: h.url });
      await blocker.connect();
      await blocker.query("BEGIN");
      await blocker.query("LOCK TABLE groups, products IN EXCLUSIVE MODE");
      const both = Promise.all([importAll(clients[0], A), importAll(clients[1], B)]);
      for (let i = 0;; i++) {
        const r = await h.ctx.pool.query(
          `SELECT count(*) FILTER (WHERE status = 'running')::int AS running,
                  count(*) FILTER (WHERE status = 'queued')::int AS queued FROM import_runs`,
        );
        if (r.rows[0].running === 1 && r.rows[0].queued === 1) break;
        if (i > 600) throw new Error("the two imports were never running and queued at once");
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 1500)); // the waiting exchange polls meanwhile
      await blocker.query("ROLLBACK");
      await blocker.end();
      const [answersA, answersB] = await both;
      for (const [v, answers] of [[A, answersA], [B, answersB]] as const) {
        const last = answers.at(-1)!;
        assertEquals(last.lines[0], "success", `${v.tag}: ${last.lines.join(" | ")}`);
        assertMatch(last.lines[1], new RegExp(`products: ${PER_FILE} created|products: .*updated`));
      }

      // Never at the same time: one finished before the other started.
      const runs = await h.ctx.db.selectFrom("import_runs")
        .select(["id", "file_name", "status", "started_at", "finished_at"])
        .orderBy("started_at").execute();
      assertEquals(runs.length, 2);
      assert(runs.every((r) => r.status === "success"));
      const [first, later] = runs;
      assert(
        first.finished_at! <= later.started_at!,
        `overlap: #${first.id} ran until ${first.finished_at?.toISOString()}, ` +
          `#${later.id} started at ${later.started_at?.toISOString()}`,
      );

      // The one that waited said so, naming the import it waited for.
      const waited = later.file_name === "import_A.xml" ? answersA : answersB;
      const reasons = waited.filter((a) => a.lines[0] === "progress").map((a) => a.lines[1]);
      assert(
        reasons.some((r) =>
          r === `${later.file_name}: waiting for import #${first.id} (${first.file_name}) to finish`
        ),
        `the waiting exchange's answers: ${reasons.join(" / ")}`,
      );

      // The same two files imported one after the other, in that order, on a fresh database.
      const seq = sequential = await createHarness("fault_concurrent_seq");
      const order = first.file_name === "import_A.xml" ? [A, B] : [B, A];
      for (const v of order) {
        const client = new OneCClient(inProcess(seq.app));
        await uploaded(client, v);
        const done = await client.importFile(`import_${v.tag}.xml`, 1000, 20);
        assertEquals(done.lines[0], "success", done.lines.join(" | "));
      }
      const [concurrent, expected] = [await catalogDump(h.url), await catalogDump(seq.url)];
      assertEquals(concurrent, expected);
      // The later file's names and prices won; what only the earlier file listed is inactive.
      const [, lastVariant] = order;
      assertEquals(concurrent.products.n, PER_FILE * 3 / 2);
      assertEquals(concurrent.products.active, PER_FILE);
      const overlap = pid(PER_FILE - 1);
      const row = await h.ctx.db.selectFrom("products").innerJoin(
        "prices",
        "prices.offer_id",
        "products.onec_id",
      ).select(["products.name", "prices.value"]).where("products.onec_id", "=", overlap)
        .executeTakeFirstOrThrow();
      const price = (lastVariant.tag === "A" ? 100 : 250) + PER_FILE - 1;
      assertEquals(
        [row.name, Number(row.value)],
        [`Товар ${PER_FILE - 1} (${lastVariant.tag})`, price + 0.5],
      );
    } finally {
      await stopSecond?.();
      await second?.close(5000);
      await h?.close();
      await sequential?.close();
    }
  },
});
