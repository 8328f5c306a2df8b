/**
 * Every request of 1C's exchange is a row of the integration log: type, mode, file name, the
 * answer (decoded from the configured charset), the duration, the request id and the client
 * address — and never the password, the session's cookie or sessid, or the uploaded bytes.
 * Over a real socket (Deno.serve, as in production), so headers and addresses are real.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { createHarness, type Harness } from "../helpers/harness.ts";
import { type Fetch, OneCClient } from "../../src/onec/exchange-client.ts";
import { waitFor } from "../customers/helpers.ts";
import * as F from "../fixtures/catalog-v208.ts";

const PASSWORD = "Xch-Integr-Pa55-7e1";
const PART = 700;

async function rows(h: Harness) {
  return await h.ctx.db.selectFrom("integration_log").selectAll().orderBy("id").execute();
}

/** Every row as Postgres prints it: what a leak would be searched in. */
async function tableText(h: Harness): Promise<string> {
  const r = await h.ctx.pool.query("SELECT x::text AS r FROM integration_log x");
  return r.rows.map((x: { r: string }) => x.r).join("\n");
}

Deno.test({
  name: "exchange requests are recorded with mode, file, answer and duration",
  // Keep-alive connections of the test's own fetch client outlive a step.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const h = await createHarness("integration_log_exchange", {
      env: {
        EXCHANGE_LOGIN: "shop",
        EXCHANGE_PASSWORD: PASSWORD,
        EXCHANGE_CHARSET: "windows-1251",
      },
    });
    const server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen: () => {} },
      h.app.fetch,
    );
    try {
      const base = `http://127.0.0.1:${server.addr.port}`;
      const fetcher: Fetch = (input, init) => fetch(base + input, init);
      const xml = new TextEncoder().encode(F.importXml());
      let c = new OneCClient(fetcher);

      await t.step("a refused checkauth: failure, in Russian, without the password", async () => {
        const wrong = new OneCClient(fetcher, { login: "shop", password: `${PASSWORD}-wrong` });
        assertEquals((await wrong.checkauth()).lines[0], "failure");
        const [row] = await waitFor("the row", async () => {
          const all = await rows(h);
          return all.length === 1 && all;
        });
        assertEquals([row.kind, row.direction, row.method], ["exchange", "inbound", "GET"]);
        assertEquals([row.exchange_type, row.mode, row.file], ["catalog", "checkauth", null]);
        assertEquals([row.status, row.http_status], ["failure", 200]);
        // windows-1251 on the wire, text in the row.
        assertStringIncludes(row.response_body ?? "", "Ошибка авторизации");
        assert(row.duration_ms >= 0);
        assert(row.request_id, "the request id is kept");
        assertEquals(row.client_ip, "127.0.0.1");
      });

      await t.step("a whole exchange: one row per request, in order", async () => {
        c = new OneCClient(fetcher, { login: "shop", password: PASSWORD, sendSessid: true });
        assertEquals((await c.checkauth()).lines[0], "success");
        await c.call({ mode: "init" }, { headers: { "X-Request-Id": "rid-init-0001" } });
        c.fileLimit = PART;
        const parts = await c.upload("import.xml", xml, PART);
        const polls = c.polls;
        assertEquals((await c.importFile("import.xml")).lines[0], "success");
        const importCalls = c.polls - polls;
        await c.call({ mode: "complete" });
        const expected = 1 + 1 + 1 + parts.length + importCalls + 1;
        const all = await waitFor("every row", async () => {
          const r = await rows(h);
          return r.length === expected && r;
        });
        const mine = all.slice(1);
        assertEquals(
          mine.map((r) => r.mode),
          [
            "checkauth",
            "init",
            ...parts.map(() => "file"),
            ...Array(importCalls).fill("import"),
            "complete",
          ],
        );

        const [checkauth, init] = mine;
        assertEquals(checkauth.status, "success");
        assertStringIncludes(
          checkauth.response_body ?? "",
          "success\nONEC_EXCHANGE_SESSION\n***\nsessid=***\ntimestamp=",
        );
        assertEquals(init.request_id, "rid-init-0001");
        assertEquals(init.status, "success", "zip=… is a successful answer");
        assertStringIncludes(init.response_body ?? "", `file_limit=`);
        // 1C sent sessid in the URL: masked there too.
        assertStringIncludes(init.url, "type=catalog&mode=init&sessid=***");

        const files = mine.filter((r) => r.mode === "file");
        assertEquals(files.map((r) => r.file), parts.map(() => "import.xml"));
        assertEquals(files.map((r) => r.method), parts.map(() => "POST"));
        assertEquals(
          files.map((r) => Number(r.request_bytes)),
          parts.map((_, i) => Math.min(PART, xml.length - i * PART)),
          "each upload is recorded by its size",
        );
        assert(files.every((r) => r.request_body === null));
        assertStringIncludes(files.at(-1)!.response_body ?? "", `import.xml: ${xml.length} bytes`);

        const imports = mine.filter((r) => r.mode === "import");
        assertEquals(imports.at(-1)!.status, "success");
        assertEquals(imports.at(-1)!.file, "import.xml");
        assertStringIncludes(imports.at(-1)!.response_body ?? "", "products:");
        for (const r of imports.slice(0, -1)) assertEquals(r.status, "progress");
        assertEquals(mine.at(-1)!.status, "success");
        assert(mine.every((r) => r.duration_ms >= 0 && r.at instanceof Date));
      });

      await t.step("never the password, the session, its sessid or the file's bytes", async () => {
        const text = await tableText(h);
        const sessionId = c.cookie.split("=")[1];
        for (
          const secret of [
            PASSWORD,
            btoa(`shop:${PASSWORD}`),
            sessionId,
            c.sessid,
            "Мощная дрель", // inside the uploaded import.xml only
          ]
        ) {
          assert(secret.length > 4);
          assertEquals(text.includes(secret), false, `found ${secret} in the log`);
        }
      });

      await t.step("a request without type or with an unknown mode is recorded too", async () => {
        const before = (await rows(h)).length;
        await (await fetcher("/1c_exchange?mode=init")).body?.cancel();
        await (await fetcher("/1c_exchange.php?type=catalog&mode=nope", {
          headers: { cookie: c.cookie },
        })).body?.cancel();
        const added = await waitFor("two rows", async () => {
          const r = await rows(h);
          return r.length === before + 2 && r.slice(before);
        });
        assertEquals(added.map((r) => [r.exchange_type, r.mode, r.status]), [
          [null, "init", "failure"],
          ["catalog", "nope", "failure"],
        ]);
        assertStringIncludes(added[0].response_body ?? "", "missing parameter type");
      });
    } finally {
      await server.shutdown();
      await h.close();
    }
  },
});
