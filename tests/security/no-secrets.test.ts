/**
 * "No secret (exchange password, API tokens, marketplace keys, 1C HTTP password, database
 * password) ever appears in logs, error bodies, the admin page or /metrics."
 *
 * One service configured with a distinctive value for every secret goes through the paths
 * where a secret could slip out — wrong and right logins, API errors, a customer export 1C
 * rejects, a marketplace that refuses its key, the admin page, the integration log, /metrics,
 * configuration errors — and then everything it produced is searched: every response (status line, headers,
 * body), every log line, and every row of every table (our schema and pg-boss's, where job
 * payloads and errors live).
 */
import { assert, assertEquals } from "@std/assert";
import pg from "pg";
import { createHarness, type Harness } from "../helpers/harness.ts";
import { OneCClient } from "../../src/onec/exchange-client.ts";
import { FakeOnec } from "../customers/fakes/fake-onec.ts";
import { OzonFake } from "../marketplaces/fakes/ozon-fake.ts";
import { WildberriesFake } from "../marketplaces/fakes/wildberries-fake.ts";
import { marketplaceEnv } from "../marketplaces/helpers.ts";
import { waitFor } from "../customers/helpers.ts";
import { AdminClient } from "../admin/admin-client.ts";
import { loadConfig } from "../../src/config.ts";
import * as F from "../fixtures/catalog-v208.ts";

const S = {
  exchangePassword: "Xch-S3cret-9f1a2b",
  admin: "Adm-T0ken-77aa11",
  platform: "Plt-T0ken-88bb22",
  reader: "Rdr-T0ken-99cc33",
  onecPassword: "Onec-Pa55-4d2c5e",
  ozonKey: "Ozn-K3y-1234-abcd-5678",
  wbToken: "Wb-T0ken-eyJhbGciOi-xyz",
  dbPassword: "Pg-S3cret-5e6f7a",
};
const basic = (login: string, password: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(`${login}:${password}`)));
const FORBIDDEN = [
  ...Object.values(S),
  basic("shop", S.exchangePassword),
  basic("site", S.onecPassword),
];

/** Every table of our schema and of pg-boss's, row by row as text. */
async function dumpDatabase(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables: { rows: { s: string; t: string }[] } = await client.query(
      `SELECT table_schema AS s, table_name AS t FROM information_schema.tables
       WHERE table_schema IN ('public', 'pgboss') AND table_type = 'BASE TABLE'`,
    );
    const parts: string[] = [];
    for (const { s, t } of tables.rows) {
      const rows: { rows: { r: string }[] } = await client.query(
        `SELECT x::text AS r FROM "${s}"."${t}" x`,
      );
      parts.push(...rows.rows.map((r) => `${s}.${t}: ${r.r}`));
    }
    return parts.join("\n");
  } finally {
    await client.end();
  }
}

Deno.test({
  name: "no secret reaches a response, a log line, the admin page, /metrics or a table",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const role = `nosecrets_${crypto.randomUUID().slice(0, 8)}`;
    const admin = new pg.Client({ connectionString: Deno.env.get("DATABASE_URL") });
    await admin.connect();
    await admin.query(`CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${S.dbPassword}'`);

    const onec = new FakeOnec({ login: "site", password: S.onecPassword });
    const ozon = new OzonFake().start();
    ozon.apiKey = S.ozonKey;
    ozon.keyDeactivated = true; // every call answers 403: the key must not be echoed anywhere
    const wb = new WildberriesFake().start();
    wb.token = S.wbToken;
    wb.failNext = 100; // 502s until the run gives up
    let h: Harness | undefined;
    const seen: string[] = [];
    const record = async (label: string, res: Response) => {
      seen.push(`${label} ${res.status} ${[...res.headers].join(" ")}\n${await res.text()}`);
    };
    try {
      h = await createHarness("no_secrets", {
        connectAs: { user: role, password: S.dbPassword },
        env: {
          EXCHANGE_LOGIN: "shop",
          EXCHANGE_PASSWORD: S.exchangePassword,
          API_TOKENS: `admin:${S.admin},platform:${S.platform},reader:${S.reader}`,
          ONEC_HTTP_URL: onec.url,
          ONEC_HTTP_LOGIN: "site",
          ONEC_HTTP_PASSWORD: S.onecPassword,
          ONEC_HTTP_TIMEOUT_SECONDS: "1",
          CUSTOMER_EXPORT_RETRY_LIMIT: "1",
          CUSTOMER_EXPORT_RETRY_DELAY_SECONDS: "0",
          CUSTOMER_EXPORT_DEBOUNCE_SECONDS: "0",
          ...marketplaceEnv({ ozon, wb }),
        },
      });
      const app = h.app;
      const call = async (label: string, path: string, init: RequestInit = {}) => {
        const res = await app.request(path, init);
        const copy = res.clone();
        await record(label, res);
        return copy;
      };
      const bearer = (token: string, body?: unknown): RequestInit => ({
        method: body === undefined ? "GET" : "POST",
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

      // 1C: a wrong password, then a whole exchange; the answers are recorded too.
      const fetcher = async (input: string, init?: RequestInit) => {
        const res = await app.request(input, init);
        await record(`exchange ${input}`, res.clone());
        return res;
      };
      const bad = new OneCClient(fetcher, { login: "shop", password: "wrong" });
      assertEquals((await bad.checkauth()).lines[0], "failure");
      const c = new OneCClient(fetcher, { login: "shop", password: S.exchangePassword });
      assertEquals((await c.checkauth()).lines[0], "success");
      await c.init();
      await c.upload("import.xml", new TextEncoder().encode(F.importXml()));
      assertEquals((await c.importFile("import.xml")).lines[0], "success");
      await c.call({ mode: "complete" });
      await call("stale session", "/1c_exchange.php?type=catalog&mode=init", {
        headers: { cookie: c.cookie },
      });

      // The API: every role, a wrong token, a forbidden write, validation and 404 errors.
      await call("reader", "/api/v1/products", bearer(S.reader));
      await call("wrong token", "/api/v1/products", bearer(`${S.admin}x`));
      await call("no token", "/api/v1/products");
      await call("forbidden", "/api/v1/stock-syncs", bearer(S.reader, { source: "ozon" }));
      await call("invalid", "/api/v1/customers", bearer(S.platform, { email: 1 }));
      await call("unknown", "/api/v1/products/nope", bearer(S.reader));

      // A customer 1C refuses (401 for its own reasons), then one it accepts.
      onec.script("refused@example.com", { kind: "fail", status: 401, body: "Unauthorized" });
      const refused = await call(
        "customer",
        "/api/v1/customers",
        bearer(S.platform, {
          email: "refused@example.com",
          customerType: "individual",
          firstName: "R",
        }),
      );
      const refusedId = (await refused.json()).id;
      await call(
        "customer",
        "/api/v1/customers",
        bearer(S.platform, { email: "ok@example.com", customerType: "individual", firstName: "O" }),
      );
      await waitFor("1C to see both customers", () =>
        Promise.resolve(
          onec.requests.filter((r) => r.status !== 0).length >= 2 && onec.requests,
        ));
      await waitFor("the refused export to settle", async () => {
        const r = await app.request(`/api/v1/customers/${refusedId}`, bearer(S.admin));
        return (await r.json()).syncStatus === "error";
      });
      await call("customer after", `/api/v1/customers/${refusedId}`, bearer(S.admin));
      await call("sync stats", "/api/v1/customers/sync-stats", bearer(S.admin));

      // Marketplaces that refuse the key or fail: the runs fail with a reason, not the key.
      for (const source of ["ozon", "wildberries"]) {
        const started = await call(
          "sync",
          "/api/v1/stock-syncs",
          bearer(S.admin, { source, kind: "read" }),
        );
        const id = (await started.json()).id;
        await waitFor(`the ${source} run to fail`, async () => {
          const r = await app.request(`/api/v1/stock-syncs/${id}`, bearer(S.admin));
          return (await r.json()).status === "failed";
        });
        await call("sync run", `/api/v1/stock-syncs/${id}`, bearer(S.admin));
      }
      await call("sync list", "/api/v1/stock-syncs", bearer(S.admin));
      await call("health", "/api/v1/stock-syncs/health", bearer(S.admin));
      await call("integration log", "/api/v1/integration-log?limit=1000", bearer(S.admin));

      // The admin page: a wrong token, then every page an operator opens.
      const adminPage = new AdminClient(app);
      await record("admin wrong login", await adminPage.login(`${S.admin}-wrong`));
      assertEquals((await adminPage.login(S.admin)).status, 303);
      for (
        const path of ["/admin", "/admin/runs.json", "/admin/runs/1", "/admin/runs/1/status.json"]
      ) {
        const { res, body } = await adminPage.page(path);
        seen.push(`admin ${path} ${res.status} ${[...res.headers].join(" ")}\n${body}`);
      }

      // Operations endpoints.
      for (const path of ["/metrics", "/readyz", "/healthz", "/openapi.json"]) {
        await call(path, path);
      }

      // Configuration errors name the variable, never its value.
      for (
        const env of [
          { API_TOKENS: `admin:${S.admin},broken` },
          { API_TOKENS: `root:${S.admin}` },
          { DATABASE_URL: `mysql://u:${S.dbPassword}@db/x` },
          { ONEC_HTTP_URL: `ftp://site:${S.onecPassword}@1c` },
        ]
      ) {
        try {
          loadConfig({
            DENO_ENV: "production",
            EXCHANGE_LOGIN: "shop",
            EXCHANGE_PASSWORD: S.exchangePassword,
            API_TOKENS: `admin:${S.admin}`,
            DATABASE_URL: "postgres://db/x",
            ...env,
          });
          seen.push("config accepted");
        } catch (e) {
          seen.push(`config error: ${(e as Error).message}`);
        }
      }

      assertEquals(seen.filter((x) => x.startsWith("config error: ")).length, 4);
      const everything = [
        ...seen,
        ...h.logLines,
        await dumpDatabase(h.url),
      ].join("\n");
      // The scenario really ran: the stores and logs are not empty.
      assert(h.logLines.length > 20, "the service logged");
      assert(onec.requests.some((r) => r.status === 401), "1C refused a customer");
      assert(ozon.requests.some((r) => r.status === 403), "Ozon refused the key");
      for (const secret of FORBIDDEN) {
        const at = everything.indexOf(secret);
        assert(
          at < 0,
          `a secret leaked: …${everything.slice(Math.max(0, at - 300), at + 100)}…`,
        );
      }
    } finally {
      await h?.close();
      await onec.close();
      await ozon.close();
      await wb.close();
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  },
});
